// Random-weight models of any size, written straight to GGUF (`nemotron synth --type q4_0 ...`): the rows of
// formats/synth_weights.h are generated on demand while the file is written, so memory stays at one block of rows
// whatever the model size. (formats/hf_synth.h writes the same weights as a Hugging Face directory.)
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/gguf_export.h"
#include "formats/synth_weights.h"
#include "model/config.h"

namespace nt {

// `extra`: metadata written after the model keys, e.g. a tokenizer (gguf_tokenizer_metadata) so that text
// commands and the server can drive the random model.
Status synth_gguf(const std::string& path, const ModelConfig& c, GgufPreset preset, uint64_t seed, int threads = 1,
                  std::vector<std::pair<std::string, GgufValue>> extra = {});

}  // namespace nt
