// Portable sequence-op kernels (plain loops) and the run-time choice of kernel set.
#include <cmath>

#include "core/cpu_features.h"
#include "ops/linear.h"
#include "ops/seq_kernels.h"

namespace nt::kernels {
namespace scalar {
namespace {

void gemm(int64_t M, int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb,
          float* C, int64_t ldc, float beta, bool lower) {
  for (int64_t i = 0; i < M; ++i) {
    const int64_t k_end = lower && i + 1 < K ? i + 1 : K;
    float* c = C + i * ldc;
    for (int64_t j = 0; j < Nc; ++j) {
      float acc = beta == 0.0f ? 0.0f : beta * c[j];
      for (int64_t k = 0; k < k_end; ++k) acc += A[i * a_rs + k * a_cs] * B[k * ldb + j];
      c[j] = acc;
    }
  }
}

void decay_mask(int64_t q, const float* cum, const float* CB, float* L, int64_t ld) {
  for (int64_t t = 0; t < q; ++t) {
    for (int64_t s = 0; s < q; ++s) L[t * ld + s] = s <= t ? CB[t * ld + s] * std::exp(cum[t] - cum[s]) : 0.0f;
  }
}

void scan_head(int64_t P, int64_t N, int64_t T, float* S, const float* x, int64_t xs, const float* B, const float* C,
               int64_t bs, const float* dt, const float* dA, float D, float* y, int64_t ys) {
  for (int64_t p = 0; p < P; ++p) {  // row p of the state stays in L1 while all tokens are applied
    float* Sp = S + p * N;
    for (int64_t t = 0; t < T; ++t) {
      const float* Bt = B + t * bs;
      const float* Ct = C + t * bs;
      const float xv = x[t * xs + p], dx = dt[t] * xv, a = dA[t];
      float acc = 0;
      for (int64_t n = 0; n < N; ++n) {
        Sp[n] = a * Sp[n] + dx * Bt[n];
        acc += Sp[n] * Ct[n];
      }
      y[t * ys + p] = acc + D * xv;
    }
  }
}

void conv_silu(int64_t c0, int64_t c1, int64_t T, int64_t C, int64_t K, const float* in, int64_t in_stride,
               float* state, const float* w, const float* b, float* out) {
  const int64_t S = K - 1;
  auto row = [&](int64_t r) -> const float* { return r < S ? state + r * C : in + (r - S) * in_stride; };
  for (int64_t t = 0; t < T; ++t) {
    float* o = out + t * C;
    for (int64_t c = c0; c < c1; ++c) {
      float acc = b[c];
      for (int64_t j = 0; j < K; ++j) acc += w[c * K + j] * row(t + j)[c];
      o[c] = acc / (1.0f + std::exp(-acc));
    }
  }
  // Ascending rows: row r reads window row T + r ≥ r, which a smaller r has not overwritten.
  for (int64_t r = 0; r < S; ++r) {
    const float* src = row(T + r);
    for (int64_t c = c0; c < c1; ++c) state[r * C + c] = src[c];
  }
}

void qk_scores(int64_t R, int64_t nj, int64_t dh, const float* q, const float* k, int64_t ks, float scale, float* s,
               int64_t lds) {
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t j = 0; j < nj; ++j) {
      float acc = 0;
      for (int64_t e = 0; e < dh; ++e) acc += q[r * dh + e] * k[j * ks + e];
      s[r * lds + j] = acc * scale;
    }
  }
}

float exp_shift_sum(int64_t n, int64_t valid, const float* x, float m, float* p) {
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    p[j] = j < valid ? std::exp(x[j] - m) : 0.0f;
    sum += p[j];
  }
  return sum;
}

double sum_squares(const float* x, int64_t n) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  return ss;
}

void scale_mul(const float* x, const float* w, float scale, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = w[i] * (x[i] * scale);
}

double gate_silu_ss(const float* y, const float* z, int64_t n, float* out) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = y[i] * (z[i] / (1.0f + std::exp(-z[i])));
    out[i] = v;
    ss += static_cast<double>(v) * v;
  }
  return ss;
}

}  // namespace

void relu_sq(float* h, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = h[i] > 0.0f ? h[i] : 0.0f;
    h[i] = v * v;
  }
}

// dot_f32 itself (ops/linear.h), so the portable set is the definition the SIMD ones match.
void dots(int64_t nx, int64_t nw, int64_t n, const float* x, int64_t ldx, const float* w, int64_t ldw, float* out,
          int64_t ldo) {
  for (int64_t i = 0; i < nx; ++i) {
    for (int64_t j = 0; j < nw; ++j) out[i * ldo + j] = dot_f32(w + j * ldw, x + i * ldx, n);
  }
}

const SeqKernels kSeqKernels{"scalar",  gemm,        decay_mask, scan_head,    conv_silu, qk_scores,
                             exp_shift_sum, sum_squares, scale_mul,  gate_silu_ss, relu_sq, dots};

}  // namespace scalar

#if defined(NEMOTRON_X86)
namespace {
const SeqKernels& avx512_set() {
  static const SeqKernels k = avx512::with_avx512_gemm(avx2::kSeqKernels);
  return k;
}
}  // namespace
#endif

#if defined(NEMOTRON_NEON)
namespace {
const SeqKernels& neon_set() {
  static const SeqKernels k = neon::with_neon_gemm(scalar::kSeqKernels);
  return k;
}
}  // namespace
#endif

const SeqKernels& seq_kernels() {
#if defined(NEMOTRON_NEON)
  if (cpu_features().neon_dotprod) return neon_set();
#endif
#if defined(NEMOTRON_X86)
  static const SeqKernels& best = cpu_features().avx512 ? avx512_set()
                                  : cpu_features().avx2 ? avx2::kSeqKernels
                                                        : scalar::kSeqKernels;
  return best;
#else
  return scalar::kSeqKernels;
#endif
}

int available_seq_kernels(const SeqKernels** out, int max) {
  int n = 0;
  if (n < max) out[n++] = &scalar::kSeqKernels;
#if defined(NEMOTRON_X86)
  if (n < max && cpu_features().avx2) out[n++] = &avx2::kSeqKernels;
  if (n < max && cpu_features().avx512) out[n++] = &avx512_set();
#endif
#if defined(NEMOTRON_NEON)
  if (n < max && cpu_features().neon_dotprod) out[n++] = &neon_set();
#endif
  return n;
}

}  // namespace nt::kernels
