// libFuzzer target: arbitrary bytes as config.json. Every input must give a config or a clean error; a config
// that parses must be internally consistent enough to describe (pattern, derived sizes).
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
  return 0;
}
