// Text and number helpers that reproduce JavaScript string semantics on UTF-8 strings.
// The reference renderer for chat templates (npm @huggingface/jinja) runs on JavaScript strings (UTF-16) and
// numbers (doubles); these helpers give byte-identical results for what templates do with them: trimming with
// the JavaScript whitespace set, UTF-16 lengths, case mapping, Number#toString, JSON.stringify and parseInt/Float.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nt::jinja {

// Decodes one code point at s[*pos] and advances *pos. Invalid UTF-8 yields U+FFFD and consumes one byte.
uint32_t next_code_point(std::string_view s, size_t* pos);
void append_utf8(std::string* out, uint32_t cp);
// Replaces invalid UTF-8 sequences with U+FFFD (what reading a file as UTF-8 does in node).
std::string sanitize_utf8(std::string_view s);

// JavaScript's WhiteSpace + LineTerminator set (what /\s/ and String#trim use).
bool is_js_space(uint32_t cp);
std::string_view js_trim_start(std::string_view s);
std::string_view js_trim_end(std::string_view s);
inline std::string_view js_trim(std::string_view s) { return js_trim_start(js_trim_end(s)); }

// String#length: the number of UTF-16 code units.
size_t utf16_length(std::string_view s);
std::u16string to_utf16(std::string_view s);
// Lone surrogates become U+FFFD, as when node writes a string as UTF-8.
std::string from_utf16(std::u16string_view s);

std::string js_to_upper(std::string_view s);
std::string js_to_lower(std::string_view s);

// Number.prototype.toString(): shortest round-trip digits, exponent form outside [1e-7, 1e21).
std::string js_number_to_string(double v);
// How @huggingface/jinja prints a float: integral values get ".0" (toFixed(1)), -0 prints "-0.0".
std::string js_float_to_string(double v);
// JSON.stringify(number): like toString, but non-finite values become null.
std::string js_number_to_json(double v);

// JSON.stringify(string); with ensure_ascii every UTF-16 unit >= 0x7f becomes \uXXXX.
std::string js_json_quote(std::string_view s, bool ensure_ascii);

// parseInt(s, 10), parseFloat(s) and Number(s); NaN when nothing parses.
double js_parse_int(std::string_view s);
double js_parse_float(std::string_view s);
double js_string_to_number(std::string_view s);

// Compares like JavaScript's < on strings (UTF-16 code unit order): -1, 0 or 1.
int js_compare_strings(std::string_view a, std::string_view b);

}  // namespace nt::jinja
