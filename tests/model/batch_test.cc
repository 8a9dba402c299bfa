// Batched forward: several sequences stacked in one pass (mixed prefill and decode rows, different lengths,
// some continuing existing state) give the logits each would get alone.
#include <cmath>

#include <gtest/gtest.h>

#include "model/hybrid_lm.h"
#include "test_util.h"

namespace nt {
namespace {

class BatchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchTest, BatchEqualsSequential) {
  auto m = HybridLM::load(test::fixtures_dir() + "/" + GetParam());
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  const HybridLM& lm = **m;
  const int32_t V = static_cast<int32_t>(lm.config().vocab_size);
  ThreadPool pool(2);
  auto seq = [&](int len, int mul) {
    std::vector<int32_t> v;
    for (int i = 0; i < len; ++i) v.push_back((i * mul + 7) % V);
    return v;
  };
  // Three sequences: a fresh 13-token prefill, a 1-token decode after a 9-token history, a 5-token chunk after 4.
  std::vector<int32_t> a = seq(13, 31), b_hist = seq(9, 17), b = {5}, c_hist = seq(4, 3), c = seq(5, 29);
  SequenceState sa = lm.new_state(), sb = lm.new_state(), sc = lm.new_state();
  std::vector<float> tmp;
  ASSERT_TRUE(lm.forward(b_hist.data(), 9, sb, {LogitsMode::None, ScanMode::Auto}, nullptr, pool).is_ok());
  ASSERT_TRUE(lm.forward(c_hist.data(), 4, sc, {LogitsMode::None, ScanMode::Auto}, nullptr, pool).is_ok());
  SequenceState sa2 = sa, sb2 = sb, sc2 = sc;

  std::vector<float> ea, eb, ec;  // alone
  ASSERT_TRUE(lm.forward(a.data(), 13, sa2, {LogitsMode::All, ScanMode::Auto}, &ea, pool).is_ok());
  ASSERT_TRUE(lm.forward(b.data(), 1, sb2, {LogitsMode::Last, ScanMode::Auto}, &eb, pool).is_ok());
  ASSERT_TRUE(lm.forward(c.data(), 5, sc2, {LogitsMode::Last, ScanMode::Auto}, &ec, pool).is_ok());

  const HybridLM::BatchItem items[] = {{a.data(), 13, &sa, LogitsMode::All},
                                       {b.data(), 1, &sb, LogitsMode::Last},
                                       {c.data(), 5, &sc, LogitsMode::Last}};
  std::vector<float> got;
  ASSERT_TRUE(lm.forward_batch(items, ScanMode::Auto, &got, pool).is_ok());
  std::vector<float> expected = ea;
  expected.insert(expected.end(), eb.begin(), eb.end());
  expected.insert(expected.end(), ec.begin(), ec.end());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], expected[i], 1e-5) << "row " << i / V;
  EXPECT_EQ(sa.n_past, 13);
  EXPECT_EQ(sb.n_past, 10);
  EXPECT_EQ(sc.n_past, 9);
  // States advanced identically: one more decode step from each agrees.
  std::vector<float> x, y;
  int32_t next = 3;
  ASSERT_TRUE(lm.forward(&next, 1, sc, {LogitsMode::Last, ScanMode::Auto}, &x, pool).is_ok());
  ASSERT_TRUE(lm.forward(&next, 1, sc2, {LogitsMode::Last, ScanMode::Auto}, &y, pool).is_ok());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], y[i], 1e-5);
}

TEST_P(BatchTest, RejectsBadBatchesWithoutTouchingState) {
  auto m = HybridLM::load(test::fixtures_dir() + "/" + GetParam());
  ASSERT_TRUE(m.is_ok());
  const HybridLM& lm = **m;
  ThreadPool pool(1);
  SequenceState s = lm.new_state();
  int32_t ok = 1, bad = static_cast<int32_t>(lm.config().vocab_size);
  const HybridLM::BatchItem dup[] = {{&ok, 1, &s, LogitsMode::Last}, {&ok, 1, &s, LogitsMode::Last}};
  EXPECT_FALSE(lm.forward_batch(dup, ScanMode::Auto, nullptr, pool).is_ok());
  SequenceState s2 = lm.new_state();
  const HybridLM::BatchItem oob[] = {{&ok, 1, &s, LogitsMode::Last}, {&bad, 1, &s2, LogitsMode::Last}};
  EXPECT_FALSE(lm.forward_batch(oob, ScanMode::Auto, nullptr, pool).is_ok());
  EXPECT_EQ(s.n_past, 0);  // nothing advanced
}

INSTANTIATE_TEST_SUITE_P(Fixtures, BatchTest, ::testing::Values("dense_f32", "moe_f32", "mamba_p80_sharded"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace nt
