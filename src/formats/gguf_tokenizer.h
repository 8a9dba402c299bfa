// Tokenizer metadata of GGUF files (llama.cpp's `tokenizer.ggml.*` keys and `tokenizer.chat_template`):
// written from a Hugging Face tokenizer.json / tokenizer_config.json, and read back into the runtime
// Tokenizer and chat template (text/gguf_vocab.h has the name -> pre-tokenizer table).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/gguf.h"
#include "model/config.h"
#include "text/chat_template.h"
#include "text/gguf_vocab.h"
#include "text/tokenizer.h"

namespace nt {

// ---- writing ---------------------------------------------------------------------------------------

// Empty when the directory has no tokenizer.json (export_gguf then writes tokenizer.ggml.model "none":
// llama.cpp loads such a file with dummy tokens, ids in and logits out). Fails when the pre-tokenizer is not one llama.cpp knows by name.
Result<std::vector<std::pair<std::string, GgufValue>>> gguf_tokenizer_metadata(const std::string& model_dir,
                                                                             const ModelConfig& c);

// The same for a tokenizer directory without a model: the vocabulary is padded with unused [PAD{i}]
// tokens up to `vocab_size` (0: no padding); bos / eos / pad -1 when absent.
Result<std::vector<std::pair<std::string, GgufValue>>> gguf_tokenizer_metadata(const std::string& dir, int64_t vocab_size,
                                                                             int64_t bos, int64_t eos, int64_t pad);

// ---- reading ---------------------------------------------------------------------------------------

// The tokenizer keys of a GGUF file, type-checked ("<origin>: gguf key 'tokenizer.ggml.tokens': expected
// array of string, found ..."). Fails when the file has no tokenizer.ggml.model.
Result<text::GgufVocab> read_gguf_vocab(const GgufFile& file, const std::string& origin);
Result<text::Tokenizer> tokenizer_from_gguf(const GgufFile& file, const std::string& origin);
// `tokenizer.chat_template` with the special-token strings transformers passes to it; nullopt when absent.
Result<std::optional<ChatTemplateSource>> chat_template_from_gguf(const GgufFile& file, const text::GgufVocab& vocab,
                                                                   const std::string& origin);

// ---- model paths -----------------------------------------------------------------------------------

// The tokenizer of a model path: a .gguf file (its metadata), a directory holding tokenizer.json, or a
// tokenizer.json file.
Result<text::Tokenizer> load_model_tokenizer(const std::string& path);
// The chat template of a model path (a .gguf file or a model directory).
Result<ChatTemplateSource> load_model_chat_template(const std::string& path);

}  // namespace nt
