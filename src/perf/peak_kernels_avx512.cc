// AVX-512 roofline loops (zmm registers): fp32 FMA and the VNNI int8 dot product vpdpbusd. Every chain starts
// from its own value: chains with equal starting values and equal updates compute equal values, and the compiler
// kept one of each such set (one FMA and four vpdpbusd per iteration for the ten counted: latency-bound chains that
// claimed 2.5 instructions per cycle, over-stating both peaks about 1.25×).
#include <immintrin.h>

#include "perf/peak_kernels.h"

namespace nt::perf::avx512 {

double f32_fma_loop(int64_t iters, float seed, float* sink) {
  __m512 a = _mm512_set1_ps(seed), b = _mm512_set1_ps(1.0f - seed * 1e-7f);
  __m512 c0 = a, c1 = _mm512_add_ps(a, _mm512_set1_ps(1)), c2 = _mm512_add_ps(a, _mm512_set1_ps(2)),
         c3 = _mm512_add_ps(a, _mm512_set1_ps(3)), c4 = _mm512_add_ps(a, _mm512_set1_ps(4)),
         c5 = _mm512_add_ps(a, _mm512_set1_ps(5)), c6 = _mm512_add_ps(a, _mm512_set1_ps(6)),
         c7 = _mm512_add_ps(a, _mm512_set1_ps(7)), c8 = _mm512_add_ps(a, _mm512_set1_ps(8)),
         c9 = _mm512_add_ps(a, _mm512_set1_ps(9));
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+v"(a), "+v"(b));
    c0 = _mm512_fmadd_ps(a, b, c0);
    c1 = _mm512_fmadd_ps(a, b, c1);
    c2 = _mm512_fmadd_ps(a, b, c2);
    c3 = _mm512_fmadd_ps(a, b, c3);
    c4 = _mm512_fmadd_ps(a, b, c4);
    c5 = _mm512_fmadd_ps(a, b, c5);
    c6 = _mm512_fmadd_ps(a, b, c6);
    c7 = _mm512_fmadd_ps(a, b, c7);
    c8 = _mm512_fmadd_ps(a, b, c8);
    c9 = _mm512_fmadd_ps(a, b, c9);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                           _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(_mm512_add_ps(c6, c7),
                                                                               _mm512_add_ps(c8, c9))));
  float out[16];
  _mm512_storeu_ps(out, s);
  *sink = out[0] + out[15];
  return static_cast<double>(iters) * 10 * 16 * 2;
}

double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink) {
  __m512i a = _mm512_set1_epi8(static_cast<char>(seed & 0x3f)), b = _mm512_set1_epi8(3);
  __m512i c0 = _mm512_set1_epi32(0), c1 = _mm512_set1_epi32(1), c2 = _mm512_set1_epi32(2), c3 = _mm512_set1_epi32(3),
          c4 = _mm512_set1_epi32(4), c5 = _mm512_set1_epi32(5), c6 = _mm512_set1_epi32(6), c7 = _mm512_set1_epi32(7),
          c8 = _mm512_set1_epi32(8), c9 = _mm512_set1_epi32(9);
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+v"(a), "+v"(b));
    c0 = _mm512_dpbusd_epi32(c0, a, b);
    c1 = _mm512_dpbusd_epi32(c1, b, a);
    c2 = _mm512_dpbusd_epi32(c2, a, a);
    c3 = _mm512_dpbusd_epi32(c3, b, b);
    c4 = _mm512_dpbusd_epi32(c4, a, b);
    c5 = _mm512_dpbusd_epi32(c5, b, a);
    c6 = _mm512_dpbusd_epi32(c6, a, a);
    c7 = _mm512_dpbusd_epi32(c7, b, b);
    c8 = _mm512_dpbusd_epi32(c8, a, b);
    c9 = _mm512_dpbusd_epi32(c9, b, a);
  }
  __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                               _mm512_add_epi32(_mm512_add_epi32(c4, c5),
                                                _mm512_add_epi32(_mm512_add_epi32(c6, c7), _mm512_add_epi32(c8, c9))));
  int32_t out[16];
  _mm512_storeu_si512(out, s);
  *sink = static_cast<int32_t>(static_cast<uint32_t>(out[0]) + static_cast<uint32_t>(out[15]));  // wraps, as the lanes do
  return static_cast<double>(iters) * 10 * 64 * 2;
}

}  // namespace nt::perf::avx512
