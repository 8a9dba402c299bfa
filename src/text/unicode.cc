#include "text/unicode.h"

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_map>

#include "text/unicode_tables.h"

namespace nt::text {

namespace {

bool in_range(uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; }

// Valid range of the second byte for a given lead byte (Unicode Table 3-7), or {0,0} if the lead is invalid.
std::pair<uint8_t, uint8_t> second_byte_range(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {0x80, 0xBF};
  if (lead == 0xE0) return {0xA0, 0xBF};
  if (lead == 0xED) return {0x80, 0x9F};
  if (lead >= 0xE1 && lead <= 0xEF) return {0x80, 0xBF};
  if (lead == 0xF0) return {0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {0x80, 0xBF};
  if (lead == 0xF4) return {0x80, 0x8F};
  return {0, 0};
}

int sequence_length(uint8_t lead) { return lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

}  // namespace

namespace {

// allow_surrogates: accept ED A0..BF xx (WTF-8) as a surrogate code point.
char32_t decode_one(std::string_view s, size_t* pos, bool allow_surrogates) {
  const uint8_t b0 = static_cast<uint8_t>(s[*pos]);
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  }
  auto [lo, hi] = second_byte_range(b0);
  if (allow_surrogates && b0 == 0xED) hi = 0xBF;
  if (lo == 0) {
    ++*pos;
    return kReplacementChar;
  }
  const int n = sequence_length(b0);
  char32_t cp = b0 & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  size_t i = *pos + 1;
  for (int k = 1; k < n; ++k, ++i) {
    if (i >= s.size()) {
      *pos = i;
      return kReplacementChar;
    }
    uint8_t b = static_cast<uint8_t>(s[i]);
    bool ok = k == 1 ? in_range(b, lo, hi) : in_range(b, 0x80, 0xBF);
    if (!ok) {
      *pos = i;  // the maximal subpart ends before the offending byte
      return kReplacementChar;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *pos = i;
  return cp;
}

bool is_surrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

std::string sanitize(std::string_view s, bool keep_surrogates) {
  std::string out;
  out.reserve(s.size() + 8);
  size_t pos = 0;
  while (pos < s.size()) append_utf8(&out, decode_one(s, &pos, keep_surrogates));
  return out;
}

}  // namespace

char32_t decode_utf8(std::string_view s, size_t* pos) { return decode_one(s, pos, true); }

void append_utf8(std::string* out, char32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append_utf8(out, kReplacementChar);
  }
}

bool is_valid_utf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<uint8_t>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t start = pos;
    char32_t cp = decode_one(s, &pos, false);
    if (cp == kReplacementChar && !(pos - start == 3 && static_cast<uint8_t>(s[start]) == 0xEF)) return false;
  }
  return true;
}

std::string sanitize_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  return sanitize(s, false);
}

std::string sanitize_wtf8(std::string_view s) { return sanitize(s, true); }

bool has_surrogates(std::string_view s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (static_cast<uint8_t>(s[i]) == 0xED && static_cast<uint8_t>(s[i + 1]) >= 0xA0) return true;
  }
  return false;
}

std::string to_well_formed(std::string_view s) {
  if (!has_surrogates(s)) return std::string(s);
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t c = decode_one(s, &pos, true);
    append_utf8(&out, is_surrogate(c) ? kReplacementChar : c);
  }
  return out;
}

size_t incomplete_utf8_suffix(std::string_view s) {
  // Look back for a lead byte at most 3 bytes from the end; hold the bytes back if they are a valid,
  // unfinished prefix of a sequence.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    uint8_t b = static_cast<uint8_t>(s[n - back]);
    if (b >= 0x80 && b <= 0xBF) continue;  // continuation byte: keep looking for the lead
    auto [lo, hi] = second_byte_range(b);
    if (lo == 0 || static_cast<size_t>(sequence_length(b)) <= back) return 0;
    for (size_t k = 1; k < back; ++k) {
      uint8_t c = static_cast<uint8_t>(s[n - back + k]);
      if (!(k == 1 ? in_range(c, lo, hi) : in_range(c, 0x80, 0xBF))) return 0;
    }
    return back;
  }
  return 0;
}

std::u32string to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(decode_one(s, &pos, true));
  return out;
}

std::string to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(&out, c);
  return out;
}

const char* unicode_version() { return tables::kUnicodeVersion; }

// ---- general category -------------------------------------------------------------------------

namespace {

// One byte per code point (1.1 MB), filled once from the range table: category lookups sit in the
// pre-tokenizer's inner loop.
const uint8_t* category_table() {
  static const std::unique_ptr<uint8_t[]> table = [] {
    auto t = std::make_unique<uint8_t[]>(0x110000);  // zero-filled: kCn
    for (size_t i = 0; i < tables::kGeneralCategoryCount; ++i) {
      const auto& r = tables::kGeneralCategory[i];
      std::fill(t.get() + r.first, t.get() + r.last + 1, r.value);
    }
    return t;
  }();
  return table.get();
}

uint32_t bits(std::initializer_list<GeneralCategory> cats) {
  uint32_t m = 0;
  for (auto c : cats) m |= 1u << c;
  return m;
}

}  // namespace

GeneralCategory general_category(char32_t cp) {
  if (cp >= 0x110000) return kCn;
  return static_cast<GeneralCategory>(category_table()[cp]);
}

bool is_js_space(char32_t cp) {
  switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

uint32_t category_mask(std::string_view name) {
  for (std::string_view prefix : {"General_Category=", "gc="}) {
    if (name.substr(0, prefix.size()) == prefix) name.remove_prefix(prefix.size());
  }
  struct Entry { std::string_view short_name, long_name; uint32_t mask; };
  static const Entry kEntries[] = {
      {"L", "Letter", bits({kLu, kLl, kLt, kLm, kLo})},
      {"LC", "Cased_Letter", bits({kLu, kLl, kLt})},
      {"Lu", "Uppercase_Letter", bits({kLu})}, {"Ll", "Lowercase_Letter", bits({kLl})},
      {"Lt", "Titlecase_Letter", bits({kLt})}, {"Lm", "Modifier_Letter", bits({kLm})},
      {"Lo", "Other_Letter", bits({kLo})},
      {"M", "Mark", bits({kMn, kMc, kMe})}, {"Mn", "Nonspacing_Mark", bits({kMn})},
      {"Mc", "Spacing_Mark", bits({kMc})}, {"Me", "Enclosing_Mark", bits({kMe})},
      {"N", "Number", bits({kNd, kNl, kNo})}, {"Nd", "Decimal_Number", bits({kNd})},
      {"Nl", "Letter_Number", bits({kNl})}, {"No", "Other_Number", bits({kNo})},
      {"P", "Punctuation", bits({kPc, kPd, kPs, kPe, kPi, kPf, kPo})},
      {"Pc", "Connector_Punctuation", bits({kPc})}, {"Pd", "Dash_Punctuation", bits({kPd})},
      {"Ps", "Open_Punctuation", bits({kPs})}, {"Pe", "Close_Punctuation", bits({kPe})},
      {"Pi", "Initial_Punctuation", bits({kPi})}, {"Pf", "Final_Punctuation", bits({kPf})},
      {"Po", "Other_Punctuation", bits({kPo})},
      {"S", "Symbol", bits({kSm, kSc, kSk, kSo})}, {"Sm", "Math_Symbol", bits({kSm})},
      {"Sc", "Currency_Symbol", bits({kSc})}, {"Sk", "Modifier_Symbol", bits({kSk})},
      {"So", "Other_Symbol", bits({kSo})},
      {"Z", "Separator", bits({kZs, kZl, kZp})}, {"Zs", "Space_Separator", bits({kZs})},
      {"Zl", "Line_Separator", bits({kZl})}, {"Zp", "Paragraph_Separator", bits({kZp})},
      {"C", "Other", bits({kCc, kCf, kCs, kCo, kCn})}, {"Cc", "Control", bits({kCc})},
      {"Cf", "Format", bits({kCf})}, {"Cs", "Surrogate", bits({kCs})},
      {"Co", "Private_Use", bits({kCo})}, {"Cn", "Unassigned", bits({kCn})},
  };
  for (const auto& e : kEntries) {
    if (name == e.short_name || name == e.long_name) return e.mask;
  }
  if (name == "Any") return (1u << kCategoryCount) - 1;
  return 0;
}

}  // namespace nt::text
