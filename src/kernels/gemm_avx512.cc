// AVX-512 (F/BW/VL) + VNNI tile kernels for the q8_0-activation routes (see gemm.h for the contract). One VNNI
// instruction (vpdpbusd: 4 unsigned × signed byte products summed into an int32 lane) replaces AVX2's
// maddubs + madd pair, and a 512-bit register holds two Q8_0 rows' blocks. (Q4_0: gemm_q4_0_avx512.cc.)
//
// Every output element goes through exactly the operations of the AVX2 kernel (gemm_avx2.cc): the same exact
// int32 block sums in the same lanes (lane i of a Q8_0 block covers elements 4i..4i+3), the same fp32 scale
// product d_w·d_y, one fma per block into the element's own 8 lanes, and the same horizontal sum. So the AVX-512 route gives bitwise the AVX2 results;
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
inline float hsum8(__m256 v) { return avx2::hsum(v); }

inline uint64_t u16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return h;
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

// Register tiles span kSpan rows (four Q8_0 pairs for one token; two pairs for more).
constexpr int64_t kSpan = 8;

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

}  // namespace nt::kernels::avx512
