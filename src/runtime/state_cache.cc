#include "runtime/state_cache.h"

#include <algorithm>

namespace nt {

int64_t StateCache::state_bytes(const SequenceState& s) {
  int64_t n = 0;
  for (const auto* group : {&s.conv, &s.ssm, &s.k, &s.v})
    for (const auto& x : *group) n += static_cast<int64_t>(x.size() * sizeof(float));
  return n;
}

void StateCache::evict_to(int64_t limit) {
  while (!entries_.empty() && bytes_ > limit) {
    bytes_ -= entries_.back().bytes;
    entries_.pop_back();
  }
}

void StateCache::put(const std::vector<int32_t>& tokens, const SequenceState& state) {
  if (tokens.empty() || static_cast<int64_t>(tokens.size()) != state.n_past) return;
  const int64_t b = state_bytes(state) + static_cast<int64_t>(tokens.size() * sizeof(int32_t));
  if (b > max_bytes_) return;
  // Replace an existing snapshot of the same tokens.
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->tokens == tokens) {
      bytes_ -= it->bytes;
      entries_.erase(it);
      break;
    }
  }
  evict_to(max_bytes_ - b);
  entries_.push_front(Entry{tokens, state, b});
  bytes_ += b;
}

int64_t StateCache::restore_longest_prefix(const std::vector<int32_t>& prompt, int64_t max_len, SequenceState* state) {
  auto best = entries_.end();
  size_t best_len = 0;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const size_t n = it->tokens.size();
    if (n <= best_len || static_cast<int64_t>(n) > max_len || n > prompt.size()) continue;
    if (std::equal(it->tokens.begin(), it->tokens.end(), prompt.begin())) {
      best = it;
      best_len = n;
    }
  }
  if (best == entries_.end()) {
    ++misses_;
    return 0;
  }
  ++hits_;
  *state = best->state;
  entries_.splice(entries_.begin(), entries_, best);
  return static_cast<int64_t>(best_len);
}

}  // namespace nt
