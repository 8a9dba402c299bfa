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

// Text inside the tokenizer is generalized UTF-8 (WTF-8): besides valid UTF-8 it may hold lone
// surrogates U+D800..U+DFFF encoded as ED A0..BF xx. They stand for the lone UTF-16 surrogates a
// JavaScript string (the reference's input) can hold, e.g. from a JSON escape "\ud800"; the reference
// tokenizes them as code points and encodes them to bytes as U+FFFD. Raw input bytes are validated
// strictly (sanitize_utf8), so surrogates only appear where a caller asks for them.

// Decodes one code point at s[*pos], advancing *pos; an encoded surrogate decodes to itself. Invalid
// or truncated sequences yield U+FFFD and advance by their maximal subpart (at least one byte).
char32_t decode_utf8(std::string_view s, size_t* pos);
// Encodes cp (surrogates as WTF-8; values above U+10FFFF as U+FFFD).
void append_utf8(std::string* out, char32_t cp);
// Strict UTF-8: every invalid sequence (encoded surrogates included) becomes U+FFFD per maximal subpart,
// as TextDecoder and Python's errors="replace" do.
std::string sanitize_utf8(std::string_view s);
bool is_valid_utf8(std::string_view s);
// Like sanitize_utf8, but keeps encoded surrogates (for text that came from UTF-16, like JSON strings).
std::string sanitize_wtf8(std::string_view s);
// Every encoded surrogate replaced by U+FFFD (String.prototype.toWellFormed, TextEncoder).
std::string to_well_formed(std::string_view s);
// True if s holds an encoded surrogate.
bool has_surrogates(std::string_view s);
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
