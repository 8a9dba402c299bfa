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
  // Few query tiles (decode): one item takes several KV heads and walks the key tiles once for all of them, so
  // each cached row is read as one contiguous stretch instead of one page-strided slice per head (a long
  // cache otherwise costs a TLB miss per key row and head). Per-row arithmetic is the same either way.
  const int64_t hk = n_qt >= 2 * pool.size() ? 1 : (d.n_kv_heads + pool.size() - 1) / pool.size();
  const int64_t n_hb = (d.n_kv_heads + hk - 1) / hk;
  pool.parallel_for_dynamic(n_hb * n_qt, 1, [&](int64_t i0, int64_t i1, int) {
    const size_t rows = static_cast<size_t>(hk * r_max);
    std::vector<float> qb(rows * dh), acc(rows * dh);                // [hk, R, d_h]
    std::vector<float> sc(rows * kKeys), pr(rows * kKeys);           // [hk, R, 64]
    std::vector<float> m(rows), l(rows);
    for (int64_t item = i0; item < i1; ++item) {
      const int64_t qt = n_qt - 1 - item / n_hb, hb = item % n_hb;  // longest tiles first
      const int64_t t0 = qt * tq, tn = std::min(tq, T - t0), R = group * tn;
      const int64_t h_lo = hb * hk, h_hi = std::min(d.n_kv_heads, h_lo + hk);
      // Slot i = kvh − h_lo; its row r = ti·group + hh is query head kvh·group + hh at position t0 + ti.
      for (int64_t kvh = h_lo; kvh < h_hi; ++kvh) {
        const int64_t base = (kvh - h_lo) * r_max;
        for (int64_t r = 0; r < R; ++r) {
          const float* src = q + (t0 + r / group) * q_stride + (kvh * group + r % group) * dh;
          std::copy_n(src, dh, qb.data() + (base + r) * dh);
        }
        std::fill_n(acc.begin() + base * dh, R * dh, 0.0f);
        std::fill_n(m.begin() + base, R, neg_inf);
        std::fill_n(l.begin() + base, R, 0.0f);
      }
      const int64_t n_keys = n_past + t0 + tn;
      for (int64_t j0 = 0; j0 < n_keys; j0 += kKeys) {
        const int64_t nj = std::min(kKeys, n_keys - j0);
        if (n_qt == 1) {  // decode: cache rows stream from memory; fetch the next tile while this one is used
          const int64_t next_end = std::min(n_keys, j0 + 2 * kKeys);
          for (int64_t j = j0 + kKeys; j < next_end; ++j) {
            for (int64_t o = h_lo * dh; o < h_hi * dh; o += 16) {
              __builtin_prefetch(k + j * kv_stride + o);
              __builtin_prefetch(v + j * kv_stride + o);
            }
          }
        }
        for (int64_t kvh = h_lo; kvh < h_hi; ++kvh) {
          const int64_t base = (kvh - h_lo) * r_max;
          float* sc_h = sc.data() + base * kKeys;
          float* pr_h = pr.data() + base * kKeys;
          float* acc_h = acc.data() + base * dh;
          ks.qk_scores(R, nj, dh, qb.data() + base * dh, k + j0 * kv_stride + kvh * dh, kv_stride, scale, sc_h,
                       kKeys);
          for (int64_t r = 0; r < R; ++r) {
            const int64_t valid = std::clamp<int64_t>(n_past + t0 + r / group + 1 - j0, 0, nj);
            float* p = pr_h + r * kKeys;
            if (valid == 0) {  // every key of this tile is in the row's future
              std::fill_n(p, nj, 0.0f);
              continue;
            }
            const float* s = sc_h + r * kKeys;
            float tile_max = neg_inf;
            for (int64_t j = 0; j < valid; ++j) tile_max = std::max(tile_max, s[j]);
            float& mr = m[static_cast<size_t>(base + r)];
            const float m_new = std::max(mr, tile_max);
            const float corr = std::exp(mr - m_new);  // 0 on the row's first tile
            float& lr = l[static_cast<size_t>(base + r)];
            lr = lr * corr + ks.exp_shift_sum(nj, valid, s, m_new, p);
            mr = m_new;
            if (corr != 1.0f) {
              float* a = acc_h + r * dh;
              for (int64_t e = 0; e < dh; ++e) a[e] *= corr;
            }
          }
          ks.gemm(R, dh, nj, pr_h, kKeys, 1, v + j0 * kv_stride + kvh * dh, kv_stride, acc_h, dh, 1.0f, false);
        }
      }
      for (int64_t kvh = h_lo; kvh < h_hi; ++kvh) {
        const int64_t base = (kvh - h_lo) * r_max;
        for (int64_t r = 0; r < R; ++r) {
          float* dst = out + (t0 + r / group) * q_stride + (kvh * group + r % group) * dh;
          const float* a = acc.data() + (base + r) * dh;
          const float lr = l[static_cast<size_t>(base + r)];
          for (int64_t e = 0; e < dh; ++e) dst[e] = a[e] / lr;
        }
      }
    }
  });
}

void attention(const AttentionDims& d, const float* q, int64_t T, const float* k, const float* v, int64_t n_past,
               float* out, ThreadPool& pool) {
  attention_with(kernels::seq_kernels(), d, q, T, k, v, n_past, out, pool);
}

}  // namespace nt
