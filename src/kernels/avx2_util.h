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

// The fp16 value stored (unaligned, little-endian) at p, widened to fp32.
inline float f16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

}  // namespace
}  // namespace nt::kernels::avx2
