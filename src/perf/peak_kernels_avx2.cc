// AVX2 roofline loops: 10 independent chains per instruction sequence (enough to cover its latency on
// current cores), registers only; `asm volatile` keeps the operands opaque so nothing is hoisted, and every chain
// starts from its own value so that none is a copy of another the compiler could drop (as in
// peak_kernels_avx512.cc).
#include <immintrin.h>

#include "perf/peak_kernels.h"

namespace nt::perf::avx2 {

double f32_fma_loop(int64_t iters, float seed, float* sink) {
  __m256 a = _mm256_set1_ps(seed), b = _mm256_set1_ps(1.0f - seed * 1e-7f);
  __m256 c0 = a, c1 = _mm256_add_ps(a, _mm256_set1_ps(1)), c2 = _mm256_add_ps(a, _mm256_set1_ps(2)),
         c3 = _mm256_add_ps(a, _mm256_set1_ps(3)), c4 = _mm256_add_ps(a, _mm256_set1_ps(4)),
         c5 = _mm256_add_ps(a, _mm256_set1_ps(5)), c6 = _mm256_add_ps(a, _mm256_set1_ps(6)),
         c7 = _mm256_add_ps(a, _mm256_set1_ps(7)), c8 = _mm256_add_ps(a, _mm256_set1_ps(8)),
         c9 = _mm256_add_ps(a, _mm256_set1_ps(9));
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+x"(a), "+x"(b));
    c0 = _mm256_fmadd_ps(a, b, c0);
    c1 = _mm256_fmadd_ps(a, b, c1);
    c2 = _mm256_fmadd_ps(a, b, c2);
    c3 = _mm256_fmadd_ps(a, b, c3);
    c4 = _mm256_fmadd_ps(a, b, c4);
    c5 = _mm256_fmadd_ps(a, b, c5);
    c6 = _mm256_fmadd_ps(a, b, c6);
    c7 = _mm256_fmadd_ps(a, b, c7);
    c8 = _mm256_fmadd_ps(a, b, c8);
    c9 = _mm256_fmadd_ps(a, b, c9);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                           _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(_mm256_add_ps(c6, c7),
                                                                               _mm256_add_ps(c8, c9))));
  float out[8];
  _mm256_storeu_ps(out, s);
  *sink = out[0];
  return static_cast<double>(iters) * 10 * 8 * 2;
}

double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink) {
  // One step = vpmaddubsw (32 u8×s8 products, pairs summed to i16) + vpmaddwd (pairs to i32) + vpaddd:
  // the sequence every AVX2 int8 dot product kernel issues per 32 multiply-adds.
  __m256i a = _mm256_set1_epi8(static_cast<char>(seed & 0x3f)), b = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i c0 = _mm256_set1_epi32(0), c1 = _mm256_set1_epi32(1), c2 = _mm256_set1_epi32(2), c3 = _mm256_set1_epi32(3),
          c4 = _mm256_set1_epi32(4), c5 = _mm256_set1_epi32(5), c6 = _mm256_set1_epi32(6), c7 = _mm256_set1_epi32(7),
          c8 = _mm256_set1_epi32(8), c9 = _mm256_set1_epi32(9);
  // The products do not depend on the chains, so equal ones would be computed once: the operands are made opaque
  // again before each step (no instruction; the compiler can no longer tell two steps' operands equal). Step k
  // multiplies (k & 1 ? b : a) by (k & 2 ? b : a).
  auto step = [&](__m256i& c, int k) {
    __asm__ volatile("" : "+x"(a), "+x"(b));
    c = _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(k & 1 ? b : a, k & 2 ? b : a), ones));
  };
  for (int64_t i = 0; i < iters; ++i) {
    step(c0, 2);
    step(c1, 1);
    step(c2, 0);
    step(c3, 3);
    step(c4, 2);
    step(c5, 1);
    step(c6, 0);
    step(c7, 3);
    step(c8, 2);
    step(c9, 1);
  }
  __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3)),
                               _mm256_add_epi32(_mm256_add_epi32(c4, c5),
                                                _mm256_add_epi32(_mm256_add_epi32(c6, c7), _mm256_add_epi32(c8, c9))));
  *sink = _mm256_extract_epi32(s, 0);
  return static_cast<double>(iters) * 10 * 32 * 2;
}

uint64_t read_sum(const uint64_t* p, int64_t n) {
  // The four quarters of p as four sequential streams read in step (one 128-byte step of each per iteration), as
  // the decode kernels read four weight streams per thread: one stream per core leaves part of DRAM's latency
  // uncovered and under-states what the memory system delivers. Four independent 256-bit accumulators; n is a
  // multiple of 64.
  const int64_t q = n / 4;
  __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
  for (int64_t i = 0; i < q; i += 16) {
    for (int j = 0; j < 4; ++j) {
      const uint64_t* x = p + j * q + i;
      s0 = _mm256_add_epi64(s0, _mm256_load_si256(reinterpret_cast<const __m256i*>(x)));
      s1 = _mm256_add_epi64(s1, _mm256_load_si256(reinterpret_cast<const __m256i*>(x + 4)));
      s2 = _mm256_add_epi64(s2, _mm256_load_si256(reinterpret_cast<const __m256i*>(x + 8)));
      s3 = _mm256_add_epi64(s3, _mm256_load_si256(reinterpret_cast<const __m256i*>(x + 12)));
    }
  }
  __m256i s = _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3));
  return static_cast<uint64_t>(_mm256_extract_epi64(s, 0) + _mm256_extract_epi64(s, 1) +
                               _mm256_extract_epi64(s, 2) + _mm256_extract_epi64(s, 3));
}

}  // namespace nt::perf::avx2
