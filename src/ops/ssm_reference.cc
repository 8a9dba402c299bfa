// Plain scalar implementations of the Mamba sequence ops, kept as the references the fast versions in
// ssm.cc are tested and benchmarked against.
#include "ops/ssm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "ops/linear.h"
#include "ops/norm.h"

namespace nt {

void conv1d_silu_reference(const float* in, int64_t in_stride, int64_t T, int64_t C, int64_t K, const float* w,
                 const float* b, float* state, float* out) {
  const int64_t S = K - 1;
  // window row r (0..S+T-1): r < S -> state[r], else in[r-S]
  auto row = [&](int64_t r) -> const float* { return r < S ? state + r * C : in + (r - S) * in_stride; };
  for (int64_t t = 0; t < T; ++t) {
    float* o = out + t * C;
    for (int64_t c = 0; c < C; ++c) o[c] = b[c];
    for (int64_t j = 0; j < K; ++j) {
      const float* src = row(t + j);
      for (int64_t c = 0; c < C; ++c) o[c] += w[c * K + j] * src[c];
    }
    for (int64_t c = 0; c < C; ++c) o[c] = silu(o[c]);
  }
  // New state = last S rows of the window.
  if (S > 0) {
    std::vector<float> tail(static_cast<size_t>(S * C));
    for (int64_t r = 0; r < S; ++r) std::memcpy(tail.data() + r * C, row(T + r), static_cast<size_t>(C) * 4);
    std::memcpy(state, tail.data(), tail.size() * 4);
  }
}

namespace {

float delta(const SsmInputs& in, int64_t t, int64_t h) {
  float v = softplus_f32(in.dt[t * in.dt_stride + h] + in.dt_bias[h]);
  return std::min(std::max(v, in.dt_min), in.dt_max);
}

}  // namespace

void ssm_scan_reference(const SsmDims& d, const SsmInputs& in, int64_t T, float* state, float* y, ThreadPool& pool) {
  const int64_t P = d.head_dim, N = d.state_size, heads_per_group = d.n_heads / d.n_groups;
  const int64_t d_in = d.n_heads * P;
  pool.parallel_for(d.n_heads, [&](int64_t h0, int64_t h1, int) {
    for (int64_t h = h0; h < h1; ++h) {
      const int64_t g = h / heads_per_group;
      float* S = state + h * P * N;
      for (int64_t t = 0; t < T; ++t) {
        const float* row = in.xbc + t * in.xbc_stride;
        const float* x = row + h * P;
        const float* B = row + d_in + g * N;
        const float* C = row + d_in + d.n_groups * N + g * N;
        const float dt = delta(in, t, h);
        const float dA = std::exp(dt * in.A[h]);
        float* yt = y + t * d_in + h * P;
        for (int64_t p = 0; p < P; ++p) {
          float* Sp = S + p * N;
          const float dx = dt * x[p];
          for (int64_t n = 0; n < N; ++n) Sp[n] = dA * Sp[n] + dx * B[n];
          yt[p] = dot_f32(Sp, C, N) + in.D[h] * x[p];
        }
      }
    }
  });
}

// Per head and chunk of Q tokens (s_t = running sum of a_τ = Δ_τ·A inside the chunk):
//   y_t   = Σ_{s≤t} (C_t·B_s) e^{s_t−s_s} Δ_s x_s  +  e^{s_t} C_t·S_prev  +  D x_t
//   S_new = e^{s_last} S_prev + Σ_s e^{s_last−s_s} Δ_s x_s ⊗ B_s
void ssm_chunked_reference(const SsmDims& d, const SsmInputs& in, int64_t T, int64_t chunk, float* state, float* y,
                 ThreadPool& pool) {
  const int64_t P = d.head_dim, N = d.state_size, G = d.n_groups, heads_per_group = d.n_heads / G;
  const int64_t d_in = d.n_heads * P;
  const int64_t Q = std::max<int64_t>(1, std::min(chunk, T));
  pool.parallel_for(d.n_heads, [&](int64_t h0, int64_t h1, int) {
    std::vector<float> cb(static_cast<size_t>(Q * Q)), cum(static_cast<size_t>(Q)), dts(static_cast<size_t>(Q));
    std::vector<float> xdt(static_cast<size_t>(Q * P)), cs(static_cast<size_t>(Q * N));
    for (int64_t h = h0; h < h1; ++h) {
      const int64_t g = h / heads_per_group;
      float* S = state + h * P * N;  // [P, N]
      for (int64_t c0 = 0; c0 < T; c0 += Q) {
        const int64_t q = std::min(Q, T - c0);
        auto Brow = [&](int64_t t) { return in.xbc + (c0 + t) * in.xbc_stride + d_in + g * N; };
        auto Crow = [&](int64_t t) { return in.xbc + (c0 + t) * in.xbc_stride + d_in + G * N + g * N; };
        auto Xrow = [&](int64_t t) { return in.xbc + (c0 + t) * in.xbc_stride + h * P; };
        float run = 0;
        for (int64_t t = 0; t < q; ++t) {
          dts[t] = delta(in, c0 + t, h);
          run += dts[t] * in.A[h];
          cum[t] = run;
          for (int64_t p = 0; p < P; ++p) xdt[t * P + p] = dts[t] * Xrow(t)[p];
        }
        // cb[t][s] = (C_t·B_s) e^{cum_t − cum_s}, s ≤ t
        for (int64_t t = 0; t < q; ++t) {
          for (int64_t s = 0; s <= t; ++s) cb[t * Q + s] = dot_f32(Crow(t), Brow(s), N) * std::exp(cum[t] - cum[s]);
        }
        for (int64_t t = 0; t < q; ++t) {
          float* yt = y + (c0 + t) * d_in + h * P;
          const float decay = std::exp(cum[t]);
          const float* Ct = Crow(t);
          for (int64_t p = 0; p < P; ++p) {
            float acc = 0;
            for (int64_t s = 0; s <= t; ++s) acc += cb[t * Q + s] * xdt[s * P + p];
            yt[p] = acc + decay * dot_f32(S + p * N, Ct, N) + in.D[h] * Xrow(t)[p];
          }
        }
        // State update to the end of the chunk.
        const float last = cum[q - 1], total_decay = std::exp(last);
        for (int64_t s = 0; s < q; ++s) {
          const float wgt = std::exp(last - cum[s]);
          const float* Bs = Brow(s);
          for (int64_t n = 0; n < N; ++n) cs[s * N + n] = wgt * Bs[n];
        }
        for (int64_t p = 0; p < P; ++p) {
          float* Sp = S + p * N;
          for (int64_t n = 0; n < N; ++n) Sp[n] *= total_decay;
          for (int64_t s = 0; s < q; ++s) {
            const float xv = xdt[s * P + p];
            const float* cr = cs.data() + s * N;
            for (int64_t n = 0; n < N; ++n) Sp[n] += xv * cr[n];
          }
        }
      }
    }
  });
}

}  // namespace nt
