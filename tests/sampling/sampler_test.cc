// Sampler tests. References are independent of the sampler: probabilities are computed here from the definitions
// (softmax, nucleus, min-p), the RNG against values of the published algorithms, and candidate sets against a full
// sort of the vocabulary.
#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <vector>

#include <gtest/gtest.h>

namespace nt {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

Sampler make(const SamplingParams& p) {
  auto s = Sampler::create(p);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  return std::move(s).value();
}

std::vector<float> log_probs(const std::vector<double>& p) {
  std::vector<float> l;
  for (double x : p) l.push_back(static_cast<float>(std::log(x)));
  return l;
}

// Softmax of logits / T in double (the reference distribution).
std::vector<double> softmax(const std::vector<float>& logits, double t) {
  double m = *std::max_element(logits.begin(), logits.end());
  std::vector<double> p;
  double sum = 0;
  for (float l : logits) sum += std::exp((l - m) / t);
  for (float l : logits) p.push_back(std::exp((l - m) / t) / sum);
  return p;
}

std::vector<int> histogram(Sampler& s, const std::vector<float>& logits, int n) {
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < n; ++i) {
    auto t = s.sample(logits, {});
    EXPECT_TRUE(t.is_ok());
    counts[*t]++;
  }
  return counts;
}

std::set<int> drawn(const std::vector<int>& counts) {
  std::set<int> out;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) out.insert(static_cast<int>(i));
  }
  return out;
}

double chi_square(const std::vector<int>& counts, const std::vector<double>& expected_p, int n) {
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    double e = expected_p[i] * n;
    if (e == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " has probability 0 but was drawn";
      continue;
    }
    chi2 += (counts[i] - e) * (counts[i] - e) / e;
  }
  return chi2;
}

TEST(Sampler, RejectsInvalidParams) {
  auto bad = [](auto mutate, const char* field) {
    SamplingParams p;
    mutate(p);
    Status st = validate(p);
    EXPECT_FALSE(st.is_ok()) << field;
    EXPECT_NE(st.message().find(field), std::string::npos) << st.message();
    EXPECT_FALSE(Sampler::create(p).is_ok());
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  bad([](SamplingParams& p) { p.temperature = -0.1f; }, "temperature");
  bad([&](SamplingParams& p) { p.temperature = nan; }, "temperature");
  bad([](SamplingParams& p) { p.temperature = std::numeric_limits<float>::infinity(); }, "temperature");
  bad([](SamplingParams& p) { p.top_k = -1; }, "top_k");
  bad([](SamplingParams& p) { p.top_p = 0.0f; }, "top_p");
  bad([](SamplingParams& p) { p.top_p = 1.01f; }, "top_p");
  bad([&](SamplingParams& p) { p.top_p = nan; }, "top_p");
  bad([](SamplingParams& p) { p.min_p = -0.01f; }, "min_p");
  bad([](SamplingParams& p) { p.min_p = 1.5f; }, "min_p");
  bad([](SamplingParams& p) { p.repetition_penalty = 0.0f; }, "repetition_penalty");
  bad([&](SamplingParams& p) { p.repetition_penalty = nan; }, "repetition_penalty");
  bad([](SamplingParams& p) { p.frequency_penalty = 2.5f; }, "frequency_penalty");
  bad([&](SamplingParams& p) { p.presence_penalty = nan; }, "presence_penalty");
  bad([](SamplingParams& p) { p.penalty_last_n = -2; }, "penalty_last_n");
  bad([](SamplingParams& p) { p.max_tokens = -1; }, "max_tokens");
  SamplingParams ok;
  ok.temperature = 0;
  ok.top_p = 1.0f;
  ok.min_p = 1.0f;
  EXPECT_TRUE(validate(ok).is_ok());
}

TEST(Rng, MatchesPublishedAlgorithms) {
  // splitmix64(0) first output is the well-known 0xE220A8397B1DCDAF; the xoshiro256** outputs below come from a
  // separate Python implementation of the reference C code.
  Rng r0(0);
  EXPECT_EQ(r0.next_u64(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(r0.next_u64(), 0xbf6e1f784956452aull);
  EXPECT_EQ(r0.next_u64(), 0x1a5f849d4933e6e0ull);
  Rng r42(42);
  EXPECT_EQ(r42.next_u64(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(r42.next_u64(), 0x6104d9866d113a7eull);
  EXPECT_EQ(r42.next_u64(), 0xae17533239e499a1ull);
  Rng r(7);
  for (int i = 0; i < 10000; ++i) {
    double u = r.next_uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

TEST(Sampler, SeedMakesRunsReproducible) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(0.37 * i) * 3);
  SamplingParams p;
  p.temperature = 0.9f;
  p.top_k = 50;
  p.top_p = 0.95f;
  p.repetition_penalty = 1.1f;
  p.seed = 1234;
  auto run = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s = make(p);
    std::vector<int32_t> history;
    for (int i = 0; i < 200; ++i) {
      auto t = s.sample(logits, history);
      EXPECT_TRUE(t.is_ok());
      history.push_back(*t);
    }
    return history;
  };
  EXPECT_EQ(run(1234), run(1234));
  EXPECT_NE(run(1234), run(1235));
}

TEST(Sampler, GreedyTakesArgmaxWithTiesToLowestId) {
  SamplingParams p;
  p.temperature = 0;
  Sampler s = make(p);
  EXPECT_EQ(*s.sample(std::vector<float>{1, 3, 3, 2}, {}), 1);
  EXPECT_EQ(*s.sample(std::vector<float>{kNegInf, -5, -5}, {}), 1);
  EXPECT_EQ(*s.sample(std::vector<float>{7, 7, 7}, {}), 0);
  EXPECT_EQ(argmax_lowest_id(std::vector<float>{}), -1);
}

TEST(Sampler, TinyTemperatureIsGreedyWithoutOverflow) {
  SamplingParams p;
  p.temperature = 1e-30f;
  Sampler s = make(p);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(*s.sample(std::vector<float>{1000, -1000, 999.99f}, {}), 0);
}

TEST(Sampler, TemperatureFrequenciesMatchSoftmax) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f, 0.0f, 2.5f, -0.5f};
  for (float t : {1.0f, 0.7f, 1.6f}) {
    SamplingParams p;
    p.temperature = t;
    p.seed = 99;
    Sampler s = make(p);
    const int n = 200000;
    auto counts = histogram(s, logits, n);
    // 7 degrees of freedom: P(chi2 > 24.32) = 0.001.
    EXPECT_LT(chi_square(counts, softmax(logits, t), n), 24.32) << "temperature " << t;
  }
}

TEST(Sampler, NeverDrawsMaskedTokens) {
  std::vector<float> logits = {0.0f, kNegInf, 0.0f, kNegInf};
  SamplingParams p;
  Sampler s = make(p);
  auto counts = histogram(s, logits, 2000);
  EXPECT_EQ(drawn(counts), (std::set<int>{0, 2}));
}

// Probabilities 0.5, 0.25, 0.15, 0.1 (as logits) for the exclusion tests.
const std::vector<float> kFour = log_probs({0.5, 0.25, 0.15, 0.1});

TEST(Sampler, TopKKeepsExactlyKAndRenormalizes) {
  SamplingParams p;
  p.top_k = 2;
  p.seed = 5;
  Sampler s = make(p);
  const int n = 100000;
  auto counts = histogram(s, kFour, n);
  EXPECT_EQ(drawn(counts), (std::set<int>{0, 1}));
  // Renormalized over the two survivors: 2/3, 1/3 (1 degree of freedom: P(chi2 > 10.83) = 0.001).
  EXPECT_LT(chi_square(counts, {2.0 / 3, 1.0 / 3, 0, 0}, n), 10.83);
}

TEST(Sampler, TopKBoundaryTieGoesToLowerId) {
  SamplingParams p;
  p.top_k = 2;
  Sampler s = make(p);
  auto counts = histogram(s, std::vector<float>{1.0f, 2.0f, 1.0f, 1.0f}, 2000);
  EXPECT_EQ(drawn(counts), (std::set<int>{0, 1}));
}

TEST(Sampler, TopPKeepsSmallestPrefixReachingTheMass) {
  auto kept = [](float top_p, float temperature, int top_k) {
    SamplingParams p;
    p.top_p = top_p;
    p.temperature = temperature;
    p.top_k = top_k;
    Sampler s = make(p);
    return drawn(histogram(s, kFour, 20000));
  };
  EXPECT_EQ(kept(0.4f, 1, 0), (std::set<int>{0}));
  EXPECT_EQ(kept(0.7f, 1, 0), (std::set<int>{0, 1}));      // 0.5 < 0.7 <= 0.75
  EXPECT_EQ(kept(0.8f, 1, 0), (std::set<int>{0, 1, 2}));   // 0.75 < 0.8 <= 0.9
  EXPECT_EQ(kept(0.95f, 1, 0), (std::set<int>{0, 1, 2, 3}));
  // Temperature first: at T = 2 the probabilities are ∝ sqrt(p) = .370 .262 .203 .165, so 0.7 needs three tokens.
  EXPECT_EQ(kept(0.7f, 2, 0), (std::set<int>{0, 1, 2}));
  // Top-k first: over the top 3 the mass is .556 .278 .167, so 0.8 needs two tokens (three without top-k).
  EXPECT_EQ(kept(0.8f, 1, 3), (std::set<int>{0, 1}));
}

TEST(Sampler, TopPFrequenciesMatchRenormalizedNucleus) {
  SamplingParams p;
  p.top_p = 0.8f;
  p.seed = 11;
  Sampler s = make(p);
  const int n = 100000;
  auto counts = histogram(s, kFour, n);
  EXPECT_LT(chi_square(counts, {0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0}, n), 13.82);  // 2 dof, p = 0.001
}

TEST(Sampler, MinPDropsTokensBelowFractionOfTheBest) {
  auto kept = [](float min_p, float temperature) {
    SamplingParams p;
    p.min_p = min_p;
    p.temperature = temperature;
    Sampler s = make(p);
    return drawn(histogram(s, kFour, 20000));
  };
  EXPECT_EQ(kept(0.25f, 1), (std::set<int>{0, 1, 2}));  // threshold 0.125
  EXPECT_EQ(kept(0.35f, 1), (std::set<int>{0, 1}));     // threshold 0.175
  EXPECT_EQ(kept(1.0f, 1), (std::set<int>{0}));
  // After temperature 2 the ratios to the best are sqrt(p / 0.5) = 1, .707, .548, .447.
  EXPECT_EQ(kept(0.5f, 2), (std::set<int>{0, 1, 2}));
}

TEST(Sampler, LargeVocabularyCandidateSetsMatchFullSort) {
  const int32_t vocab = 131072;
  std::vector<float> logits(vocab);
  Rng gen(2024);
  for (auto& l : logits) l = static_cast<float>(gen.next_uniform() * 12.0 - 6.0);
  logits[777] = logits[778] = 9.0f;  // a tie among the best
  std::vector<int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });

  struct Case { int32_t top_k; float top_p; float min_p; float temperature; };
  for (Case c : {Case{40, 1.0f, 0.0f, 1.0f}, Case{0, 0.9f, 0.0f, 1.0f}, Case{0, 0.5f, 0.0f, 0.3f},
                 Case{1000, 0.95f, 0.05f, 0.8f}, Case{0, 1.0f, 0.2f, 1.0f}}) {
    // Reference: full descending order → top-k → nucleus on renormalized mass → min-p.
    std::vector<int32_t> ref(order.begin(), order.begin() + (c.top_k ? c.top_k : vocab));
    double m = logits[ref[0]];
    std::vector<double> w;
    double total = 0;
    for (int32_t id : ref) { w.push_back(std::exp((logits[id] - m) / c.temperature)); total += w.back(); }
    size_t keep = ref.size();
    if (c.top_p < 1.0f) {
      double cum = 0;
      for (size_t i = 0; i < ref.size(); ++i) {
        cum += w[i];
        if (cum >= c.top_p * total) { keep = i + 1; break; }
      }
    }
    size_t kept = 1;
    while (kept < keep && w[kept] >= c.min_p) ++kept;
    ref.resize(kept);

    SamplingParams p;
    p.top_k = c.top_k;
    p.top_p = c.top_p;
    p.min_p = c.min_p;
    p.temperature = c.temperature;
    Sampler s = make(p);
    ASSERT_TRUE(s.sample(logits, {}).is_ok());
    std::vector<int32_t> got(s.last_candidates().begin(), s.last_candidates().end());
    if (c.top_k == 0 && c.top_p == 1.0f) std::sort(ref.begin(), ref.end());  // unsorted path walks ids in order
    EXPECT_EQ(got, ref) << "top_k " << c.top_k << " top_p " << c.top_p << " min_p " << c.min_p;
  }
}

TEST(Sampler, PenaltiesExactValues) {
  // logits 2, -2, 1, 0.5; history counts: token 0 twice, token 1 once, token 3 once.
  const std::vector<float> base = {2.0f, -2.0f, 1.0f, 0.5f};
  const std::vector<int32_t> history = {0, 1, 0, 3};
  std::vector<int32_t> scratch;
  SamplingParams p;
  p.repetition_penalty = 2.0f;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  p.penalty_last_n = -1;
  std::vector<float> l = base;
  ASSERT_TRUE(apply_penalties(p, l, history, &scratch).is_ok());
  EXPECT_FLOAT_EQ(l[0], 2.0f / 2 - (0.5f * 2 + 0.25f));   // -0.25
  EXPECT_FLOAT_EQ(l[1], -2.0f * 2 - (0.5f * 1 + 0.25f));  // -4.75
  EXPECT_FLOAT_EQ(l[2], 1.0f);                            // not in the window
  EXPECT_FLOAT_EQ(l[3], 0.5f / 2 - (0.5f + 0.25f));       // -0.5

  p.penalty_last_n = 2;  // window = {0, 3}
  l = base;
  ASSERT_TRUE(apply_penalties(p, l, history, &scratch).is_ok());
  EXPECT_FLOAT_EQ(l[0], 2.0f / 2 - 0.75f);
  EXPECT_FLOAT_EQ(l[1], -2.0f);
  EXPECT_FLOAT_EQ(l[3], 0.5f / 2 - 0.75f);

  p.penalty_last_n = 0;  // off
  l = base;
  ASSERT_TRUE(apply_penalties(p, l, history, &scratch).is_ok());
  EXPECT_EQ(l, base);

  // Negative presence penalty (OpenAI allows [-2, 2]) raises seen tokens.
  SamplingParams q;
  q.presence_penalty = -1.0f;
  q.penalty_last_n = -1;
  l = base;
  ASSERT_TRUE(apply_penalties(q, l, history, &scratch).is_ok());
  EXPECT_FLOAT_EQ(l[1], -1.0f);
  EXPECT_FLOAT_EQ(l[2], 1.0f);
}

TEST(Sampler, PenaltiesChangeTheGreedyChoice) {
  SamplingParams p;
  p.temperature = 0;
  p.repetition_penalty = 1.5f;
  p.penalty_last_n = -1;
  Sampler s = make(p);
  // 3.0 / 1.5 = 2.0 < 2.5: the repeated token loses.
  EXPECT_EQ(*s.sample(std::vector<float>{3.0f, 2.5f}, std::vector<int32_t>{0}), 1);
  EXPECT_EQ(*s.sample(std::vector<float>{3.0f, 2.5f}, {}), 0);
}

TEST(Sampler, RejectsBadLogitsAndHistory) {
  Sampler s = make(SamplingParams{});
  EXPECT_FALSE(s.sample(std::vector<float>{}, {}).is_ok());
  EXPECT_FALSE(s.sample(std::vector<float>{0, std::numeric_limits<float>::quiet_NaN()}, {}).is_ok());
  EXPECT_FALSE(s.sample(std::vector<float>{0, std::numeric_limits<float>::infinity()}, {}).is_ok());
  EXPECT_FALSE(s.sample(std::vector<float>{kNegInf, kNegInf}, {}).is_ok());
  SamplingParams p;
  p.repetition_penalty = 1.2f;
  Sampler t = make(p);
  auto r = t.sample(std::vector<float>{0, 1}, std::vector<int32_t>{5});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("outside the vocabulary"), std::string::npos);
  EXPECT_FALSE(t.sample(std::vector<float>{0, 1}, std::vector<int32_t>{-1}).is_ok());
}

}  // namespace
}  // namespace nt
