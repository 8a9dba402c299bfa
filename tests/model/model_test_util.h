// Helpers for tests that run a whole model.
#pragma once

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "core/thread_pool.h"
#include "model/hybrid_lm.h"

namespace nt::test {

// The logits of every position of `tokens` run as one prompt from a fresh state ([T, V]), on 2 threads.
inline std::vector<float> logits_of(const HybridLM& m, const std::vector<int32_t>& tokens) {
  ThreadPool pool(2);
  SequenceState s = m.new_state();
  std::vector<float> logits;
  const ForwardOptions o{LogitsMode::All, ScanMode::Auto};
  const Status st = m.forward(tokens.data(), static_cast<int64_t>(tokens.size()), s, o, &logits, pool);
  EXPECT_TRUE(st.is_ok()) << st.message();
  return logits;
}

}  // namespace nt::test
