// Internals of text/regex: the parsed syntax tree and character classes. Only regex*.cc include this.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace nt::text {

// A set of code points: a union of items, optionally negated as a whole ([^...]).
struct CharClass {
  struct Item {
    enum Kind : uint8_t { kRange, kCategories, kSpace, kDigit, kWord } kind;
    bool negated = false;     // \S, \D, \W, \P{..}
    char32_t lo = 0, hi = 0;  // kRange
    uint32_t mask = 0;        // kCategories: bit per GeneralCategory
  };
  std::vector<Item> items;
  bool negated = false;
  uint64_t ascii[2] = {0, 0};  // membership of code points < 128, with negation applied

  void add_range(char32_t lo, char32_t hi) { items.push_back({Item::kRange, false, lo, hi, 0}); }
  void finalize();  // fills `ascii`; call after the last item is added
  bool contains_slow(char32_t cp) const;
  bool contains(char32_t cp) const {
    if (cp < 128) return (ascii[cp >> 6] >> (cp & 63)) & 1;
    return contains_slow(cp);
  }
};

struct RegexNode {
  enum Kind : uint8_t {
    kEmpty, kClass, kConcat, kAlternate, kRepeat, kGroup,
    kLineStart, kLineEnd, kWordBoundary, kNotWordBoundary, kLookahead, kNegLookahead, kAtomic
  } kind = kEmpty;
  int class_index = -1;  // kClass: index into ParsedRegex::classes
  std::vector<std::unique_ptr<RegexNode>> children;
  int min = 0, max = -1;  // kRepeat; max -1 = unbounded
  bool greedy = true, possessive = false;
};

struct ParsedRegex {
  std::unique_ptr<RegexNode> root;
  std::vector<CharClass> classes;
};

Result<ParsedRegex> parse_regex(std::string_view pattern);

}  // namespace nt::text
