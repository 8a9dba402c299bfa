// Stop conditions over streamed text: stop strings (OpenAI `stop`) and the set of end-of-sequence token ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace nt {

// Length of the longest suffix of `s` that is an incomplete UTF-8 sequence (a lead byte not yet followed by all its
// continuation bytes); 0 when `s` ends on a character boundary. Invalid bytes are never held (they count as complete).
size_t incomplete_utf8_suffix(std::string_view s);

// Length of the longest suffix of `text` that is a proper prefix of `pattern` (0 if none).
size_t partial_match_suffix(std::string_view text, std::string_view pattern);

// Matches stop strings against text that arrives piece by piece (one detokenized token at a time).
// Text that could still turn out to be the start of a stop string is held back, so a stop string split across
// pieces is never emitted; an incomplete trailing UTF-8 sequence is held back too, so emitted text never ends in
// the middle of a character. When a stop string is found, the text before it is emitted and the stop string itself
// (and anything after it) is dropped, as the OpenAI API does. The earliest match wins; among stop strings matching
// at the same position the first one listed wins.
class StopMatcher {
 public:
  struct Output {
    std::string text;      // safe to emit now
    bool stopped = false;  // a stop string was hit; generation must end
    int stop_index = -1;   // which stop string (index into the constructor's list)
  };

  // Empty stop strings are ignored.
  explicit StopMatcher(std::vector<std::string> stop_strings);

  Output push(std::string_view piece);
  // End of generation without a stop string: releases the held-back text.
  std::string flush();

  bool stopped() const { return stopped_; }
  // Bytes currently held back (bounded by the longest stop string + 3 UTF-8 bytes).
  size_t held_bytes() const { return held_.size(); }

 private:
  std::vector<std::pair<int, std::string>> stops_;  // (index in the constructor's list, stop string)
  std::string held_;
  bool stopped_ = false;
};

// End-of-sequence ids from the three places checkpoints put them, deduplicated in first-seen order:
// generation_config.json `eos_token_id` (int or list of ints), config.json `eos_token_id` (same), and the tokenizer's
// eos token id (resolved by the caller from tokenizer_config.json / tokenizer.json). Any argument may be absent
// (nullptr / nullopt); a present `eos_token_id` that is null is skipped. Wrong types and negative ids are errors.
Result<std::vector<int32_t>> collect_eos_ids(const Json* generation_config, const Json* config,
                                             std::optional<int32_t> tokenizer_eos_id);

}  // namespace nt
