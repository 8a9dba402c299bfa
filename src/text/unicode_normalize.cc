// NFC / NFD / NFKC / NFKD (UAX #15) and String.prototype.toLowerCase, from the generated UCD tables.
#include <algorithm>
#include <unordered_map>

#include "text/unicode.h"
#include "text/unicode_tables.h"

namespace nt::text {

namespace {

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

template <typename T>
const T* find_range(const T* table, size_t n, char32_t cp) {
  const T* end = table + n;
  const T* it = std::upper_bound(table, end, cp, [](char32_t c, const T& r) { return c < r.first; });
  if (it == table) return nullptr;
  --it;
  return cp <= it->last ? it : nullptr;
}

uint8_t combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto* r = find_range(tables::kCombiningClass, tables::kCombiningClassCount, cp);
  return r ? r->value : 0;
}

const tables::Decomposition* find_decomposition(char32_t cp) {
  const auto* end = tables::kDecompositions + tables::kDecompositionCount;
  const auto* it = std::lower_bound(tables::kDecompositions, end, cp,
                                    [](const tables::Decomposition& d, char32_t c) { return d.cp < c; });
  return it != end && it->cp == cp ? it : nullptr;
}

void decompose(char32_t cp, bool compat, std::u32string* out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    char32_t s = cp - kSBase;
    out->push_back(kLBase + s / kNCount);
    out->push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out->push_back(kTBase + s % kTCount);
    return;
  }
  const auto* d = cp < 0xA0 ? nullptr : find_decomposition(cp);
  if (!d || (d->compat && !compat)) {
    out->push_back(cp);
    return;
  }
  for (int i = 0; i < d->length; ++i) decompose(tables::kDecompositionData[d->offset + i], compat, out);
}

// Primary composites: canonical pairs (starter, combining) -> composite, minus Full_Composition_Exclusion.
const std::unordered_map<uint64_t, char32_t>& composition_pairs() {
  static const std::unordered_map<uint64_t, char32_t> pairs = [] {
    std::unordered_map<uint64_t, char32_t> m;
    for (size_t i = 0; i < tables::kDecompositionCount; ++i) {
      const auto& d = tables::kDecompositions[i];
      if (d.compat || d.length != 2) continue;
      if (find_range(tables::kCompositionExclusion, tables::kCompositionExclusionCount, d.cp)) continue;
      uint64_t key = (uint64_t{tables::kDecompositionData[d.offset]} << 21) | tables::kDecompositionData[d.offset + 1];
      m.emplace(key, d.cp);
    }
    return m;
  }();
  return pairs;
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const auto& m = composition_pairs();
  auto it = m.find((uint64_t{a} << 21) | b);
  return it == m.end() ? 0 : it->second;
}

// Canonical ordering: stable-sort every run of non-starters by combining class.
void reorder(std::u32string* s) {
  size_t i = 0;
  while (i < s->size()) {
    if (combining_class((*s)[i]) == 0) { ++i; continue; }
    size_t j = i;
    while (j < s->size() && combining_class((*s)[j]) != 0) ++j;
    if (j - i > 1) {
      std::stable_sort(s->begin() + i, s->begin() + j,
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    }
    i = j;
  }
}

void compose(std::u32string* s) {
  if (s->empty()) return;
  std::u32string& v = *s;
  size_t starter = 0;
  bool have_starter = combining_class(v[0]) == 0;
  int last_ccc = have_starter ? 0 : 256;
  size_t out = 1;
  for (size_t i = 1; i < v.size(); ++i) {
    char32_t c = v[i];
    int ccc = combining_class(c);
    bool blocked = have_starter && out - 1 != starter && (last_ccc == 0 || last_ccc >= ccc);
    if (have_starter && !blocked) {
      if (char32_t comp = compose_pair(v[starter], c)) {
        v[starter] = comp;
        continue;
      }
    }
    if (ccc == 0) {
      starter = out;
      have_starter = true;
    }
    last_ccc = ccc;
    v[out++] = c;
  }
  v.resize(out);
}

bool all_below(std::string_view s, unsigned char limit) {
  for (char c : s) if (static_cast<unsigned char>(c) >= limit) return false;
  return true;
}

}  // namespace

std::string normalize(std::string_view utf8, NormalForm form) {
  if (all_below(utf8, 0x80)) return std::string(utf8);  // ASCII is invariant under every form
  const bool compat = form == NormalForm::kNFKC || form == NormalForm::kNFKD;
  std::u32string d;
  d.reserve(utf8.size());
  size_t pos = 0;
  while (pos < utf8.size()) decompose(decode_utf8(utf8, &pos), compat, &d);
  reorder(&d);
  if (form == NormalForm::kNFC || form == NormalForm::kNFKC) compose(&d);
  return to_utf8(d);
}

namespace {

char32_t simple_lower(char32_t cp) {
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  const auto* end = tables::kSimpleLowercase + tables::kSimpleLowercaseCount;
  const auto* it = std::lower_bound(tables::kSimpleLowercase, end, cp,
                                    [](const tables::CodepointPair& p, char32_t c) { return p.from < c; });
  return it != end && it->from == cp ? it->to : cp;
}

// Approximations of the Cased / Case_Ignorable properties used by the Final_Sigma condition.
bool is_cased(char32_t cp) {
  auto gc = general_category(cp);
  return gc == kLu || gc == kLl || gc == kLt;
}
bool is_case_ignorable(char32_t cp) {
  auto gc = general_category(cp);
  return gc == kMn || gc == kMe || gc == kCf || gc == kLm || gc == kSk || cp == '\'' || cp == '.' || cp == ':' ||
         cp == 0xB7 || cp == 0x2019;
}

bool final_sigma(const std::u32string& s, size_t i) {
  size_t j = i;
  bool before = false;
  while (j > 0) {
    char32_t c = s[--j];
    if (is_case_ignorable(c)) continue;
    before = is_cased(c);
    break;
  }
  if (!before) return false;
  for (size_t k = i + 1; k < s.size(); ++k) {
    if (is_case_ignorable(s[k])) continue;
    return !is_cased(s[k]);
  }
  return true;
}

}  // namespace

std::string to_lower(std::string_view utf8) {
  std::u32string s = to_u32(utf8);
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c == 0x130) {  // the one unconditional multi-character lowercase mapping (SpecialCasing.txt)
      out.push_back(0x69);
      out.push_back(0x307);
    } else if (c == 0x3A3) {
      out.push_back(final_sigma(s, i) ? 0x3C2 : 0x3C3);
    } else {
      out.push_back(simple_lower(c));
    }
  }
  return to_utf8(out);
}

}  // namespace nt::text
