// Exact reuse of hybrid state across requests: token-exact snapshots of a sequence's state (Mamba conv + SSM
// state and attention KV), keyed by the token prefix they summarize, in a memory-bounded LRU.
//
// A Mamba state cannot be rolled back, so reuse is by snapshot: a new prompt restarts from the longest cached
// snapshot whose tokens are a prefix of it and pays only for the remaining tokens. Results are identical to
// computing from scratch because a snapshot is a bit-exact copy of the state after exactly those tokens.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "model/state.h"

namespace nt {

class StateCache {
 public:
  explicit StateCache(int64_t max_bytes) : max_bytes_(max_bytes) {}

  // Stores a copy of `state`, which must be the state after exactly `tokens`. Evicts least recently used
  // snapshots to stay within the byte limit; a snapshot larger than the limit is not stored.
  void put(const std::vector<int32_t>& tokens, const SequenceState& state);

  // The snapshot with the longest token prefix of `prompt` (at most `max_len` tokens), copied into `state`.
  // Returns the number of tokens it covers (0 and `state` untouched when nothing matches).
  int64_t restore_longest_prefix(const std::vector<int32_t>& prompt, int64_t max_len, SequenceState* state);

  int64_t bytes() const { return bytes_; }
  size_t size() const { return entries_.size(); }
  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

  static int64_t state_bytes(const SequenceState& s);

 private:
  struct Entry {
    std::vector<int32_t> tokens;
    SequenceState state;
    int64_t bytes;
  };
  void evict_to(int64_t limit);

  int64_t max_bytes_;
  int64_t bytes_ = 0;
  int64_t hits_ = 0, misses_ = 0;
  std::list<Entry> entries_;  // front = most recently used
};

}  // namespace nt
