// StateCache: longest-prefix restore, byte-bounded LRU, and exactness — continuing from a snapshot gives the
// logits of computing the whole sequence from scratch.
#include "runtime/state_cache.h"

#include <cmath>

#include <gtest/gtest.h>

#include "model/hybrid_lm.h"
#include "test_util.h"

namespace nt {
namespace {

class StateCacheTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto m = HybridLM::load(test::fixtures_dir() + "/" + GetParam());
    ASSERT_TRUE(m.is_ok()) << m.status().message();
    model_ = std::move(m).value();
  }
  std::vector<float> run(const std::vector<int32_t>& toks, SequenceState& s, LogitsMode mode = LogitsMode::All) {
    std::vector<float> logits;
    EXPECT_TRUE(model_->forward(toks.data(), static_cast<int64_t>(toks.size()), s, {mode, ScanMode::Auto}, &logits, pool_).is_ok());
    return logits;
  }
  std::unique_ptr<HybridLM> model_;
  ThreadPool pool_{2};
};

TEST_P(StateCacheTest, ResumeFromSnapshotEqualsScratch) {
  const int32_t V = static_cast<int32_t>(model_->config().vocab_size);
  std::vector<int32_t> turn1, turn2;
  for (int i = 0; i < 23; ++i) turn1.push_back((i * 37 + 5) % V);
  for (int i = 0; i < 17; ++i) turn2.push_back((i * 11 + 3) % V);
  std::vector<int32_t> whole = turn1;
  whole.insert(whole.end(), turn2.begin(), turn2.end());

  SequenceState scratch = model_->new_state();
  std::vector<float> expected = run(whole, scratch, LogitsMode::Last);

  StateCache cache(64 << 20);
  SequenceState s1 = model_->new_state();
  run(turn1, s1, LogitsMode::None);
  cache.put(turn1, s1);
  run({1, 2, 3}, s1, LogitsMode::None);  // the live state moves on; the snapshot must not

  SequenceState restored = model_->new_state();
  ASSERT_EQ(cache.restore_longest_prefix(whole, static_cast<int64_t>(whole.size()) - 1, &restored), 23);
  EXPECT_EQ(restored.n_past, 23);
  std::vector<float> got = run(turn2, restored, LogitsMode::Last);
  ASSERT_EQ(got.size(), expected.size());
  float worst = 0;
  for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - expected[i]));
  EXPECT_LT(worst, 1e-5f);
  EXPECT_EQ(cache.hits(), 1);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, StateCacheTest, ::testing::Values("dense_f32", "moe_f32"),
                         [](const auto& info) { return info.param; });

TEST(StateCache, LongestPrefixAndLimits) {
  ModelConfig c;
  c.layers = {LayerKind::Mamba};
  c.mamba_num_heads = 2; c.mamba_head_dim = 4; c.ssm_state_size = 4; c.n_groups = 1; c.conv_kernel = 2;
  auto make = [&](int64_t n) { SequenceState s = SequenceState::create(c); s.n_past = n; return s; };
  const int64_t one = StateCache::state_bytes(make(1));
  StateCache cache(3 * (one + 64));
  cache.put({1, 2}, make(2));
  cache.put({1, 2, 3, 4}, make(4));
  cache.put({9}, make(1));
  cache.put({5, 5, 5}, make(2));  // token count disagrees with the state: refused
  EXPECT_EQ(cache.size(), 3u);
  SequenceState out;
  EXPECT_EQ(cache.restore_longest_prefix({1, 2, 3, 4, 5}, 10, &out), 4);
  EXPECT_EQ(cache.restore_longest_prefix({1, 2, 3, 4, 5}, 3, &out), 2);  // max_len bounds the match
  EXPECT_EQ(cache.restore_longest_prefix({7}, 10, &out), 0);
  EXPECT_EQ(cache.misses(), 1);
  // A fourth snapshot evicts the least recently used one ({9}).
  cache.put({8, 8}, make(2));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.restore_longest_prefix({9, 1}, 10, &out), 0);
  EXPECT_LE(cache.bytes(), 3 * (one + 64));
  StateCache tiny(10);
  tiny.put({1}, make(1));  // larger than the whole cache: not stored
  EXPECT_EQ(tiny.size(), 0u);
}

}  // namespace
}  // namespace nt
