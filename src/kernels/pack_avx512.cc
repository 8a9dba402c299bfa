// AVX-512 writers of whole kQ4_0Rows16 / kQ8_0Rows16 groups (kernels/pack_simd.h). A record holds the 16 rows'
// fp16 scales, then chunks of 64 bytes whose dword r is dword k of row r's quants: a 16 × 4 (Q4_0) or 16 × 8 (Q8_0)
// dword transpose of the rows' blocks, done with two-source permutes; the scales come in one gather.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include <immintrin.h>

#include "kernels/pack_simd.h"

// GCC 12's AVX-512 headers pass _mm512_undefined_epi32() as the unused merge source of the shuffle and insert
// intrinsics, and its -Wmaybe-uninitialized then flags them once inlined here (a known false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace nt::kernels::avx512 {
namespace {

// The 16 rows' fp16 block scales (the first 2 bytes of each row's block at `off`) -> 32 bytes at out.
inline void pack_scales(const uint8_t* row0, __m512i row_offsets, size_t off, uint8_t* out) {
  const __m512i d = _mm512_i32gather_epi32(row_offsets, row0 + off, 1);  // the scale: each dword's low half
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), _mm512_cvtepi32_epi16(d));
}

inline __m512i row_offsets(size_t row_bytes) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32(static_cast<int>(row_bytes)));
}

inline __m512i load_quad(const uint8_t* p, size_t row_bytes) {  // 16 bytes of 4 rows, row i in 128-bit lane i
  __m512i v = _mm512_zextsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + row_bytes)), 1);
  v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * row_bytes)), 2);
  return _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 3 * row_bytes)), 3);
}

inline __m512i load_pair(const uint8_t* p, size_t row_bytes) {  // 32 bytes of 2 rows, row i in 256-bit half i
  return _mm512_inserti64x4(_mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))),
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + row_bytes)), 1);
}

}  // namespace

void pack_q4_0_group(const uint8_t* row0, size_t row_bytes, int64_t nb, uint8_t* out) {
  constexpr size_t kBlock = 18, kRecord = 32 + 4 * 64;
  const __m512i offs = row_offsets(row_bytes);
  // Chunk k, rows 0..7 from quads z0 (rows 0-3) and z1 (rows 4-7): row r < 4 is dword 4r + k of z0, row 4 + r
  // dword 4r + k of z1 (index 16 + 4r + k); lanes 8..15 are not used.
  __m512i idx[4];
  for (int k = 0; k < 4; ++k) {
    idx[k] = _mm512_add_epi32(_mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0), _mm512_set1_epi32(k));
  }
  for (int64_t b = 0; b < nb; ++b) {
    const size_t off = static_cast<size_t>(b) * kBlock;
    uint8_t* rec = out + static_cast<size_t>(b) * kRecord;
    pack_scales(row0, offs, off, rec);
    const uint8_t* q = row0 + off + 2;
    const __m512i z0 = load_quad(q, row_bytes), z1 = load_quad(q + 4 * row_bytes, row_bytes);
    const __m512i z2 = load_quad(q + 8 * row_bytes, row_bytes), z3 = load_quad(q + 12 * row_bytes, row_bytes);
    for (int k = 0; k < 4; ++k) {
      const __m512i lo = _mm512_permutex2var_epi32(z0, idx[k], z1), hi = _mm512_permutex2var_epi32(z2, idx[k], z3);
      _mm512_storeu_si512(rec + 32 + 64 * k, _mm512_shuffle_i64x2(lo, hi, _MM_SHUFFLE(1, 0, 1, 0)));  // rows 0-7, 8-15
    }
  }
}

void pack_q8_0_group(const uint8_t* row0, size_t row_bytes, int64_t nb, uint8_t* out) {
  constexpr size_t kBlock = 34, kRecord = 32 + 8 * 64;
  const __m512i offs = row_offsets(row_bytes);
  // Chunk k, rows 0..3 from pairs p0 (rows 0-1) and p1 (rows 2-3): row r < 2 is dword 8r + k of p0, row 2 + r
  // dword 8r + k of p1 (index 16 + 8r + k); lanes 4..15 are not used.
  __m512i idx[8];
  for (int k = 0; k < 8; ++k) {
    idx[k] = _mm512_add_epi32(_mm512_setr_epi32(0, 8, 16, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), _mm512_set1_epi32(k));
  }
  for (int64_t b = 0; b < nb; ++b) {
    const size_t off = static_cast<size_t>(b) * kBlock;
    uint8_t* rec = out + static_cast<size_t>(b) * kRecord;
    pack_scales(row0, offs, off, rec);
    const uint8_t* q = row0 + off + 2;
    __m512i p[8];
    for (int i = 0; i < 8; ++i) p[i] = load_pair(q + 2 * static_cast<size_t>(i) * row_bytes, row_bytes);
    for (int k = 0; k < 8; ++k) {
      const __m512i r0 = _mm512_permutex2var_epi32(p[0], idx[k], p[1]), r1 = _mm512_permutex2var_epi32(p[2], idx[k], p[3]);
      const __m512i r2 = _mm512_permutex2var_epi32(p[4], idx[k], p[5]), r3 = _mm512_permutex2var_epi32(p[6], idx[k], p[7]);
      // 128-bit lane 0 of r0..r3 holds rows 0-3, 4-7, 8-11, 12-15
      const __m512i r01 = _mm512_shuffle_i32x4(r0, r1, _MM_SHUFFLE(0, 0, 0, 0));  // [r0.0, r0.0, r1.0, r1.0]
      const __m512i r23 = _mm512_shuffle_i32x4(r2, r3, _MM_SHUFFLE(0, 0, 0, 0));
      _mm512_storeu_si512(rec + 32 + 64 * k, _mm512_shuffle_i32x4(r01, r23, _MM_SHUFFLE(2, 0, 2, 0)));
    }
  }
}

}  // namespace nt::kernels::avx512
