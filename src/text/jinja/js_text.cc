#include "text/jinja/js_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "text/unicode.h"

namespace nt::jinja {

uint32_t next_code_point(std::string_view s, size_t* pos) {
  size_t i = *pos;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) { *pos = i + 1; return c; }
  int extra = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; min = 0x80; }
  else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; min = 0x800; }
  else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; min = 0x10000; }
  else { *pos = i + 1; return 0xFFFD; }
  if (i + extra >= s.size()) { *pos = i + 1; return 0xFFFD; }
  for (int k = 1; k <= extra; ++k) {
    unsigned char cc = byte(i + k);
    if ((cc & 0xC0) != 0x80) { *pos = i + 1; return 0xFFFD; }
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { *pos = i + 1; return 0xFFFD; }
  *pos = i + 1 + extra;
  return cp;
}

void append_utf8(std::string* out, uint32_t cp) { text::append_utf8(out, static_cast<char32_t>(cp)); }

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t cp = next_code_point(s, &i);
    if (cp == 0xFFFD && !(i - start == 3 && s.substr(start, 3) == "\xEF\xBF\xBD")) append_utf8(&out, cp);
    else out.append(s.substr(start, i - start));
  }
  return out;
}

bool is_js_space(uint32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view js_trim_start(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t next = i;
    if (!is_js_space(next_code_point(s, &next))) break;
    i = next;
  }
  return s.substr(i);
}

std::string_view js_trim_end(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t start = end - 1;
    // Step back to the lead byte of the last code point (at most 3 continuation bytes).
    while (start > 0 && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t p = start;
    uint32_t cp = next_code_point(s, &p);
    if (p != end || !is_js_space(cp)) break;
    end = start;
  }
  return s.substr(0, end);
}

size_t utf16_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) n += next_code_point(s, &i) >= 0x10000 ? 2 : 1;
  return n;
}

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_code_point(s, &i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

std::string from_utf16(std::u16string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t u = s[i];
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      append_utf8(&out, 0x10000 + ((u - 0xD800) << 10) + (s[i + 1] - 0xDC00));
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      append_utf8(&out, 0xFFFD);
    } else {
      append_utf8(&out, u);
    }
  }
  return out;
}

namespace {

// Shortest round-trip decimal digits of |v| (v finite, non-zero) and the decimal exponent n such that
// |v| = 0.d1d2d3... * 10^n (ECMAScript Number::toString's k and n).
void shortest_digits(double v, std::string* digits, int* n) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  std::string_view sci(buf, r.ptr - buf);  // "d.ddde+XX"
  size_t e = sci.find('e');
  digits->clear();
  for (char c : sci.substr(0, e)) if (c != '.') digits->push_back(c);
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  *n = std::atoi(std::string(sci.substr(e + 1)).c_str()) + 1;
}

}  // namespace

std::string js_number_to_string(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";
  std::string digits;
  int n = 0;
  shortest_digits(v, &digits, &n);
  int k = static_cast<int>(digits.size());
  std::string out = v < 0 ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(-n, '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string js_float_to_string(double v) {
  if (v == 0 && std::signbit(v)) return "-0.0";
  if (std::isfinite(v) && std::fmod(v, 1.0) == 0 && std::fabs(v) < 1e21) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 0);
    return std::string(buf, r.ptr - buf) + ".0";
  }
  return js_number_to_string(v);
}

std::string js_number_to_json(double v) { return std::isfinite(v) ? js_number_to_string(v) : "null"; }

std::string js_json_quote(std::string_view s, bool ensure_ascii) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "\"";
  auto unit_escape = [&](uint32_t u) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(u >> shift) & 0xF]);
  };
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t cp = next_code_point(s, &i);
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (cp < 0x20) {
      unit_escape(cp);
    } else if (ensure_ascii && cp >= 0x7F) {
      if (cp >= 0x10000) {
        unit_escape(0xD800 + ((cp - 0x10000) >> 10));
        unit_escape(0xDC00 + ((cp - 0x10000) & 0x3FF));
      } else {
        unit_escape(cp);
      }
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  out += "\"";
  return out;
}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the longest prefix of s that is a StrDecimalLiteral (sign, digits, fraction, exponent).
size_t decimal_prefix(std::string_view s, bool allow_infinity) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (allow_infinity && s.substr(i, 8) == "Infinity") return i + 8;
  size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  bool has_digits = i > int_start;
  if (i < s.size() && s[i] == '.') {
    size_t frac_start = i + 1, j = frac_start;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (has_digits || j > frac_start) { has_digits = true; i = j; }
  }
  if (!has_digits) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t exp_start = j;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j > exp_start) i = j;
  }
  return i;
}

double parse_decimal(std::string_view s) {
  if (s.find("Infinity") != std::string_view::npos) {
    return s[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  std::string tmp(s);
  return std::strtod(tmp.c_str(), nullptr);
}

}  // namespace

double js_parse_int(std::string_view s) {
  s = js_trim_start(s);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  size_t start = i;
  double v = 0;
  while (i < s.size() && is_digit(s[i])) v = v * 10 + (s[i++] - '0');
  if (i == start) return std::numeric_limits<double>::quiet_NaN();
  if (i - start > 15) v = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
  return negative ? -v : v;
}

double js_parse_float(std::string_view s) {
  s = js_trim_start(s);
  size_t n = decimal_prefix(s, true);
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return parse_decimal(s.substr(0, n));
}

double js_string_to_number(std::string_view s) {
  s = js_trim(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] | 0x20) != 0 && std::string_view("xob").find(s[1] | 0x20) != std::string_view::npos) {
    int base = (s[1] | 0x20) == 'x' ? 16 : (s[1] | 0x20) == 'o' ? 8 : 2;
    double v = 0;
    for (char c : s.substr(2)) {
      int d = is_digit(c) ? c - '0' : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (c | 0x20) - 'a' + 10 : 99;
      if (d >= base) return std::numeric_limits<double>::quiet_NaN();
      v = v * base + d;
    }
    return v;
  }
  size_t n = decimal_prefix(s, true);
  if (n != s.size()) return std::numeric_limits<double>::quiet_NaN();
  return parse_decimal(s);
}

int js_compare_strings(std::string_view a, std::string_view b) {
  std::u16string ua = to_utf16(a), ub = to_utf16(b);
  return ua < ub ? -1 : (ua > ub ? 1 : 0);
}

}  // namespace nt::jinja
