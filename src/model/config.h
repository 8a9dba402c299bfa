// NemotronH configuration (spec §1): every field that changes inference, with HF defaults and aliases.
// The layer pattern becomes an explicit list of layer kinds; nothing downstream re-parses strings.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "quant/modelopt.h"

namespace nt {

enum class LayerKind : uint8_t { Mamba, Attention, Mlp, Moe };

// Upper bounds on config values (docs/SECURITY.md). Far above every released model (the largest widths are in the
// tens of thousands, vocabularies ~262k, 128 experts), and low enough that every derived size and every weight's
// element count is computed without 64-bit overflow. A config beyond them is rejected by parse_model_config.
constexpr int64_t kMaxConfigLayers = 4096;                    // entries of the layer pattern
constexpr int64_t kMaxConfigDim = int64_t{1} << 24;           // any width, head count, head size, vocab size, chunk
constexpr int64_t kMaxConfigExperts = 4096;                   // n_routed_experts
constexpr int64_t kMaxConfigTensorElements = int64_t{1} << 42;  // elements of any one weight the config implies

char layer_kind_char(LayerKind k);          // 'M', '*', '-', 'E'
const char* layer_kind_name(LayerKind k);   // "mamba", "attention", "mlp", "moe"

struct ModelConfig {
  std::vector<LayerKind> layers;  // one entry per layer, from hybrid_override_pattern / layers_block_type
  int64_t hidden_size = 4096;     // H
  int64_t vocab_size = 131072;    // V
  bool tie_word_embeddings = false;
  double layer_norm_epsilon = 1e-5;

  // Attention (*)
  int64_t num_attention_heads = 32;   // n_h
  int64_t num_key_value_heads = 8;    // n_kv
  int64_t head_dim = 128;             // d_h (not H / n_h for these models)
  bool attention_bias = false;

  // Dense MLP (-): one width, or one per layer when intermediate_size is a list (indexed by MLP ordinal).
  std::vector<int64_t> intermediate_size = {21504};
  bool mlp_bias = false;

  // Mamba-2 (M)
  int64_t mamba_num_heads = 128;  // n_m
  int64_t mamba_head_dim = 64;    // P
  int64_t ssm_state_size = 128;   // N
  int64_t n_groups = 8;           // G
  int64_t conv_kernel = 4;        // K
  bool use_conv_bias = true;
  bool use_bias = false;          // in_proj / out_proj bias
  int64_t chunk_size = 128;
  double time_step_limit_lo = 0.0;
  double time_step_limit_hi = std::numeric_limits<double>::infinity();

  // MoE (E)
  int64_t n_routed_experts = 8;       // E
  int64_t num_experts_per_tok = 2;    // k
  int64_t moe_intermediate_size = 7688;
  int64_t moe_shared_expert_intermediate_size = 7688;
  int64_t n_shared_experts = 1;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  bool norm_topk_prob = true;
  double routed_scaling_factor = 1.0;
  int64_t moe_latent_size = 0;  // 0 = no latent projections

  // Token ids (generation plumbing, no effect on math).
  std::vector<int64_t> eos_token_ids = {2};
  int64_t bos_token_id = 1;
  int64_t pad_token_id = 0;
  int64_t max_position_embeddings = 4096;
  std::string torch_dtype;

  // ModelOpt FP8 / NVFP4 description (spec §13): config.json quantization_config and/or hf_quant_config.json.
  ModelOptConfig quant;

  // Derived sizes (spec §0.3).
  int64_t d_inner() const { return mamba_num_heads * mamba_head_dim; }
  int64_t d_conv() const { return d_inner() + 2 * n_groups * ssm_state_size; }
  int64_t d_in_proj() const { return 2 * d_inner() + 2 * n_groups * ssm_state_size + mamba_num_heads; }
  int64_t moe_input_size() const { return moe_latent_size > 0 ? moe_latent_size : hidden_size; }
  int64_t count(LayerKind k) const;
  // Width of the dense MLP at layer `layer` (its ordinal among '-' layers selects a list entry).
  int64_t mlp_width(size_t layer) const;
  std::string pattern() const;  // back to the one-character-per-layer string
};

// Parses and validates config.json text. Errors name the field, the expected and the found value.
Result<ModelConfig> parse_model_config(const std::string& text, const std::string& what = "config.json");
// Reads model_dir/config.json and, if present, model_dir/hf_quant_config.json (ModelOpt).
Result<ModelConfig> load_model_config(const std::string& model_dir);

}  // namespace nt
