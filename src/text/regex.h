// A small backtracking regex engine for pre-tokenizer patterns (GPT-2, Llama-3, Qwen, Tekken, ...).
//
// It implements the ECMAScript semantics with the 'u' flag that the reference tokenizer
// (transformers.js) runs these patterns with: ordered alternation, greedy and lazy quantifiers,
// \p{General_Category} classes, JavaScript's \s, ASCII-only \d and \w, `.` excluding line
// terminators, lookahead. On top of that it accepts the Oniguruma constructs found in Hugging Face
// tokenizer.json files: possessive quantifiers (X*+, X++, X?+), atomic groups (?>...), and scoped
// case-insensitivity (?i:...) (ASCII letters only, which is what the reference's rewrite of the
// Llama-3 contraction group matches). Anything else (backreferences, lookbehind, script properties)
// is rejected at compile time with a message naming the construct.
//
// Matching works on code points; each match attempt runs on an explicit stack (no recursion per
// input character) under a step budget, so no input can hang or overflow the stack.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace nt::text {

struct CharClass;
struct RegexInst;

class Regex {
 public:
  static Result<Regex> compile(std::string_view pattern);

  Regex();
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  // A match as [begin, end) indices into the code point array.
  struct Match {
    size_t begin = 0, end = 0;
  };
  // All non-overlapping matches scanning left to right, as String.prototype.matchAll does with the
  // 'g' flag (an empty match advances the scan by one code point). Fails only when the step budget is
  // exhausted.
  Status find_all(std::u32string_view text, std::vector<Match>* matches) const;
  // First match starting at or after `from`; false if none.
  Result<bool> search(std::u32string_view text, size_t from, Match* match) const;
  // End of a match anchored exactly at `pos` (a sticky match, as String.prototype.split uses), or -1.
  Result<long long> match_at(std::u32string_view text, size_t pos) const;

  const std::string& pattern() const { return pattern_; }

  struct Program;  // compiled instructions (defined in regex.cc)

 private:
  std::string pattern_;
  std::unique_ptr<Program> prog_;
};

}  // namespace nt::text
