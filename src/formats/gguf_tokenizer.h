// Tokenizer metadata for GGUF files (llama.cpp's `tokenizer.ggml.*` keys and `tokenizer.chat_template`),
// built from a Hugging Face model directory's tokenizer.json / tokenizer_config.json.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/gguf.h"
#include "model/config.h"

namespace nt {

// Empty when the directory has no tokenizer.json (the file then loads in nemotron.cpp but not as a
// complete llama.cpp model). Fails when the pre-tokenizer regex is not one llama.cpp knows by name.
Result<std::vector<std::pair<std::string, GgufValue>>> gguf_tokenizer_metadata(const std::string& model_dir,
                                                                             const ModelConfig& c);

}  // namespace nt
