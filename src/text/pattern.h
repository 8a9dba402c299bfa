// Patterns as tokenizer.json writes them: {"Regex": "..."} or {"String": "..."}, compiled the way the
// reference (transformers.js createPattern) does: literal strings are escaped; regexes first get the
// reference's rewrites (unescaping \# \& \~, and its replacements for the case-insensitive Llama-3
// contraction group and the BLOOM pattern), then compile with the dialect of text/regex.h.
#pragma once

#include <string>
#include <string_view>

#include "core/json.h"
#include "core/status.h"
#include "text/regex.h"

namespace nt::text {

Result<Regex> compile_pattern(const Json& pattern, std::string_view what);

// String.prototype.replaceAll(regex, replacement) on UTF-8 text; in the replacement "$$" is "$" and
// "$&" the match (the other $-forms are kept literally).
Result<std::string> replace_all(const Regex& re, std::string_view text, std::string_view replacement);

// Code points of UTF-8 text and the byte offset where each starts (offsets has one extra entry: size).
struct DecodedText {
  std::u32string cps;
  std::vector<size_t> offsets;
};
DecodedText decode_with_offsets(std::string_view text);

}  // namespace nt::text
