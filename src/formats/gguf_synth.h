// Random-weight models of any size, written straight to GGUF (`nemotron synth`): the matrices have no
// backing memory; their rows are generated on demand from (tensor name, row) while the file is written,
// so memory stays at one block of rows whatever the model size. Small per-channel vectors are real.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/gguf_export.h"
#include "model/config.h"

namespace nt {

// The config with every width and count scaled by f (0 < f <= 1), keeping block-size multiples and the
// head / group structure; the layer pattern is unchanged.
ModelConfig shrink_config(ModelConfig c, double f);

// `extra`: metadata written after the model keys, e.g. a tokenizer (gguf_tokenizer_metadata) so that text
// commands and the server can drive the random model.
Status synth_gguf(const std::string& path, const ModelConfig& c, GgufPreset preset, uint64_t seed, int threads = 1,
                  std::vector<std::pair<std::string, GgufValue>> extra = {});

}  // namespace nt
