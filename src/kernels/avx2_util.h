// Small AVX2 helpers shared by the *_avx2.cc tile kernels (and the *_avx512.cc ones, which must sum exactly as the
// AVX2 kernels do). Include only from files compiled with the AVX2 flags or a superset; the anonymous namespace
// gives each of those files its own copy, so no out-of-line version can be picked by the linker for code compiled
// for another instruction set.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace nt::kernels::avx2 {
namespace {

// Sum of the 8 lanes in one fixed order (part of every tile kernel's per-element operation sequence).
inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Sum of 4 lanes in one fixed order.
inline float hsum4(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// [Σ a, Σ b, Σ a, Σ b] over the 8 int32 lanes of a and of b (exact, so any order).
inline __m128i hsum2_i32(__m256i a, __m256i b) {
  const __m256i u = _mm256_hadd_epi32(a, b);  // per 128-bit half: a pairs, a pairs, b pairs, b pairs
  const __m128i v = _mm_add_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
  return _mm_hadd_epi32(v, v);
}

// ggml's get_scale_min_k4 for the 8 sub-blocks of a Q4_K block at once, 4 bytes per 32-bit word: the 6-bit scales
// (sc16) and mins (mn16) from its 12 packed bytes, as int16 lanes 0..7. Also the mins duplicated per 16 elements
// (m: lane 2j and 2j + 1 hold min j).
inline void q4_K_scales_mins(const uint8_t* scales, __m128i* sc16, __m256i* m) {
  uint32_t u0, u1, u2;
  __builtin_memcpy(&u0, scales, 4);
  __builtin_memcpy(&u1, scales + 4, 4);
  __builtin_memcpy(&u2, scales + 8, 4);
  const uint32_t sc_lo = u0 & 0x3f3f3f3fu;
  const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
  const uint32_t mn_lo = u1 & 0x3f3f3f3fu;
  const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
  *sc16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(sc_lo | (uint64_t{sc_hi} << 32))));
  const __m128i mn16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(static_cast<long long>(mn_lo | (uint64_t{mn_hi} << 32))));
  *m = _mm256_set_m128i(_mm_unpackhi_epi16(mn16, mn16), _mm_unpacklo_epi16(mn16, mn16));
}

// Writes the first n (1..8) of the 8 lanes of v to y (a tile's last rows).
inline void store_lanes(float* y, __m256 v, int n) {
  if (n >= 8) return _mm256_storeu_ps(y, v);
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  _mm256_maskstore_ps(y, mask, v);
}

// The fp16 value stored (unaligned, little-endian) at p, widened to fp32.
inline float f16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

}  // namespace
}  // namespace nt::kernels::avx2
