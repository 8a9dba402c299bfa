// The engine against golden logits from the independent Python reference (tools/reference/), for every
// fixture case: prefill (chunked SSD and recurrent scan), token-by-token decode, and greedy ids.
#include <cmath>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "formats/npy.h"
#include "model/hybrid_lm.h"
#include "test_util.h"

namespace nt {
namespace {

constexpr float kTol = 1e-4f;  // max |logit - golden| for F32 (and for BF16/F16 weights, whose values the reference up-casts)

struct Golden {
  std::vector<int32_t> tokens, greedy_prompt, greedy_ids;
  NpyArray logits;
};

Golden load_golden(const std::string& dir) {
  Golden g;
  auto text = read_text_file(dir + "/golden.json");
  EXPECT_TRUE(text.is_ok());
  auto j = parse_json(*text, "golden.json");
  EXPECT_TRUE(j.is_ok());
  g.tokens = (*j)["tokens"].get<std::vector<int32_t>>();
  g.greedy_prompt = (*j)["greedy_prompt"].get<std::vector<int32_t>>();
  g.greedy_ids = (*j)["greedy_ids"].get<std::vector<int32_t>>();
  auto a = read_npy(dir + "/" + (*j)["logits_file"].get<std::string>());
  EXPECT_TRUE(a.is_ok()) << a.status().message();
  g.logits = std::move(a).value();
  return g;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = test::fixtures_dir() + "/" + GetParam();
    auto m = HybridLM::load(dir_);
    ASSERT_TRUE(m.is_ok()) << m.status().message();
    model_ = std::move(m).value();
    golden_ = load_golden(dir_);
  }

  std::vector<float> prefill(ScanMode scan, int threads) {
    ThreadPool pool(threads);
    SequenceState s = model_->new_state();
    std::vector<float> logits;
    ForwardOptions o{LogitsMode::All, scan};
    Status st = model_->forward(golden_.tokens.data(), static_cast<int64_t>(golden_.tokens.size()), s, o, &logits, pool);
    EXPECT_TRUE(st.is_ok()) << st.message();
    return logits;
  }

  std::string dir_;
  std::unique_ptr<HybridLM> model_;
  Golden golden_;
};

TEST_P(GoldenTest, PrefillChunkedMatchesReference) {
  EXPECT_LE(max_abs_diff(prefill(ScanMode::Chunked, 2), golden_.logits.data), kTol);
}

TEST_P(GoldenTest, PrefillRecurrentMatchesReference) {
  EXPECT_LE(max_abs_diff(prefill(ScanMode::Recurrent, 1), golden_.logits.data), kTol);
}

TEST_P(GoldenTest, DecodeMatchesPrefillAndReference) {
  ThreadPool pool(2);
  SequenceState s = model_->new_state();
  const int64_t V = model_->config().vocab_size;
  std::vector<float> all, row;
  for (int32_t tok : golden_.tokens) {
    ASSERT_TRUE(model_->forward(&tok, 1, s, {LogitsMode::Last, ScanMode::Auto}, &row, pool).is_ok());
    ASSERT_EQ(row.size(), static_cast<size_t>(V));
    all.insert(all.end(), row.begin(), row.end());
  }
  EXPECT_LE(max_abs_diff(all, golden_.logits.data), kTol);
  EXPECT_LE(max_abs_diff(all, prefill(ScanMode::Auto, 2)), kTol);
}

TEST_P(GoldenTest, SplitPrefillContinuesState) {
  // Prefill in two uneven pieces (state carried across) equals one prefill.
  ThreadPool pool(2);
  SequenceState s = model_->new_state();
  const auto& t = golden_.tokens;
  const int64_t cut = static_cast<int64_t>(t.size()) / 3 + 1;
  std::vector<float> a, b;
  ASSERT_TRUE(model_->forward(t.data(), cut, s, {LogitsMode::All, ScanMode::Auto}, &a, pool).is_ok());
  if (cut < static_cast<int64_t>(t.size())) {
    ASSERT_TRUE(model_->forward(t.data() + cut, static_cast<int64_t>(t.size()) - cut, s, {LogitsMode::All, ScanMode::Auto}, &b, pool).is_ok());
  }
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_LE(max_abs_diff(a, golden_.logits.data), kTol);
}

TEST_P(GoldenTest, GreedyIdsMatchReference) {
  ThreadPool pool(2);
  SequenceState s = model_->new_state();
  std::vector<float> logits;
  const auto& p = golden_.greedy_prompt;
  ASSERT_TRUE(model_->forward(p.data(), static_cast<int64_t>(p.size()), s, {LogitsMode::Last, ScanMode::Auto}, &logits, pool).is_ok());
  std::vector<int32_t> ids;
  for (size_t i = 0; i < golden_.greedy_ids.size(); ++i) {
    int32_t best = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    ids.push_back(best);
    ASSERT_TRUE(model_->forward(&best, 1, s, {LogitsMode::Last, ScanMode::Auto}, &logits, pool).is_ok());
  }
  EXPECT_EQ(ids, golden_.greedy_ids);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::ValuesIn(test::fixture_cases()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace nt
