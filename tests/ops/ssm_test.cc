// Mamba ops against plain double-precision references: chunked SSD and recurrence, with odd sizes, chunk tails,
// chunks longer than the sequence, continuation from a non-zero state; conv1d with short inputs.
#include "ops/ssm.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace nt {
namespace {

struct Case {
  int64_t n_heads, head_dim, state, groups, T, chunk;
};

// Scalar reference of spec §5.4 in double.
void reference_scan(const Case& c, const std::vector<float>& xbc, const std::vector<float>& dt,
                    const std::vector<float>& dt_bias, const std::vector<float>& A, const std::vector<float>& D,
                    std::vector<double>& S, std::vector<double>& y) {
  const int64_t P = c.head_dim, N = c.state, d_in = c.n_heads * P, stride = d_in + 2 * c.groups * N;
  y.assign(static_cast<size_t>(c.T * d_in), 0.0);
  for (int64_t t = 0; t < c.T; ++t) {
    for (int64_t h = 0; h < c.n_heads; ++h) {
      const int64_t g = h / (c.n_heads / c.groups);
      double a = dt[t * c.n_heads + h] + dt_bias[h];
      const double delta = a > 20 ? a : std::log1p(std::exp(a));
      const double dA = std::exp(delta * A[h]);
      for (int64_t p = 0; p < P; ++p) {
        const double x = xbc[t * stride + h * P + p];
        double acc = 0;
        for (int64_t n = 0; n < N; ++n) {
          double& s = S[(h * P + p) * N + n];
          s = dA * s + delta * xbc[t * stride + d_in + g * N + n] * x;
          acc += xbc[t * stride + d_in + c.groups * N + g * N + n] * s;
        }
        y[t * d_in + h * P + p] = acc + D[h] * x;
      }
    }
  }
}

class SsmTest : public ::testing::TestWithParam<Case> {};

TEST_P(SsmTest, ChunkedAndRecurrentMatchReference) {
  const Case c = GetParam();
  std::mt19937 rng(1234);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int64_t P = c.head_dim, N = c.state, d_in = c.n_heads * P, stride = d_in + 2 * c.groups * N;
  std::vector<float> xbc(static_cast<size_t>(c.T * stride)), dt(static_cast<size_t>(c.T * c.n_heads));
  std::vector<float> dt_bias(c.n_heads), A(c.n_heads), D(c.n_heads);
  for (auto& v : xbc) v = nd(rng);
  for (auto& v : dt) v = nd(rng);
  for (int64_t h = 0; h < c.n_heads; ++h) {
    dt_bias[h] = -1.0f + 0.3f * nd(rng);
    A[h] = -std::exp(0.5f * nd(rng));
    D[h] = 1.0f + 0.1f * nd(rng);
  }
  dt[0] = 25.0f;  // exercises the softplus pass-through branch
  std::vector<float> init(static_cast<size_t>(c.n_heads * P * N));
  for (auto& v : init) v = 0.5f * nd(rng);

  std::vector<double> S_ref(init.begin(), init.end()), y_ref;
  reference_scan(c, xbc, dt, dt_bias, A, D, S_ref, y_ref);

  SsmInputs in{xbc.data(), stride, dt.data(), c.n_heads, dt_bias.data(), A.data(), D.data(), 0.0f, INFINITY};
  const SsmDims dims{c.n_heads, P, N, c.groups};
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    for (bool chunked : {false, true}) {
      std::vector<float> S = init, y(static_cast<size_t>(c.T * d_in));
      if (chunked) ssm_chunked(dims, in, c.T, c.chunk, S.data(), y.data(), pool);
      else ssm_scan(dims, in, c.T, S.data(), y.data(), pool);
      double ey = 0, es = 0;
      for (size_t i = 0; i < y.size(); ++i) ey = std::max(ey, std::fabs(y[i] - y_ref[i]) / (1.0 + std::fabs(y_ref[i])));
      for (size_t i = 0; i < S.size(); ++i) es = std::max(es, std::fabs(S[i] - S_ref[i]) / (1.0 + std::fabs(S_ref[i])));
      EXPECT_LT(ey, 2e-5) << (chunked ? "chunked" : "scan") << " y, threads " << threads;
      EXPECT_LT(es, 2e-5) << (chunked ? "chunked" : "scan") << " state, threads " << threads;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, SsmTest,
                         ::testing::Values(Case{4, 16, 8, 2, 1, 8},      // single token
                                           Case{6, 64, 16, 2, 19, 8},    // tail chunk of 3
                                           Case{8, 80, 16, 4, 37, 16},   // head dim 80
                                           Case{3, 7, 5, 1, 13, 4},      // odd everything
                                           Case{4, 16, 8, 4, 9, 64},     // chunk longer than T
                                           Case{2, 8, 4, 2, 40, 1}));    // chunk of one token

TEST(Ssm, TimeStepLimitClamps) {
  // With a finite limit, Δ is clamped: a huge dt behaves like dt_max.
  const int64_t stride = 1 + 2;  // n_heads 1, P 1, N 1, G 1
  std::vector<float> xbc = {1.0f, 1.0f, 1.0f}, dt = {50.0f}, bias = {0.0f}, A = {-1.0f}, D = {0.0f};
  SsmInputs in{xbc.data(), stride, dt.data(), 1, bias.data(), A.data(), D.data(), 0.0f, 0.5f};
  ThreadPool pool(1);
  std::vector<float> S = {0.0f}, y(1);
  ssm_scan({1, 1, 1, 1}, in, 1, S.data(), y.data(), pool);
  EXPECT_FLOAT_EQ(S[0], 0.5f);  // Δ·B·x with Δ clamped to 0.5
}

TEST(Conv1d, MatchesDirectSumAndCarriesState) {
  const int64_t C = 5, K = 4, T = 7;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  std::vector<float> in(static_cast<size_t>(T * C)), w(static_cast<size_t>(C * K)), b(C);
  for (auto& v : in) v = nd(rng);
  for (auto& v : w) v = nd(rng);
  for (auto& v : b) v = nd(rng);
  auto expected = [&](int64_t t, int64_t c) {  // zero history before t = 0
    double acc = b[c];
    for (int64_t j = 0; j < K; ++j) {
      int64_t src = t - (K - 1) + j;
      if (src >= 0) acc += w[c * K + j] * in[src * C + c];
    }
    return acc / (1.0 + std::exp(-acc));
  };
  // Feed in pieces of 1, 2 and 4 rows: the state must carry the history.
  std::vector<float> state(static_cast<size_t>((K - 1) * C), 0.0f), out(static_cast<size_t>(T * C));
  int64_t t0 = 0;
  for (int64_t piece : {1, 2, 4}) {
    conv1d_silu(in.data() + t0 * C, C, piece, C, K, w.data(), b.data(), state.data(), out.data() + t0 * C);
    t0 += piece;
  }
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < C; ++c) EXPECT_NEAR(out[t * C + c], expected(t, c), 1e-5) << t << "," << c;
  for (int64_t r = 0; r < K - 1; ++r)
    for (int64_t c = 0; c < C; ++c) EXPECT_EQ(state[r * C + c], in[(T - (K - 1) + r) * C + c]);
}

}  // namespace
}  // namespace nt
