// String#toUpperCase / toLowerCase for the scripts chat content commonly uses: ASCII, Latin-1, Latin
// Extended-A, Latin Extended Additional, Greek, Cyrillic, Armenian and fullwidth Latin, plus the multi-letter
// special cases JavaScript applies there (ß -> SS, İ -> i̇). Other code points are left unchanged.
#include "text/jinja/js_text.h"

namespace nt::jinja {

namespace {

// Blocks where upper- and lower-case letters alternate (upper at even or odd code points).
struct AlternatingRange {
  uint32_t first, last;
  bool upper_is_even;
};
constexpr AlternatingRange kAlternating[] = {
    {0x0100, 0x012F, true},  {0x0132, 0x0137, true},  {0x0139, 0x0148, false}, {0x014A, 0x0177, true},
    {0x0179, 0x017E, false}, {0x0460, 0x0481, true},  {0x048A, 0x04BF, true},  {0x04C1, 0x04CE, false},
    {0x04D0, 0x052F, true},  {0x1E00, 0x1E95, true},  {0x1EA0, 0x1EFF, true},
};

// Blocks where the lower-case letter is the upper-case one plus a fixed offset.
struct OffsetRange {
  uint32_t upper_first, upper_last;
  uint32_t offset;
};
constexpr OffsetRange kOffset[] = {
    {0x41, 0x5A, 0x20},       {0xC0, 0xD6, 0x20},       {0xD8, 0xDE, 0x20},     {0x391, 0x3A1, 0x20},
    {0x3A3, 0x3AB, 0x20},     {0x388, 0x38A, 0x25},     {0x38E, 0x38F, 0x3F},   {0x410, 0x42F, 0x20},
    {0x400, 0x40F, 0x50},     {0x531, 0x556, 0x30},     {0xFF21, 0xFF3A, 0x20},
};

uint32_t simple_upper(uint32_t cp) {
  for (const auto& r : kOffset) {
    if (cp >= r.upper_first + r.offset && cp <= r.upper_last + r.offset) return cp - r.offset;
  }
  for (const auto& r : kAlternating) {
    if (cp >= r.first && cp <= r.last && ((cp % 2 == 0) != r.upper_is_even)) return cp - 1;
  }
  switch (cp) {
    case 0xB5: return 0x39C;
    case 0xFF: return 0x178;
    case 0x131: return 0x49;
    case 0x17F: return 0x53;
    case 0x3C2: return 0x3A3;
    case 0x3AC: return 0x386;
    case 0x3CC: return 0x38C;
    case 0x4CF: return 0x4C0;
    default: return cp;
  }
}

uint32_t simple_lower(uint32_t cp) {
  for (const auto& r : kOffset) {
    if (cp >= r.upper_first && cp <= r.upper_last) return cp + r.offset;
  }
  for (const auto& r : kAlternating) {
    if (cp >= r.first && cp <= r.last && ((cp % 2 == 0) == r.upper_is_even)) return cp + 1;
  }
  switch (cp) {
    case 0x178: return 0xFF;
    case 0x386: return 0x3AC;
    case 0x38C: return 0x3CC;
    case 0x4C0: return 0x4CF;
    default: return cp;
  }
}

}  // namespace

std::string js_to_upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_code_point(s, &i);
    if (cp == 0xDF) { out += "SS"; continue; }
    append_utf8(&out, simple_upper(cp));
  }
  return out;
}

std::string js_to_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_code_point(s, &i);
    if (cp == 0x130) { out += "i\xCC\x87"; continue; }
    append_utf8(&out, simple_lower(cp));
  }
  return out;
}

}  // namespace nt::jinja
