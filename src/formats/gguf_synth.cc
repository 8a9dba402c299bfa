#include "formats/gguf_synth.h"

#include "formats/synth_weights.h"

namespace nt {

Status synth_gguf(const std::string& path, const ModelConfig& c, GgufPreset preset, uint64_t seed, int threads,
                  std::vector<std::pair<std::string, GgufValue>> extra) {
  const ModelWeights w = synth_weights(c, seed);
  GgufExportOptions o;
  o.extra = std::move(extra);
  o.preset = preset;
  o.name = "nemotron-synth";
  o.threads = threads;
  o.rows = synth_rows(seed);
  return export_gguf(path, c, w, o);
}

}  // namespace nt
