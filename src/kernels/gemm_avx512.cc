// AVX-512 (F/BW/VL) + VNNI tile kernels for the q8_0-activation routes (see gemm.h for the contract). One VNNI
// instruction (vpdpbusd: 4 unsigned × signed byte products summed into an int32 lane) replaces AVX2's
// maddubs + madd pair, and a 512-bit register holds two Q8_0 rows' blocks or four Q4_0 rows' blocks.
//
// Every output element goes through exactly the operations of the AVX2 kernel (gemm_avx2.cc): the same exact
// int32 block sums in the same lanes (lane i of a Q8_0 block covers elements 4i..4i+3; of a Q4_0 block
// 4i..4i+3 and 16+4i..16+4i+3), the same fp32 scale product d_w·d_y, one fma per block into the element's own
// 8 (Q8_0) or 4 (Q4_0) lanes, and the same horizontal sum. So the AVX-512 route gives bitwise the AVX2 results;
// it is only faster.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
// GCC 12 reports the _mm512_undefined_* placeholders inside its own AVX-512 intrinsics as (maybe-)uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include "kernels/avx2_util.h"
#include "kernels/gemm.h"

namespace nt::kernels::avx512 {
namespace {

#if defined(__clang__)
#define NT_UNROLL _Pragma("clang loop unroll(full)")
#else
#define NT_UNROLL _Pragma("GCC unroll 16")
#endif

// Software prefetch distance in blocks of each streamed row (as in gemm_avx2.cc).
constexpr int kPrefetchBlocks = 32;

// The AVX2 kernels' horizontal sums (avx2_util.h), operation for operation.
using avx2::hsum4;
inline float hsum8(__m256 v) { return avx2::hsum(v); }

inline uint64_t u16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return h;
}

// Up to 4 fp16 scales at p[0], p[stride], ... gathered in a general register, widened to fp32 lanes 0..3.
inline __m128 scales4(const uint8_t* const* rows, int n, size_t off) {
  uint64_t hs = 0;
  for (int j = 0; j < n; ++j) hs |= u16_at(rows[j] + off) << (16 * j);
  return _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(hs)));
}

// --- Q8_0: two rows per register ---------------------------------------------------------------------------------
// Row 2p's 32 quants in the low 256 bits, row 2p+1's in the high 256 bits. VNNI multiplies unsigned by signed
// bytes, so the weights are biased once per block, u = w + 128 (w xor 0x80), and the bias is taken out exactly:
//   p = dpbusd(u, y) − dpbusd(128, y) = Σ w·y   (per lane: 4 products, |Σ| < 2^17)
// which is AVX2's madd(maddubs(|w|, sign(y, w)), 1) value for value.

template <int RP, int RN>
void micro_q8_0(const uint8_t* const* rows, int nrows, const int8_t* yq, const float* yd, int64_t n_in, float* y,
                int64_t ldy) {
  const int64_t nb = n_in / 32;
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512 acc[RP][RN];
  NT_UNROLL for (int p = 0; p < RP; ++p)
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[p][t] = _mm512_setzero_ps();
  // The blocks the loop's own prefetches do not cover (the first kPrefetchBlocks of each row), requested at once.
  const int64_t head = (nb < kPrefetchBlocks ? nb : kPrefetchBlocks) * 34;
  for (int j = 0; j < 2 * RP; ++j)
    for (int64_t i = 0; i < head; i += 64) _mm_prefetch(reinterpret_cast<const char*>(rows[j] + i), _MM_HINT_T0);
  for (int64_t ib = 0; ib < nb; ++ib) {
    const size_t off = static_cast<size_t>(ib) * 34;
    __m512i u[RP];
    __m512 dw[RP];  // lanes 0..7: d_w of row 2p, lanes 8..15: of row 2p+1
    NT_UNROLL for (int p = 0; p < RP; ++p) {
      const uint8_t* a = rows[2 * p] + off;
      const uint8_t* b = rows[2 * p + 1] + off;
      _mm_prefetch(reinterpret_cast<const char*>(a + kPrefetchBlocks * 34), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchBlocks * 34), _MM_HINT_T0);
      const __m512i w = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 2))),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2)), 1);
      u[p] = _mm512_xor_si512(w, bias);
      dw[p] = _mm512_permutexvar_ps(
          _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
          _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(u16_at(a) | (u16_at(b) << 16))))));
    }
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const __m512i yv = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(yq + t * n_in + ib * 32)));
      const __m512i corr = _mm512_dpbusd_epi32(_mm512_setzero_si512(), bias, yv);
      const __m512 dy = _mm512_set1_ps(yd[t * nb + ib]);
      NT_UNROLL for (int p = 0; p < RP; ++p) {
        const __m512i s = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u[p], yv), corr);
        acc[p][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw[p], dy), acc[p][t]);
      }
    }
  }
  NT_UNROLL for (int p = 0; p < RP; ++p) {
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      if (2 * p < nrows) y[t * ldy + 2 * p] = hsum8(_mm512_castps512_ps256(acc[p][t]));
      if (2 * p + 1 < nrows) y[t * ldy + 2 * p + 1] = hsum8(_mm512_extractf32x8_ps(acc[p][t], 1));
    }
  }
}

constexpr int kCols = 4;  // tokens per register tile when there is more than one

template <int RP>
void run_q8_0(const uint8_t* const* rows, int nrows, int64_t mt, const int8_t* yq, const float* yd, int64_t n_in,
              float* y, int64_t ldy) {
  switch (mt) {
    case 1: micro_q8_0<RP, 1>(rows, nrows, yq, yd, n_in, y, ldy); break;
    case 2: micro_q8_0<RP, 2>(rows, nrows, yq, yd, n_in, y, ldy); break;
    case 3: micro_q8_0<RP, 3>(rows, nrows, yq, yd, n_in, y, ldy); break;
    default: micro_q8_0<RP, 4>(rows, nrows, yq, yd, n_in, y, ldy); break;
  }
}

// --- Q4_0: four rows per register --------------------------------------------------------------------------------
// Row j of a group of 4 in 128-bit lane j: the block's 16 bytes (element i low nibble, 16 + i high nibble). One
// mask and one shift unpack all four rows; the activations' halves are broadcast to every lane, and per lane
//   p = dpbusd(dpbusd(0, lo, y[0:16]), hi, y[16:32]) − off,   off = Act::s4 (8·Σ y over the lane's elements)
// is AVX2's madd(maddubs(lo, y[0:16]) + maddubs(hi, y[16:32]), 1) − off value for value.

// Where the 4 rows' blocks come from (the same values either way):
//   Rows:   the stored layout, 4 row pointers (a short group repeats its last row), blocks 18 bytes apart.
//   Packed: the kQ4_0Rows4 layout (kernels/packed_weight.h): per block 8 bytes of scales, then 64 quant bytes.
struct RowsQ4 {
  const uint8_t* rows[4];
  void prefetch_head(int64_t nb) const {
    const int64_t n = nb < kPrefetchBlocks ? nb : kPrefetchBlocks;
    for (int j = 0; j < 4; ++j)
      for (int64_t i = 0; i < n * 18; i += 64) _mm_prefetch(reinterpret_cast<const char*>(rows[j] + i), _MM_HINT_T0);
  }
  __m128 scales(size_t ib) const { return scales4(rows, 4, ib * 18); }
  __m512i quants(size_t ib) const {
    const size_t off = ib * 18;
    __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[0] + off + 2)));
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[1] + off + 2)), 1);
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[2] + off + 2)), 2);
    v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[3] + off + 2)), 3);
    for (int j = 0; j < 4; ++j)
      _mm_prefetch(reinterpret_cast<const char*>(rows[j] + off + kPrefetchBlocks * 18), _MM_HINT_T0);
    return v;
  }
};

struct PackedQ4 {
  const uint8_t* group;
  // The blocks the loop's own prefetches do not cover (the first kPrefetchBlocks), all requested at once.
  void prefetch_head(int64_t nb) const {
    const int64_t n = nb < kPrefetchBlocks ? nb : kPrefetchBlocks;
    for (int64_t i = 0; i < n * 72; i += 64) _mm_prefetch(reinterpret_cast<const char*>(group + i), _MM_HINT_T0);
  }
  __m128 scales(size_t ib) const {
    return _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(group + ib * 72)));
  }
  __m512i quants(size_t ib) const {
    const uint8_t* b = group + ib * 72;
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchBlocks * 72), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchBlocks * 72 + 64), _MM_HINT_T0);
    return _mm512_loadu_si512(b + 8);
  }
};

template <bool kPacked>
struct SrcOf {
  using type = RowsQ4;
};
template <>
struct SrcOf<true> {
  using type = PackedQ4;
};

// RG groups of 4 rows × RN tokens; nrows[g] rows of group g are written.
template <class Src, int RG, int RN>
void micro_q4_0(const Src* src, const int* nrows, const int8_t* yq, const float* yd, const int32_t* ys, int64_t n_in,
                float* y, int64_t ldy) {
  const int64_t nb = n_in / 32;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i lane_of = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  __m512 acc[RG][RN];
  NT_UNROLL for (int g = 0; g < RG; ++g) {
    src[g].prefetch_head(nb);
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[g][t] = _mm512_setzero_ps();
  }
  for (int64_t ib = 0; ib < nb; ++ib) {
    __m512i lo[RG], hi[RG];
    __m512 dw[RG];
    NT_UNROLL for (int g = 0; g < RG; ++g) {
      const __m512i wb = src[g].quants(static_cast<size_t>(ib));
      lo[g] = _mm512_and_si512(wb, m4);
      hi[g] = _mm512_and_si512(_mm512_srli_epi16(wb, 4), m4);
      dw[g] = _mm512_permutexvar_ps(lane_of, _mm512_castps128_ps512(src[g].scales(static_cast<size_t>(ib))));
    }
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      const __m512i ylo = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
      const __m512i yhi = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
      // −off starts the integer sum (exact: the same int32 value as subtracting it at the end).
      const __m512i neg_off = _mm512_sub_epi32(
          _mm512_setzero_si512(),
          _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ys + (t * nb + ib) * 4))));
      const __m512 dy = _mm512_set1_ps(yd[t * nb + ib]);
      NT_UNROLL for (int g = 0; g < RG; ++g) {
        const __m512i s = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(neg_off, lo[g], ylo), hi[g], yhi);
        acc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw[g], dy), acc[g][t]);
      }
    }
  }
  NT_UNROLL for (int g = 0; g < RG; ++g) {
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      float* yo = y + t * ldy + 4 * g;
      if (nrows[g] > 0) yo[0] = hsum4(_mm512_castps512_ps128(acc[g][t]));
      if (nrows[g] > 1) yo[1] = hsum4(_mm512_extractf32x4_ps(acc[g][t], 1));
      if (nrows[g] > 2) yo[2] = hsum4(_mm512_extractf32x4_ps(acc[g][t], 2));
      if (nrows[g] > 3) yo[3] = hsum4(_mm512_extractf32x4_ps(acc[g][t], 3));
    }
  }
}

template <class Src, int RG>
void run_q4_0(const Src* src, const int* nrows, int64_t mt, const int8_t* yq, const float* yd, const int32_t* ys,
              int64_t n_in, float* y, int64_t ldy) {
  switch (mt) {
    case 1: micro_q4_0<Src, RG, 1>(src, nrows, yq, yd, ys, n_in, y, ldy); break;
    case 2: micro_q4_0<Src, RG, 2>(src, nrows, yq, yd, ys, n_in, y, ldy); break;
    case 3: micro_q4_0<Src, RG, 3>(src, nrows, yq, yd, ys, n_in, y, ldy); break;
    default: micro_q4_0<Src, RG, 4>(src, nrows, yq, yd, ys, n_in, y, ldy); break;
  }
}

// Register tiles span kSpan rows (two Q4_0 groups, four Q8_0 pairs for one token; two pairs for more).
constexpr int64_t kSpan = 8;

template <bool kPacked>
void tile_q4_0_impl(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                    int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  for (int64_t t = 0; t < nt; t += kCols) {
    const int64_t mt = nt - t < kCols ? nt - t : kCols;
    const int8_t* yq = a.qs + (t0 + t) * a.n_in;
    const float* yd = a.d + (t0 + t) * nb;
    const int32_t* ys = a.s4 + (t0 + t) * nb * 4;
    for (int64_t r = 0; r < nr; r += kSpan) {
      const int64_t left = nr - r;
      const int ng = left > 4 ? 2 : 1;
      int nrows[2];
      using Src = typename SrcOf<kPacked>::type;
      Src src[2];
      for (int g = 0; g < ng; ++g) {
        const int64_t rg = r + 4 * g;
        nrows[g] = static_cast<int>(nr - rg < 4 ? nr - rg : 4);
        if constexpr (kPacked) {
          src[g].group = w + static_cast<size_t>(rg / 4) * ws;
        } else {
          for (int j = 0; j < 4; ++j) src[g].rows[j] = w + static_cast<size_t>(rg + (j < nrows[g] ? j : nrows[g] - 1)) * ws;
        }
      }
      float* yt = y + t * ldy + r;
      if (ng == 2) {
        run_q4_0<Src, 2>(src, nrows, mt, yq, yd, ys, a.n_in, yt, ldy);
      } else {
        run_q4_0<Src, 1>(src, nrows, mt, yq, yd, ys, a.n_in, yt, ldy);
      }
    }
  }
}

}  // namespace

void tile_q8_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  for (int64_t t = 0; t < nt; t += kCols) {
    const int64_t mt = nt - t < kCols ? nt - t : kCols;
    const int8_t* yq = a.qs + (t0 + t) * a.n_in;
    const float* yd = a.d + (t0 + t) * nb;
    // One token: 4 pairs (8 rows) per tile for independent accumulation chains; more tokens: 2 pairs × 4 tokens.
    const int64_t span = mt == 1 ? kSpan : 4;
    for (int64_t r = 0; r < nr; r += span) {
      const int nrows = static_cast<int>(nr - r < span ? nr - r : span);
      const uint8_t* rows[kSpan];
      for (int j = 0; j < kSpan; ++j) rows[j] = w + static_cast<size_t>(r + (j < nrows ? j : nrows - 1)) * ws;
      float* yt = y + t * ldy + r;
      const int pairs = (nrows + 1) / 2;
      if (mt == 1) {
        switch (pairs) {
          case 1: micro_q8_0<1, 1>(rows, nrows, yq, yd, a.n_in, yt, ldy); break;
          case 2: micro_q8_0<2, 1>(rows, nrows, yq, yd, a.n_in, yt, ldy); break;
          case 3: micro_q8_0<3, 1>(rows, nrows, yq, yd, a.n_in, yt, ldy); break;
          default: micro_q8_0<4, 1>(rows, nrows, yq, yd, a.n_in, yt, ldy); break;
        }
      } else if (pairs == 1) {
        run_q8_0<1>(rows, nrows, mt, yq, yd, a.n_in, yt, ldy);
      } else {
        run_q8_0<2>(rows, nrows, mt, yq, yd, a.n_in, yt, ldy);
      }
    }
  }
}

void tile_q4_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_q4_0_impl<false>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q4_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  tile_q4_0_impl<true>(w, ws, nr, a, t0, nt, y, ldy);
}

}  // namespace nt::kernels::avx512
