// nemotron info -m DIR: layer kinds, parameter counts, state and KV sizes, dtypes.
#include <cstdio>
#include <map>

#include "cli.h"
#include "model/hybrid_lm.h"
#include "quant/modelopt_export.h"

namespace nt::cli {

int cmd_info(int argc, char** argv) {
  Args args({"-m", "--model"}, {"--json"});
  if (Status s = args.parse(argc, argv); !s) return fail("info", s);
  const std::string dir = args.get({"-m", "--model"});
  if (dir.empty()) return fail("info", Status::error("missing -m PATH (a Hugging Face model directory or a .gguf file)"));
  auto model = HybridLM::load(dir, LoadOptions{.pack_weights = false});  // reads the weights, computes nothing
  if (!model) return fail("info", model.status());
  const ModelConfig& c = (*model)->config();
  const ParamCounts pc = count_params(c, (*model)->weights());
  std::map<std::string, int64_t> dtypes;  // dtype -> tensor count
  for (const auto& [name, t] : (*model)->store().tensors()) dtypes[t.type_name()]++;

  std::printf("model:            %s\n", dir.c_str());
  std::printf("layers:           %zu  pattern %s\n", c.layers.size(), c.pattern().c_str());
  std::printf("layer kinds:      %lld mamba (M), %lld attention (*), %lld mlp (-), %lld moe (E)\n",
              static_cast<long long>(c.count(LayerKind::Mamba)), static_cast<long long>(c.count(LayerKind::Attention)),
              static_cast<long long>(c.count(LayerKind::Mlp)), static_cast<long long>(c.count(LayerKind::Moe)));
  std::printf("hidden_size:      %lld  vocab_size %lld\n", static_cast<long long>(c.hidden_size), static_cast<long long>(c.vocab_size));
  if (c.count(LayerKind::Mamba)) {
    std::printf("mamba:            heads %lld x head_dim %lld, state %lld, groups %lld, conv %lld, chunk %lld\n",
                static_cast<long long>(c.mamba_num_heads), static_cast<long long>(c.mamba_head_dim),
                static_cast<long long>(c.ssm_state_size), static_cast<long long>(c.n_groups),
                static_cast<long long>(c.conv_kernel), static_cast<long long>(c.chunk_size));
  }
  if (c.count(LayerKind::Attention)) {
    std::printf("attention:        heads %lld, kv heads %lld, head_dim %lld\n", static_cast<long long>(c.num_attention_heads),
                static_cast<long long>(c.num_key_value_heads), static_cast<long long>(c.head_dim));
  }
  if (c.count(LayerKind::Moe)) {
    std::printf("moe:              %lld experts, top %lld, expert width %lld, shared width %lld, latent %lld\n",
                static_cast<long long>(c.n_routed_experts), static_cast<long long>(c.num_experts_per_tok),
                static_cast<long long>(c.moe_intermediate_size), static_cast<long long>(c.moe_shared_expert_intermediate_size),
                static_cast<long long>(c.moe_latent_size));
  }
  std::printf("parameters:       %lld total, %lld active per token\n", static_cast<long long>(pc.total), static_cast<long long>(pc.active));
  std::printf("state per seq:    %lld bytes (conv + SSM, fp32)\n", static_cast<long long>(recurrent_state_bytes(c)));
  std::printf("kv per token:     %lld bytes (fp32)\n", static_cast<long long>(kv_bytes_per_token(c)));
  std::printf("dtypes:          ");
  for (const auto& [dt, n] : dtypes) std::printf(" %s x%lld", dt.c_str(), static_cast<long long>(n));
  std::printf("\n");
  if (c.quant.enabled()) {
    std::printf("quantization:     ModelOpt %s (%s), %zu excluded module patterns\n",
                std::string(modelopt_algo_name(c.quant.algo)).c_str(), c.quant.source.c_str(), c.quant.exclude.size());
  }
  for (const auto& line : describe_weight_types((*model)->weights())) std::printf("weights:          %s\n", line.c_str());
  return 0;
}

}  // namespace nt::cli
