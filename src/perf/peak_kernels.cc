// Portable roofline loops, for machines without the x86 kernels (the compiler picks the instructions).
#include "perf/peak_kernels.h"

namespace nt::perf::scalar {

// b is re-read from a volatile every iteration and each chain has its own multiplier and start, so no product can
// be hoisted out of the loop or shared between chains (equal chains would be computed once).
double f32_fma_loop(int64_t iters, float seed, float* sink) {
  volatile float vb = 1.0f - seed * 1e-7f;
  float a[16], c[16];
  for (int j = 0; j < 16; ++j) a[j] = c[j] = seed + static_cast<float>(j);
  for (int64_t i = 0; i < iters; ++i) {
    const float b = vb;
    for (int j = 0; j < 16; ++j) c[j] = a[j] * b + c[j];
  }
  float s = 0;
  for (float x : c) s += x;
  *sink = s;
  return static_cast<double>(iters) * 16 * 2;
}

double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink) {
  const int8_t a = static_cast<int8_t>(seed & 0x3f);
  volatile int8_t vb = 3;  // re-read every iteration, as in f32_fma_loop
  uint32_t c[16] = {0};  // unsigned: a long run wraps (defined) where int32 lanes would overflow
  for (int64_t i = 0; i < iters; ++i) {
    const int8_t b = vb;
    for (int j = 0; j < 16; ++j) c[j] += static_cast<uint32_t>(static_cast<int8_t>(a + j) * b);
  }
  uint32_t s = 0;
  for (uint32_t x : c) s += x;
  *sink = static_cast<int32_t>(s);
  return static_cast<double>(iters) * 16 * 2;
}

uint64_t read_sum(const uint64_t* p, int64_t n) {
  // The four quarters of p as four sequential streams read in step (as avx2::read_sum); n is a multiple of 64.
  const int64_t q = n / 4;
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int64_t i = 0; i < q; i += 8) {
    for (int j = 0; j < 4; ++j) {
      const uint64_t* x = p + j * q + i;
      s0 += x[0] + x[4];
      s1 += x[1] + x[5];
      s2 += x[2] + x[6];
      s3 += x[3] + x[7];
    }
  }
  return s0 + s1 + s2 + s3;
}

}  // namespace nt::perf::scalar
