// libFuzzer target: arbitrary bytes as config.json. Every input must give a config or a clean error; a config
// that parses must be internally consistent enough to describe (pattern, derived sizes, weight element counts).
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = nt::parse_model_config(text, "config.json");
  if (!cfg.is_ok()) return 0;
  (void)cfg->pattern();
  for (size_t i = 0; i < cfg->layers.size(); ++i) {
    if (cfg->layers[i] == nt::LayerKind::Mlp) (void)cfg->mlp_width(i);
  }
  (void)cfg->count(nt::LayerKind::Mamba);
  // The derived sizes weight binding and state allocation use must not overflow (UBSan checks the arithmetic).
  volatile int64_t sink = cfg->d_inner() + cfg->d_conv() + cfg->d_in_proj() + cfg->moe_input_size();
  sink = sink + cfg->vocab_size * cfg->hidden_size + cfg->num_attention_heads * cfg->head_dim * cfg->hidden_size;
  sink = sink + cfg->d_in_proj() * cfg->hidden_size +
         cfg->n_routed_experts * cfg->moe_intermediate_size * cfg->moe_input_size();
  (void)sink;
  return 0;
}
