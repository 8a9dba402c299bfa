// Decoders of a tokenizer.json ("decoder": {...}): token strings -> text. They work on byte strings so
// that byte-level and byte-fallback tokens can carry partial UTF-8 sequences; the caller validates
// (U+FFFD replacement) once at the end, which gives the same text as the reference's per-run
// TextDecoder calls. Semantics follow the reference (transformers.js).
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace nt::text {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual Status decode_chain(std::vector<std::string>* tokens) const = 0;
};

// added_tokens: contents of all added tokens (the ByteLevel decoder passes them through unmapped).
Result<std::unique_ptr<Decoder>> make_decoder(const Json& config, std::shared_ptr<const std::unordered_set<std::string>> added_tokens);

// The reference's clean_up_tokenization (" ." -> "." and friends).
std::string clean_up_tokenization(std::string_view text);

}  // namespace nt::text
