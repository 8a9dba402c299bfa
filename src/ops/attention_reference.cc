// Plain scalar attention, kept as the reference the fast version in attention.cc is tested against.
#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/linear.h"

namespace nt {

void attention_reference(const AttentionDims& d, const float* q, int64_t T, const float* k, const float* v, int64_t n_past,
               float* out, ThreadPool& pool) {
  const int64_t dh = d.head_dim, q_stride = d.n_heads * dh, kv_stride = d.n_kv_heads * dh;
  const int64_t group = d.n_heads / d.n_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  constexpr int64_t kTile = 64;
  // One work item per (head, query position).
  pool.parallel_for_dynamic(d.n_heads * T, 8, [&](int64_t i0, int64_t i1, int) {
    std::vector<float> scores(kTile), acc(static_cast<size_t>(dh));
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t h = item / T, t = item % T, kvh = h / group;
      const float* qt = q + t * q_stride + h * dh;
      const int64_t n_keys = n_past + t + 1;
      float m = -std::numeric_limits<float>::infinity(), l = 0;
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t j0 = 0; j0 < n_keys; j0 += kTile) {
        const int64_t nj = std::min(kTile, n_keys - j0);
        float tile_max = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < nj; ++j) {
          scores[j] = dot_f32(qt, k + (j0 + j) * kv_stride + kvh * dh, dh) * scale;
          tile_max = std::max(tile_max, scores[j]);
        }
        const float m_new = std::max(m, tile_max);
        const float correction = std::exp(m - m_new);  // exp(-inf) = 0 on the first tile
        l *= correction;
        for (int64_t e = 0; e < dh; ++e) acc[e] *= correction;
        for (int64_t j = 0; j < nj; ++j) {
          const float p = std::exp(scores[j] - m_new);
          l += p;
          const float* vj = v + (j0 + j) * kv_stride + kvh * dh;
          for (int64_t e = 0; e < dh; ++e) acc[e] += p * vj[e];
        }
        m = m_new;
      }
      float* ot = out + t * q_stride + h * dh;
      for (int64_t e = 0; e < dh; ++e) ot[e] = acc[e] / l;
    }
  });
}

}  // namespace nt
