// AVX2 + FMA sequence-op kernels (see seq_kernels.h). Raw pointers and intrinsics only: no std:: templates in
// this file, whose out-of-line copies the linker could hand to baseline code.
#include <immintrin.h>

#include "kernels/simd.h"
#include "ops/seq_gemm_blocks.h"
#include "ops/seq_kernels.h"

namespace nt::kernels::avx2 {
namespace {

inline __m256i lane_index() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
// Lanes i < n set (n may be ≤ 0 or ≥ 8).
inline __m256i tail_mask(int64_t n) {
  const int32_t c = n < 0 ? 0 : n > 8 ? 8 : static_cast<int32_t>(n);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(c), lane_index());
}

inline float hsum(__m256 v) {
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  __m128 sh = _mm_movehdup_ps(lo);
  __m128 s = _mm_add_ps(lo, sh);
  sh = _mm_movehl_ps(sh, s);
  return _mm_cvtss_f32(_mm_add_ss(s, sh));
}

inline double hsum_pd(__m256d v) {
  __m128d lo = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

// exp(x) for x in float range; results below ~1e-38 flush to 0, above the float range saturate. Max relative
// error a few ulp (Cephes polynomial on [-ln2/2, ln2/2]).
inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f)), _mm256_set1_ps(88.3762626647949f));
  __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), x);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

inline __m256 silu256(__m256 x) {
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), exp256(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

// ---- GEMM: MR rows × (NV vectors of 8 columns), masked on the last vector when MASKED. ----
template <int MR, int NV, bool MASKED>
void gemm_block(int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb, float* C,
                int64_t ldc, float beta, __m256i mlast) {
  __m256 acc[MR][NV];
  NT_UNROLL for (int i = 0; i < MR; ++i)
    NT_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const float* b = B + k * ldb;
    __m256 bv[NV];
    NT_UNROLL for (int v = 0; v < NV; ++v) {
      bv[v] = (MASKED && v == NV - 1) ? _mm256_maskload_ps(b + 8 * v, mlast) : _mm256_loadu_ps(b + 8 * v);
    }
    const float* a = A + k * a_cs;
    NT_UNROLL for (int i = 0; i < MR; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i * a_rs);
      NT_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
  const __m256 bt = _mm256_set1_ps(beta);
  NT_UNROLL for (int i = 0; i < MR; ++i) {
    float* c = C + i * ldc;
    NT_UNROLL for (int v = 0; v < NV; ++v) {
      const bool m = MASKED && v == NV - 1;
      __m256 r = acc[i][v];
      if (beta != 0.0f) {
        const __m256 old = m ? _mm256_maskload_ps(c + 8 * v, mlast) : _mm256_loadu_ps(c + 8 * v);
        r = _mm256_fmadd_ps(bt, old, r);
      }
      if (m) _mm256_maskstore_ps(c + 8 * v, mlast, r);
      else _mm256_storeu_ps(c + 8 * v, r);
    }
  }
}

template <int MR>
void gemm_rows(int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb,
               float* C, int64_t ldc, float beta) {
  int64_t j = 0;
  for (; j + 16 <= Nc; j += 16) {
    gemm_block<MR, 2, false>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, _mm256_setzero_si256());
  }
  const int64_t rest = Nc - j;
  if (rest == 0) return;
  if (rest == 8) {
    gemm_block<MR, 1, false>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, _mm256_setzero_si256());
  } else if (rest > 8) {
    gemm_block<MR, 2, true>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, tail_mask(rest - 8));
  } else {
    gemm_block<MR, 1, true>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, tail_mask(rest));
  }
}

void gemm(int64_t M, int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb,
          float* C, int64_t ldc, float beta, bool lower) {
  for_seq_gemm_row_blocks(M, K, lower, [&]<int MR>(int64_t i, int64_t k_end) {
    gemm_rows<MR>(Nc, k_end, A + i * a_rs, a_rs, a_cs, B, ldb, C + i * ldc, ldc, beta);
  });
}

// Row t: the exponentials of the 8-column steps up to the diagonal, zeros after them (half the q² exponentials
// of computing every step and masking; the SSD scan spent 15% of its time here, one thread, 8B shape).
void decay_mask(int64_t q, const float* cum, const float* CB, float* L, int64_t ld) {
  const __m256i idx = lane_index();
  for (int64_t t = 0; t < q; ++t) {
    const __m256 ct = _mm256_set1_ps(cum[t]);
    const int64_t s_end = (t / 8 + 1) * 8;  // the steps holding columns 0..t
    int64_t s = 0;
    for (; s < s_end && s < q; s += 8) {
      const __m256i m = tail_mask(q - s);
      const __m256 cs = _mm256_maskload_ps(cum + s, m);
      const __m256 cb = _mm256_maskload_ps(CB + t * ld + s, m);
      __m256 v = _mm256_mul_ps(cb, exp256(_mm256_sub_ps(ct, cs)));
      // keep lanes with s + lane ≤ t
      const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(t - s + 1)), idx);
      v = _mm256_and_ps(v, _mm256_castsi256_ps(keep));
      _mm256_maskstore_ps(L + t * ld + s, m, v);
    }
    for (; s < q; s += 8) _mm256_maskstore_ps(L + t * ld + s, tail_mask(q - s), _mm256_setzero_ps());
  }
}

void scan_head(int64_t P, int64_t N, int64_t T, float* S, const float* x, int64_t xs, const float* B, const float* C,
               int64_t bs, const float* dt, const float* dA, float D, float* y, int64_t ys) {
  const int64_t n16 = N & ~int64_t{15}, n8 = N & ~int64_t{7};
  const __m256i mt = tail_mask(N - n8);
  for (int64_t p = 0; p < P; ++p) {
    float* Sp = S + p * N;
    for (int64_t t = 0; t < T; ++t) {
      const float* Bt = B + t * bs;
      const float* Ct = C + t * bs;
      const float xv = x[t * xs + p];
      const __m256 a = _mm256_set1_ps(dA[t]), dx = _mm256_set1_ps(dt[t] * xv);
      __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
      int64_t n = 0;
      for (; n < n16; n += 16) {
        __m256 s0 = _mm256_fmadd_ps(dx, _mm256_loadu_ps(Bt + n), _mm256_mul_ps(a, _mm256_loadu_ps(Sp + n)));
        __m256 s1 = _mm256_fmadd_ps(dx, _mm256_loadu_ps(Bt + n + 8), _mm256_mul_ps(a, _mm256_loadu_ps(Sp + n + 8)));
        _mm256_storeu_ps(Sp + n, s0);
        _mm256_storeu_ps(Sp + n + 8, s1);
        acc0 = _mm256_fmadd_ps(s0, _mm256_loadu_ps(Ct + n), acc0);
        acc1 = _mm256_fmadd_ps(s1, _mm256_loadu_ps(Ct + n + 8), acc1);
      }
      for (; n < n8; n += 8) {
        __m256 s0 = _mm256_fmadd_ps(dx, _mm256_loadu_ps(Bt + n), _mm256_mul_ps(a, _mm256_loadu_ps(Sp + n)));
        _mm256_storeu_ps(Sp + n, s0);
        acc0 = _mm256_fmadd_ps(s0, _mm256_loadu_ps(Ct + n), acc0);
      }
      if (n < N) {
        __m256 s0 = _mm256_fmadd_ps(dx, _mm256_maskload_ps(Bt + n, mt), _mm256_mul_ps(a, _mm256_maskload_ps(Sp + n, mt)));
        _mm256_maskstore_ps(Sp + n, mt, s0);
        acc1 = _mm256_fmadd_ps(s0, _mm256_maskload_ps(Ct + n, mt), acc1);
      }
      y[t * ys + p] = hsum(_mm256_add_ps(acc0, acc1)) + D * xv;
    }
  }
}

// One block of up to 64 channels starting at c (nc of them), token-inner so the window rows of this block stay
// in L1; weights transposed once into wt[j][64]. Each token reads 256 bytes of a new input row and writes 256 of
// an output row, rows tens of KB apart: no hardware prefetcher follows that, and a token's few hundred
// instructions leave room for only a couple of rows in flight, so the rows kConvPrefetchRows tokens ahead are
// prefetched (8B Q4_0 pp512 at 2 threads: the 24 layers' conv took 208-254 ms per prefill without, 54-83 with).
void conv_block(int64_t c, int64_t nc, int64_t T, int64_t C, int64_t K, const float* in, int64_t in_stride,
                float* state, const float* w, const float* b, float* out) {
  constexpr int64_t kMaxK = 16;
  constexpr int64_t kConvPrefetchRows = 16;
  const int64_t S = K - 1;
  float wt[kMaxK * 64];
  for (int64_t j = 0; j < K; ++j)
    for (int64_t i = 0; i < 64; ++i) wt[j * 64 + i] = i < nc ? w[(c + i) * K + j] : 0.0f;
  const int64_t nv = (nc + 7) / 8;
  for (int64_t t = 0; t < T; ++t) {
    if (t + kConvPrefetchRows < T) {
      const char* src = reinterpret_cast<const char*>(in + (t + kConvPrefetchRows) * in_stride + c);
      const char* dst = reinterpret_cast<const char*>(out + (t + kConvPrefetchRows) * C + c);
      for (int64_t off = 0; off < nc * 4; off += 64) {
        _mm_prefetch(src + off, _MM_HINT_T0);
        _mm_prefetch(dst + off, _MM_HINT_T0);
      }
    }
    for (int64_t v = 0; v < nv; ++v) {
      const __m256i m = tail_mask(nc - 8 * v);
      const int64_t cc = c + 8 * v;
      __m256 acc = _mm256_maskload_ps(b + cc, m);
      for (int64_t j = 0; j < K; ++j) {
        const int64_t r = t + j;
        const float* src = r < S ? state + r * C : in + (r - S) * in_stride;
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(wt + j * 64 + 8 * v), _mm256_maskload_ps(src + cc, m), acc);
      }
      _mm256_maskstore_ps(out + t * C + cc, m, silu256(acc));
    }
  }
  for (int64_t r = 0; r < S; ++r) {  // ascending: source row T + r > r is not yet overwritten
    const int64_t rr = T + r;
    const float* src = rr < S ? state + rr * C : in + (rr - S) * in_stride;
    for (int64_t v = 0; v < nv; ++v) {
      const __m256i m = tail_mask(nc - 8 * v);
      _mm256_maskstore_ps(state + r * C + c + 8 * v, m, _mm256_maskload_ps(src + c + 8 * v, m));
    }
  }
}

void conv_silu(int64_t c0, int64_t c1, int64_t T, int64_t C, int64_t K, const float* in, int64_t in_stride,
               float* state, const float* w, const float* b, float* out) {
  if (K > 16) {  // not a Nemotron shape; plain loops keep it correct
    const int64_t S = K - 1;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t c = c0; c < c1; ++c) {
        float acc = b[c];
        for (int64_t j = 0; j < K; ++j) {
          const int64_t r = t + j;
          acc += w[c * K + j] * (r < S ? state[r * C + c] : in[(r - S) * in_stride + c]);
        }
        out[t * C + c] = acc / (1.0f + __builtin_expf(-acc));
      }
    }
    for (int64_t r = 0; r < S; ++r) {
      const int64_t rr = T + r;
      for (int64_t c = c0; c < c1; ++c) state[r * C + c] = rr < S ? state[rr * C + c] : in[(rr - S) * in_stride + c];
    }
    return;
  }
  for (int64_t c = c0; c < c1; c += 64) {
    conv_block(c, c1 - c < 64 ? c1 - c : 64, T, C, K, in, in_stride, state, w, b, out);
  }
}

// Dot products of RB query rows with JB keys; each (row, key) has its own accumulator over 8-wide chunks of
// d_h in order, so a score does not depend on its neighbours in the block.
template <int RB, int JB>
void qk_block(int64_t dh, const float* q, const float* k, int64_t ks, float scale, float* s, int64_t lds) {
  __m256 acc[RB][JB];
  NT_UNROLL for (int r = 0; r < RB; ++r)
    NT_UNROLL for (int j = 0; j < JB; ++j) acc[r][j] = _mm256_setzero_ps();
  int64_t e = 0;
  for (; e + 8 <= dh; e += 8) {
    __m256 kv[JB];
    NT_UNROLL for (int j = 0; j < JB; ++j) kv[j] = _mm256_loadu_ps(k + j * ks + e);
    NT_UNROLL for (int r = 0; r < RB; ++r) {
      const __m256 qv = _mm256_loadu_ps(q + r * dh + e);
      NT_UNROLL for (int j = 0; j < JB; ++j) acc[r][j] = _mm256_fmadd_ps(qv, kv[j], acc[r][j]);
    }
  }
  if (e < dh) {
    const __m256i m = tail_mask(dh - e);
    __m256 kv[JB];
    NT_UNROLL for (int j = 0; j < JB; ++j) kv[j] = _mm256_maskload_ps(k + j * ks + e, m);
    NT_UNROLL for (int r = 0; r < RB; ++r) {
      const __m256 qv = _mm256_maskload_ps(q + r * dh + e, m);
      NT_UNROLL for (int j = 0; j < JB; ++j) acc[r][j] = _mm256_fmadd_ps(qv, kv[j], acc[r][j]);
    }
  }
  NT_UNROLL for (int r = 0; r < RB; ++r)
    NT_UNROLL for (int j = 0; j < JB; ++j) s[r * lds + j] = hsum(acc[r][j]) * scale;
}

void qk_scores(int64_t R, int64_t nj, int64_t dh, const float* q, const float* k, int64_t ks, float scale, float* s,
               int64_t lds) {
  int64_t r = 0;
  for (; r + 4 <= R; r += 4) {
    int64_t j = 0;
    for (; j + 2 <= nj; j += 2) qk_block<4, 2>(dh, q + r * dh, k + j * ks, ks, scale, s + r * lds + j, lds);
    if (j < nj) qk_block<4, 1>(dh, q + r * dh, k + j * ks, ks, scale, s + r * lds + j, lds);
  }
  for (; r < R; ++r) {
    int64_t j = 0;
    for (; j + 4 <= nj; j += 4) qk_block<1, 4>(dh, q + r * dh, k + j * ks, ks, scale, s + r * lds + j, lds);
    for (; j < nj; ++j) qk_block<1, 1>(dh, q + r * dh, k + j * ks, ks, scale, s + r * lds + j, lds);
  }
}

float exp_shift_sum(int64_t n, int64_t valid, const float* x, float m, float* p) {
  const __m256 mv = _mm256_set1_ps(m);
  __m256 sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; j += 8) {
    const __m256i lim = tail_mask(n - j);
    const __m256i keep = tail_mask(valid - j);
    __m256 v = exp256(_mm256_sub_ps(_mm256_maskload_ps(x + j, keep), mv));
    v = _mm256_and_ps(v, _mm256_castsi256_ps(keep));
    _mm256_maskstore_ps(p + j, lim, v);
    sum = _mm256_add_ps(sum, v);
  }
  return hsum(sum);
}

double sum_squares(const float* x, int64_t n) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    a0 = _mm256_fmadd_pd(lo, lo, a0);
    a1 = _mm256_fmadd_pd(hi, hi, a1);
  }
  double ss = hsum_pd(_mm256_add_pd(a0, a1));
  for (; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  return ss;
}

void scale_mul(const float* x, const float* w, float scale, int64_t n, float* out) {
  const __m256 sc = _mm256_set1_ps(scale);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(w + i, m), _mm256_mul_ps(_mm256_maskload_ps(x + i, m), sc));
    _mm256_maskstore_ps(out + i, m, v);
  }
}

double gate_silu_ss(const float* y, const float* z, int64_t n, float* out) {
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(y + i, m), silu256(_mm256_maskload_ps(z + i, m)));
    _mm256_maskstore_ps(out + i, m, v);
    const __m256 vz = _mm256_and_ps(v, _mm256_castsi256_ps(m));
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(vz)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(vz, 1));
    a0 = _mm256_fmadd_pd(lo, lo, a0);
    a1 = _mm256_fmadd_pd(hi, hi, a1);
  }
  return hsum_pd(_mm256_add_pd(a0, a1));
}

// maxps(x, 0) returns its second operand unless x > 0, so NaN becomes 0 like the scalar select.
void relu_sq(float* h, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_max_ps(_mm256_loadu_ps(h + i), zero), b = _mm256_max_ps(_mm256_loadu_ps(h + i + 8), zero);
    _mm256_storeu_ps(h + i, _mm256_mul_ps(a, a));
    _mm256_storeu_ps(h + i + 8, _mm256_mul_ps(b, b));
  }
  for (; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    const __m256 a = _mm256_max_ps(_mm256_maskload_ps(h + i, m), zero);
    _mm256_maskstore_ps(h + i, m, _mm256_mul_ps(a, a));
  }
}

// A product the compiler may not fuse with the add that follows (GCC contracts a vector multiply and add into an FMA
// here, -mfma, whatever the language standard; dot_f32's baseline build has no FMA): an empty asm hides it.
inline __m256 product(__m256 a, __m256 b) {
  __m256 p = _mm256_mul_ps(a, b);
  __asm__("" : "+x"(p));
  return p;
}
inline __m128 product_ss(__m128 a, __m128 b) {
  __m128 p = _mm_mul_ss(a, b);
  __asm__("" : "+x"(p));
  return p;
}

// NI tokens × one gate row: dot_f32's 16 lanes as two 8-lane halves per token (a multiply, then an add), its tail and
// final sum in scalar intrinsics.
template <int NI>
void dots_tile(int64_t n, const float* x, int64_t ldx, const float* wj, float* out, int64_t ldo) {
  __m256 lo[NI], hi[NI];
  NT_UNROLL for (int t = 0; t < NI; ++t) lo[t] = hi[t] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m256 w0 = _mm256_loadu_ps(wj + k), w1 = _mm256_loadu_ps(wj + k + 8);
    NT_UNROLL for (int t = 0; t < NI; ++t) {
      lo[t] = _mm256_add_ps(lo[t], product(w0, _mm256_loadu_ps(x + t * ldx + k)));
      hi[t] = _mm256_add_ps(hi[t], product(w1, _mm256_loadu_ps(x + t * ldx + k + 8)));
    }
  }
  NT_UNROLL for (int t = 0; t < NI; ++t) {
    __m128 s = _mm_setzero_ps();
    for (int64_t r = k; r < n; ++r) s = _mm_add_ss(s, product_ss(_mm_load_ss(wj + r), _mm_load_ss(x + t * ldx + r)));
    alignas(32) float lanes[16];
    _mm256_store_ps(lanes, lo[t]);
    _mm256_store_ps(lanes + 8, hi[t]);
    for (int l = 0; l < 16; ++l) s = _mm_add_ss(s, _mm_load_ss(lanes + l));
    out[t * ldo] = _mm_cvtss_f32(s);
  }
}

void dots(int64_t nx, int64_t nw, int64_t n, const float* x, int64_t ldx, const float* w, int64_t ldw, float* out,
          int64_t ldo) {
  for (int64_t i = 0; i < nx; i += 4) {  // 4 tokens per pass over the gate rows (8 of the 16 registers accumulate)
    const float* xi = x + i * ldx;
    for (int64_t j = 0; j < nw; ++j) {
      float* o = out + i * ldo + j;
      switch (nx - i < 4 ? nx - i : 4) {
        case 4: dots_tile<4>(n, xi, ldx, w + j * ldw, o, ldo); break;
        case 3: dots_tile<3>(n, xi, ldx, w + j * ldw, o, ldo); break;
        case 2: dots_tile<2>(n, xi, ldx, w + j * ldw, o, ldo); break;
        default: dots_tile<1>(n, xi, ldx, w + j * ldw, o, ldo); break;
      }
    }
  }
}

}  // namespace

const SeqKernels kSeqKernels{"avx2",        gemm,        decay_mask, scan_head,    conv_silu, qk_scores,
                             exp_shift_sum, sum_squares, scale_mul,  gate_silu_ss, relu_sq, dots};

}  // namespace nt::kernels::avx2
