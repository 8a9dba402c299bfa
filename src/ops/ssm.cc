// Fast Mamba-2 sequence ops: thread split and data layout here, SIMD inner loops in seq_kernels_*.cc.
#include "ops/ssm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/seq_kernels.h"

namespace nt {
namespace {

constexpr int64_t kConvBlock = 64;  // channels per conv work item

float delta(const SsmInputs& in, int64_t t, int64_t h) {
  float v = softplus_f32(in.dt[t * in.dt_stride + h] + in.dt_bias[h]);
  return std::min(std::max(v, in.dt_min), in.dt_max);
}

}  // namespace

void conv1d_silu_with(const kernels::SeqKernels& k, const float* in, int64_t in_stride, int64_t T, int64_t C,
                      int64_t K, const float* w, const float* b, float* state, float* out, ThreadPool& pool) {
  const int64_t n_blocks = (C + kConvBlock - 1) / kConvBlock;
  pool.parallel_for(n_blocks, [&](int64_t b0, int64_t b1, int) {
    k.conv_silu(b0 * kConvBlock, std::min(C, b1 * kConvBlock), T, C, K, in, in_stride, state, w, b, out);
  });
}

void conv1d_silu(const float* in, int64_t in_stride, int64_t T, int64_t C, int64_t K, const float* w,
                 const float* b, float* state, float* out, ThreadPool& pool) {
  conv1d_silu_with(kernels::seq_kernels(), in, in_stride, T, C, K, w, b, state, out, pool);
}

void conv1d_silu(const float* in, int64_t in_stride, int64_t T, int64_t C, int64_t K, const float* w,
                 const float* b, float* state, float* out) {
  kernels::seq_kernels().conv_silu(0, C, T, C, K, in, in_stride, state, w, b, out);
}

void ssm_scan_with(const kernels::SeqKernels& k, const SsmDims& d, const SsmInputs& in, int64_t T, float* state,
                   float* y, ThreadPool& pool) {
  const int64_t P = d.head_dim, N = d.state_size, G = d.n_groups, heads_per_group = d.n_heads / G;
  const int64_t d_in = d.n_heads * P;
  pool.parallel_for(d.n_heads, [&](int64_t h0, int64_t h1, int) {
    std::vector<float> dt(static_cast<size_t>(T)), dA(static_cast<size_t>(T));
    for (int64_t h = h0; h < h1; ++h) {
      const int64_t g = h / heads_per_group;
      for (int64_t t = 0; t < T; ++t) {
        dt[t] = delta(in, t, h);
        dA[t] = std::exp(dt[t] * in.A[h]);
      }
      k.scan_head(P, N, T, state + h * P * N, in.xbc + h * P, in.xbc_stride, in.xbc + d_in + g * N,
                  in.xbc + d_in + G * N + g * N, in.xbc_stride, dt.data(), dA.data(), in.D[h], y + h * P, d_in);
    }
  });
}

void ssm_scan(const SsmDims& d, const SsmInputs& in, int64_t T, float* state, float* y, ThreadPool& pool) {
  ssm_scan_with(kernels::seq_kernels(), d, in, T, state, y, pool);
}

// Per head and chunk of q tokens, with cum_t = Σ_{τ≤t in chunk} Δ_τ·A and xdt_s = Δ_s·x_s:
//   y_t = D·x_t + Σ_{s≤t} (C_t·B_s)·e^{cum_t−cum_s}·xdt_s  +  e^{cum_t}·C_t·S_prev      (two GEMMs, M=q, N=P)
//   S   = e^{cum_last}·S + Σ_s B_s ⊗ (e^{cum_last−cum_s}·xdt_s)                         (GEMM on Sᵀ: [N, P])
// C_t·B_s depends only on the group, so it is computed once per (group, chunk) for all its heads. Chunks are
// processed in blocks of ~512 tokens to bound that buffer.
void ssm_chunked_with(const kernels::SeqKernels& k, const SsmDims& d, const SsmInputs& in, int64_t T,
                      int64_t chunk, float* state, float* y, ThreadPool& pool) {
  const int64_t P = d.head_dim, N = d.state_size, G = d.n_groups, heads_per_group = d.n_heads / G;
  const int64_t d_in = d.n_heads * P, stride = in.xbc_stride;
  const int64_t Q = std::max<int64_t>(1, std::min(chunk, T));
  const int64_t n_chunks = (T + Q - 1) / Q;
  const int64_t per_block = std::max<int64_t>(1, 512 / Q);
  std::vector<float> cb(static_cast<size_t>(G * std::min(per_block, n_chunks) * Q * Q));  // [G, chunks, Q, Q]
  auto B_of = [&](int64_t t, int64_t g) { return in.xbc + t * stride + d_in + g * N; };
  auto C_of = [&](int64_t t, int64_t g) { return in.xbc + t * stride + d_in + G * N + g * N; };

  for (int64_t blk = 0; blk < n_chunks; blk += per_block) {
    const int64_t nb = std::min(per_block, n_chunks - blk);
    // Phase 1: cb[g, i] = C·Bᵀ over the chunk (full q×q; only s ≤ t is used).
    pool.parallel_for_dynamic(G * nb, 1, [&](int64_t i0, int64_t i1, int) {
      std::vector<float> bt(static_cast<size_t>(N * Q));  // Bᵀ: [N, Q]
      for (int64_t item = i0; item < i1; ++item) {
        const int64_t g = item / nb, ci = item % nb, c0 = (blk + ci) * Q, q = std::min(Q, T - c0);
        for (int64_t s = 0; s < q; ++s) {
          const float* b = B_of(c0 + s, g);
          for (int64_t n = 0; n < N; ++n) bt[n * Q + s] = b[n];
        }
        k.gemm(q, q, N, C_of(c0, g), stride, 1, bt.data(), Q, cb.data() + (g * nb + ci) * Q * Q, Q, 0.0f, false);
      }
    });
    // Phase 2: heads across threads, chunks of the block in order.
    pool.parallel_for_dynamic(d.n_heads, 1, [&](int64_t h0, int64_t h1, int) {
      std::vector<float> st(static_cast<size_t>(N * P));  // Sᵀ: [N, P]
      std::vector<float> xdt(static_cast<size_t>(Q * P)), xw(static_cast<size_t>(Q * P));  // [Q, P]
      std::vector<float> L(static_cast<size_t>(Q * Q)), cs(static_cast<size_t>(Q * N));
      std::vector<float> cum(static_cast<size_t>(Q));
      for (int64_t h = h0; h < h1; ++h) {
        const int64_t g = h / heads_per_group;
        float* S = state + h * P * N;
        for (int64_t p = 0; p < P; ++p)
          for (int64_t n = 0; n < N; ++n) st[n * P + p] = S[p * N + n];
        for (int64_t ci = 0; ci < nb; ++ci) {
          const int64_t c0 = (blk + ci) * Q, q = std::min(Q, T - c0);
          float run = 0;
          for (int64_t t = 0; t < q; ++t) {
            const float dt = delta(in, c0 + t, h);
            run += dt * in.A[h];
            cum[t] = run;
            const float* x = in.xbc + (c0 + t) * stride + h * P;
            float* yt = y + (c0 + t) * d_in + h * P;
            for (int64_t p = 0; p < P; ++p) {
              xdt[t * P + p] = dt * x[p];
              yt[p] = in.D[h] * x[p];
            }
            const float* c = C_of(c0 + t, g);
            const float e = std::exp(run);
            for (int64_t n = 0; n < N; ++n) cs[t * N + n] = e * c[n];
          }
          k.decay_mask(q, cum.data(), cb.data() + (g * nb + ci) * Q * Q, L.data(), Q);
          float* y0 = y + c0 * d_in + h * P;
          k.gemm(q, P, q, L.data(), Q, 1, xdt.data(), P, y0, d_in, 1.0f, true);  // intra-chunk
          k.gemm(q, P, N, cs.data(), N, 1, st.data(), P, y0, d_in, 1.0f, false);  // from the previous state
          const float last = cum[q - 1];
          for (int64_t s = 0; s < q; ++s) {
            const float wgt = std::exp(last - cum[s]);
            for (int64_t p = 0; p < P; ++p) xw[s * P + p] = wgt * xdt[s * P + p];
          }
          // Sᵀ[n, p] = e^{last}·Sᵀ[n, p] + Σ_s B_s[n]·xw[s, p], B read in place (A[n][s] = B_s[n])
          k.gemm(N, P, q, B_of(c0, g), 1, stride, xw.data(), P, st.data(), P, std::exp(last), false);
        }
        for (int64_t p = 0; p < P; ++p)
          for (int64_t n = 0; n < N; ++n) S[p * N + n] = st[n * P + p];
      }
    });
  }
}

void ssm_chunked(const SsmDims& d, const SsmInputs& in, int64_t T, int64_t chunk, float* state, float* y,
                 ThreadPool& pool) {
  ssm_chunked_with(kernels::seq_kernels(), d, in, T, chunk, state, y, pool);
}

}  // namespace nt
