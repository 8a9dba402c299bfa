// Normalizers of a tokenizer.json ("normalizer": {...}), applied to each text section between added
// tokens before pre-tokenization. Semantics follow the reference (transformers.js).
#pragma once

#include <memory>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace nt::text {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual Status normalize(std::string* text) const = 0;
};

// nullptr for a JSON null (no normalizer). Unknown types are an error naming the type.
Result<std::unique_ptr<Normalizer>> make_normalizer(const Json& config);

// ECMAScript String.prototype.trim / trimStart / trimEnd (whitespace as in \s).
std::string js_trim(std::string_view s, bool left, bool right);
// Removes every code point of general category M (the reference's StripAccents).
std::string remove_marks(std::string_view s);

}  // namespace nt::text
