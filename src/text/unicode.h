// Unicode support for the tokenizer: UTF-8 decoding with U+FFFD replacement, general categories,
// the JavaScript definition of whitespace, NFC/NFKC normalization and lowercasing.
//
// Semantics follow what the reference tokenizer (transformers.js on Node) sees: invalid UTF-8 is
// replaced per the WHATWG/Unicode "maximal subpart" rule (as TextDecoder and Python's
// errors="replace" do), `\s` is ECMAScript's WhiteSpace + LineTerminator set, and lowercase is
// String.prototype.toLowerCase (simple mappings + U+0130 + final sigma).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nt::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes one code point at s[*pos], advancing *pos. Invalid or truncated sequences yield U+FFFD and
// advance by their maximal subpart (at least one byte).
char32_t decode_utf8(std::string_view s, size_t* pos);
void append_utf8(std::string* out, char32_t cp);
// Copy of s with every invalid sequence replaced by U+FFFD (EF BF BD).
std::string sanitize_utf8(std::string_view s);
bool is_valid_utf8(std::string_view s);
// Length of the longest suffix of s that is the incomplete start of a valid UTF-8 sequence (0..3):
// bytes a streaming decoder must hold back until more arrive.
size_t incomplete_utf8_suffix(std::string_view s);
std::u32string to_u32(std::string_view s);
std::string to_utf8(std::u32string_view s);

enum GeneralCategory : uint8_t {
  kCn, kLu, kLl, kLt, kLm, kLo, kMn, kMc, kMe, kNd, kNl, kNo, kPc, kPd, kPs, kPe,
  kPi, kPf, kPo, kSm, kSc, kSk, kSo, kZs, kZl, kZp, kCc, kCf, kCs, kCo, kCategoryCount
};
GeneralCategory general_category(char32_t cp);
// Bit mask (1 << category) for a property name as written in \p{...}: "L", "Lu", "Letter",
// "Uppercase_Letter", "LC", "gc=L", "General_Category=Lu"... Returns 0 for unknown names.
uint32_t category_mask(std::string_view name);
// ECMAScript \s: WhiteSpace (incl. U+FEFF and Zs) + LineTerminator. Note: U+0085 is *not* included.
bool is_js_space(char32_t cp);

enum class NormalForm { kNFC, kNFD, kNFKC, kNFKD };
std::string normalize(std::string_view utf8, NormalForm form);
// String.prototype.toLowerCase.
std::string to_lower(std::string_view utf8);
const char* unicode_version();

}  // namespace nt::text
