// Fast attention: (KV head × query tile) work items across threads, SIMD scores / exp / value accumulation
// from seq_kernels_*.cc, online softmax over tiles of 64 keys.
#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/seq_kernels.h"

namespace nt {

void attention_with(const kernels::SeqKernels& ks, const AttentionDims& d, const float* q, int64_t T,
                    const float* k, const float* v, int64_t n_past, float* out, ThreadPool& pool) {
  const int64_t dh = d.head_dim, q_stride = d.n_heads * dh, kv_stride = d.n_kv_heads * dh;
  const int64_t group = d.n_heads / d.n_kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  constexpr int64_t kKeys = 64;                           // keys per tile
  const int64_t tq = std::max<int64_t>(1, 32 / group);   // query positions per work item
  const int64_t n_qt = (T + tq - 1) / tq, r_max = group * tq;
  const float neg_inf = -std::numeric_limits<float>::infinity();
  pool.parallel_for_dynamic(d.n_kv_heads * n_qt, 1, [&](int64_t i0, int64_t i1, int) {
    std::vector<float> qb(static_cast<size_t>(r_max * dh)), acc(static_cast<size_t>(r_max * dh));  // [R, d_h]
    std::vector<float> sc(static_cast<size_t>(r_max * kKeys)), pr(static_cast<size_t>(r_max * kKeys));  // [R, 64]
    std::vector<float> m(static_cast<size_t>(r_max)), l(static_cast<size_t>(r_max));
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t qt = n_qt - 1 - item / d.n_kv_heads, kvh = item % d.n_kv_heads;  // longest tiles first
      const int64_t t0 = qt * tq, tn = std::min(tq, T - t0), R = group * tn;
      // Row r = ti·group + hh: query head kvh·group + hh at position t0 + ti.
      for (int64_t r = 0; r < R; ++r) {
        const float* src = q + (t0 + r / group) * q_stride + (kvh * group + r % group) * dh;
        std::copy_n(src, dh, qb.data() + r * dh);
      }
      std::fill_n(acc.begin(), R * dh, 0.0f);
      std::fill_n(m.begin(), R, neg_inf);
      std::fill_n(l.begin(), R, 0.0f);
      const int64_t n_keys = n_past + t0 + tn;
      for (int64_t j0 = 0; j0 < n_keys; j0 += kKeys) {
        const int64_t nj = std::min(kKeys, n_keys - j0);
        ks.qk_scores(R, nj, dh, qb.data(), k + j0 * kv_stride + kvh * dh, kv_stride, scale, sc.data(), kKeys);
        for (int64_t r = 0; r < R; ++r) {
          const int64_t valid = std::clamp<int64_t>(n_past + t0 + r / group + 1 - j0, 0, nj);
          float* p = pr.data() + r * kKeys;
          if (valid == 0) {  // every key of this tile is in the row's future
            std::fill_n(p, nj, 0.0f);
            continue;
          }
          const float* s = sc.data() + r * kKeys;
          float tile_max = neg_inf;
          for (int64_t j = 0; j < valid; ++j) tile_max = std::max(tile_max, s[j]);
          const float m_new = std::max(m[r], tile_max);
          const float corr = std::exp(m[r] - m_new);  // 0 on the row's first tile
          l[r] = l[r] * corr + ks.exp_shift_sum(nj, valid, s, m_new, p);
          m[r] = m_new;
          if (corr != 1.0f) {
            float* a = acc.data() + r * dh;
            for (int64_t e = 0; e < dh; ++e) a[e] *= corr;
          }
        }
        ks.gemm(R, dh, nj, pr.data(), kKeys, 1, v + j0 * kv_stride + kvh * dh, kv_stride, acc.data(), dh, 1.0f,
                false);
      }
      for (int64_t r = 0; r < R; ++r) {
        float* dst = out + (t0 + r / group) * q_stride + (kvh * group + r % group) * dh;
        const float* a = acc.data() + r * dh;
        for (int64_t e = 0; e < dh; ++e) dst[e] = a[e] / l[r];
      }
    }
  });
}

void attention(const AttentionDims& d, const float* q, int64_t T, const float* k, const float* v, int64_t n_past,
               float* out, ThreadPool& pool) {
  attention_with(kernels::seq_kernels(), d, q, T, k, v, n_past, out, pool);
}

}  // namespace nt
