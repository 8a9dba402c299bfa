// Tiled online-softmax attention against a direct softmax in double: GQA, tile boundaries, cached prefixes.
#include "ops/attention.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace nt {
namespace {

TEST(Attention, MatchesDirectSoftmaxAcrossTiles) {
  for (auto [n_past, T] : std::vector<std::pair<int64_t, int64_t>>{{0, 1}, {0, 70}, {100, 1}, {63, 3}, {127, 130}}) {
    const AttentionDims d{6, 2, 24};
    const int64_t n = n_past + T, qs = d.n_heads * d.head_dim, ks = d.n_kv_heads * d.head_dim;
    std::mt19937 rng(static_cast<unsigned>(n));
    std::normal_distribution<float> nd(0.0f, 2.0f);
    std::vector<float> q(static_cast<size_t>(T * qs)), k(static_cast<size_t>(n * ks)), v(static_cast<size_t>(n * ks));
    for (auto* vec : {&q, &k, &v}) for (auto& x : *vec) x = nd(rng);
    std::vector<float> out(static_cast<size_t>(T * qs));
    ThreadPool pool(2);
    attention(d, q.data(), T, k.data(), v.data(), n_past, out.data(), pool);
    double worst = 0;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < d.n_heads; ++h) {
        const int64_t kvh = h / (d.n_heads / d.n_kv_heads), keys = n_past + t + 1;
        std::vector<double> s(static_cast<size_t>(keys));
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j < keys; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < d.head_dim; ++e) dot += double(q[t * qs + h * d.head_dim + e]) * k[j * ks + kvh * d.head_dim + e];
          s[j] = dot / std::sqrt(double(d.head_dim));
          mx = std::max(mx, s[j]);
        }
        for (auto& x : s) sum += (x = std::exp(x - mx));
        for (int64_t e = 0; e < d.head_dim; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < keys; ++j) acc += s[j] / sum * v[j * ks + kvh * d.head_dim + e];
          worst = std::max(worst, std::fabs(acc - out[t * qs + h * d.head_dim + e]));
        }
      }
    }
    EXPECT_LT(worst, 2e-5) << "n_past " << n_past << " T " << T;
  }
}

}  // namespace
}  // namespace nt
