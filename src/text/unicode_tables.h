// Raw Unicode Character Database tables, generated into unicode_tables.cc by
// tools/unicode/gen_unicode_tables.py. Use the accessors in text/unicode.h instead of these arrays.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nt::text::tables {

struct CodepointRange {
  char32_t first, last;  // inclusive
  uint8_t value;
};

struct Decomposition {
  char32_t cp;
  uint16_t offset;  // into kDecompositionData
  uint8_t length;
  uint8_t compat;   // 1: compatibility mapping (<tag> in UnicodeData.txt), 0: canonical
};

struct CodepointPair {
  char32_t from, to;
};

extern const char kUnicodeVersion[];
extern const CodepointRange kGeneralCategory[];  // value: index into the GeneralCategory enum
extern const size_t kGeneralCategoryCount;
extern const CodepointRange kCombiningClass[];   // value: canonical combining class (non-zero only)
extern const size_t kCombiningClassCount;
extern const CodepointRange kCompositionExclusion[];  // Full_Composition_Exclusion
extern const size_t kCompositionExclusionCount;
extern const Decomposition kDecompositions[];    // sorted by cp
extern const size_t kDecompositionCount;
extern const char32_t kDecompositionData[];
extern const CodepointPair kSimpleLowercase[];   // sorted by from
extern const size_t kSimpleLowercaseCount;

}  // namespace nt::text::tables
