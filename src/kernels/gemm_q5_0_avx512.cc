// AVX-512 VNNI kernel for Q5_0 in the packed kQ5_0Rows16 layout (kernels/packed_weight.h) against q8_0 activations,
// with the Q4_0 operation sequence of gemm.h and s = Σ (q − 16)·y: bitwise the AVX2 stored-row kernel's results.
//
// As the packed Q4_0 kernel, a 512-bit quant column holds 4 bytes of each of 16 rows (elements 4k..4k+3 in the low
// nibbles, 16+4k.. in the high ones), one dot-product lane per row. The record's qh column holds each row's 32 fifth
// bits in its lane; for column k a byte shuffle copies the qh byte holding bits 4k..4k+3 (16+4k..) into the row's 4
// bytes, a bit test turns them into a byte mask and 16 is added where it is set.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx512 {
namespace {

constexpr size_t kRecord = 352;  // kQ5_0Rows16: 32 bytes of scales, the qh column, 4 quant columns of 64 bytes
constexpr int kTokens = 8;       // tokens per register tile

// Byte shuffle index: every byte of dword lane j takes byte `b` of the same dword.
inline __m512i dword_byte(int b) {
  return _mm512_add_epi8(_mm512_set1_epi32(0x01010101 * b),
                         _mm512_set_epi32(12 * 0x01010101, 8 * 0x01010101, 4 * 0x01010101, 0, 12 * 0x01010101,
                                          8 * 0x01010101, 4 * 0x01010101, 0, 12 * 0x01010101, 8 * 0x01010101,
                                          4 * 0x01010101, 0, 12 * 0x01010101, 8 * 0x01010101, 4 * 0x01010101, 0));
}

// One group × RN tokens; rows whose bit is clear in `m` are not written.
template <int RN>
void micro(const uint8_t* g, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb, int64_t n_in, float* y,
           int64_t ldy, __mmask16 m) {
  const __m512i m4 = _mm512_set1_epi8(0x0F), sixteen = _mm512_set1_epi8(16);
  // Bits 4(k % 2) .. 4(k % 2) + 3 of the selected byte, one per byte of the lane.
  const __m512i bits_even = _mm512_set1_epi32(0x08040201), bits_odd = _mm512_set1_epi32(static_cast<int>(0x80402010u));
  __m512 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec = g + ib * kRecord;
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec)));
    const __m512i qh = _mm512_loadu_si512(rec + 32);
    __m512i lo[4], hi[4];
    NT_UNROLL for (int k = 0; k < 4; ++k) {
      const __m512i v = _mm512_loadu_si512(rec + 96 + 64 * k);
      const __m512i bits = k % 2 == 0 ? bits_even : bits_odd;
      const __mmask64 ml = _mm512_test_epi8_mask(_mm512_shuffle_epi8(qh, dword_byte(k / 2)), bits);
      const __mmask64 mh = _mm512_test_epi8_mask(_mm512_shuffle_epi8(qh, dword_byte(2 + k / 2)), bits);
      lo[k] = _mm512_and_si512(v, m4);
      hi[k] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
      lo[k] = _mm512_mask_add_epi8(lo[k], ml, lo[k], sixteen);
      hi[k] = _mm512_mask_add_epi8(hi[k], mh, hi[k], sixteen);
    }
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      __m512i s_lo = _mm512_set1_epi32(yb[t * nb + ib]);
      __m512i s_hi = _mm512_setzero_si512();
      NT_UNROLL for (int k = 0; k < 4; ++k) {
        s_lo = _mm512_dpbusd_epi32(s_lo, lo[k], _mm512_set1_epi32(i32_at(b + 4 * k)));
        s_hi = _mm512_dpbusd_epi32(s_hi, hi[k], _mm512_set1_epi32(i32_at(b + 16 + 4 * k)));
      }
      const __m512i s = _mm512_add_epi32(s_lo, s_hi);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(yd[t * nb + ib])), acc[t]);
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) _mm512_mask_storeu_ps(y + t * ldy, m, acc[t]);
}

}  // namespace

void tile_q5_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  for_tiles<kTokens>(nr, nt, 16, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const int64_t tt = t0 + t;
    micro<RN>(w + static_cast<size_t>(r / 16) * ws, nb, a.qs + tt * a.n_in, a.d + tt * nb, a.ybias + tt * nb, a.n_in,
              y + t * ldy + r, ldy, static_cast<__mmask16>((1u << nrows) - 1));
  });
}

}  // namespace nt::kernels::avx512
