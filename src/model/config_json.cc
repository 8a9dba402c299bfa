#include "model/config_json.h"

#include <cmath>

namespace nt {

namespace {

// Infinity as the transformers-5 spelling that parse_model_config (json_number) and Python both read back.
Json number(double v) {
  if (std::isinf(v)) return Json{{"__float__", v > 0 ? "Infinity" : "-Infinity"}};
  return v;
}

}  // namespace

Json model_config_to_json(const ModelConfig& c, Json base) {
  if (!base.is_object()) base = Json::object();
  // Aliases parse_model_config would otherwise also accept: one spelling per field in the output.
  for (const char* alias : {"layers_block_type", "rms_norm_eps", "norm_eps", "attention_head_dim", "hidden_act",
                            "mamba_n_groups", "mamba_d_conv", "mamba_conv_bias", "mamba_proj_bias", "mamba_chunk_size",
                            "mamba_dt_limit", "num_local_experts", "dtype"}) {
    base.erase(alias);
  }
  if (!base.contains("architectures")) base["architectures"] = {"NemotronHForCausalLM"};
  if (!base.contains("model_type")) base["model_type"] = "nemotron_h";
  base["hybrid_override_pattern"] = c.pattern();
  base["num_hidden_layers"] = c.layers.size();
  base["hidden_size"] = c.hidden_size;
  base["vocab_size"] = c.vocab_size;
  base["tie_word_embeddings"] = c.tie_word_embeddings;
  base["layer_norm_epsilon"] = c.layer_norm_epsilon;

  base["num_attention_heads"] = c.num_attention_heads;
  base["num_key_value_heads"] = c.num_key_value_heads;
  base["head_dim"] = c.head_dim;
  base["attention_bias"] = c.attention_bias;

  if (c.intermediate_size.size() == 1) base["intermediate_size"] = c.intermediate_size[0];
  else base["intermediate_size"] = c.intermediate_size;
  base["mlp_bias"] = c.mlp_bias;
  base["mlp_hidden_act"] = "relu2";
  base["mamba_hidden_act"] = "silu";

  base["mamba_num_heads"] = c.mamba_num_heads;
  base["mamba_head_dim"] = c.mamba_head_dim;
  base["ssm_state_size"] = c.ssm_state_size;
  base["n_groups"] = c.n_groups;
  base["conv_kernel"] = c.conv_kernel;
  base["use_conv_bias"] = c.use_conv_bias;
  base["use_bias"] = c.use_bias;
  base["chunk_size"] = c.chunk_size;
  base["time_step_limit"] = {number(c.time_step_limit_lo), number(c.time_step_limit_hi)};

  base["n_routed_experts"] = c.n_routed_experts;
  base["num_experts_per_tok"] = c.num_experts_per_tok;
  base["moe_intermediate_size"] = c.moe_intermediate_size;
  base["moe_shared_expert_intermediate_size"] = c.moe_shared_expert_intermediate_size;
  base["n_shared_experts"] = c.n_shared_experts;
  base["n_group"] = c.n_group;
  base["topk_group"] = c.topk_group;
  base["norm_topk_prob"] = c.norm_topk_prob;
  base["routed_scaling_factor"] = c.routed_scaling_factor;
  if (c.moe_latent_size > 0) base["moe_latent_size"] = c.moe_latent_size;
  else base["moe_latent_size"] = nullptr;

  base["bos_token_id"] = c.bos_token_id;
  base["pad_token_id"] = c.pad_token_id;
  if (c.eos_token_ids.size() == 1) base["eos_token_id"] = c.eos_token_ids[0];
  else base["eos_token_id"] = c.eos_token_ids;
  base["max_position_embeddings"] = c.max_position_embeddings;
  if (!c.torch_dtype.empty()) base["torch_dtype"] = c.torch_dtype;
  return base;
}

}  // namespace nt
