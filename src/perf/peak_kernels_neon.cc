// AArch64 roofline loops (Advanced SIMD + dotprod): fp32 fmla and the int8 dot product sdot that the NEON kernels
// issue (kernels/gemm_neon.cc), ten chains each, registers only. As in peak_kernels_avx512.cc, every chain starts
// from its own value (equal chains would be computed once) and an empty asm makes the operands opaque on every
// iteration, so nothing is hoisted out of the loop.
#include <arm_neon.h>

#include "perf/peak_kernels.h"

namespace nt::perf::neon {

double f32_fma_loop(int64_t iters, float seed, float* sink) {
  float32x4_t a = vdupq_n_f32(seed), b = vdupq_n_f32(1.0f - seed * 1e-7f);
  float32x4_t c0 = a, c1 = vaddq_f32(a, vdupq_n_f32(1)), c2 = vaddq_f32(a, vdupq_n_f32(2)),
              c3 = vaddq_f32(a, vdupq_n_f32(3)), c4 = vaddq_f32(a, vdupq_n_f32(4)), c5 = vaddq_f32(a, vdupq_n_f32(5)),
              c6 = vaddq_f32(a, vdupq_n_f32(6)), c7 = vaddq_f32(a, vdupq_n_f32(7)), c8 = vaddq_f32(a, vdupq_n_f32(8)),
              c9 = vaddq_f32(a, vdupq_n_f32(9));
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+w"(a), "+w"(b));
    c0 = vfmaq_f32(c0, a, b);
    c1 = vfmaq_f32(c1, a, b);
    c2 = vfmaq_f32(c2, a, b);
    c3 = vfmaq_f32(c3, a, b);
    c4 = vfmaq_f32(c4, a, b);
    c5 = vfmaq_f32(c5, a, b);
    c6 = vfmaq_f32(c6, a, b);
    c7 = vfmaq_f32(c7, a, b);
    c8 = vfmaq_f32(c8, a, b);
    c9 = vfmaq_f32(c9, a, b);
  }
  const float32x4_t s = vaddq_f32(vaddq_f32(vaddq_f32(c0, c1), vaddq_f32(c2, c3)),
                                  vaddq_f32(vaddq_f32(c4, c5), vaddq_f32(vaddq_f32(c6, c7), vaddq_f32(c8, c9))));
  *sink = vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 3);
  return static_cast<double>(iters) * 10 * 4 * 2;
}

double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink) {
  // One sdot = 16 int8 multiply-adds into 4 int32 lanes (the lanes wrap on a long run, as the hardware does).
  int8x16_t a = vdupq_n_s8(static_cast<int8_t>(seed & 0x3f)), b = vdupq_n_s8(3);
  int32x4_t c0 = vdupq_n_s32(0), c1 = vdupq_n_s32(1), c2 = vdupq_n_s32(2), c3 = vdupq_n_s32(3), c4 = vdupq_n_s32(4),
            c5 = vdupq_n_s32(5), c6 = vdupq_n_s32(6), c7 = vdupq_n_s32(7), c8 = vdupq_n_s32(8), c9 = vdupq_n_s32(9);
  for (int64_t i = 0; i < iters; ++i) {
    __asm__ volatile("" : "+w"(a), "+w"(b));
    c0 = vdotq_s32(c0, a, b);
    c1 = vdotq_s32(c1, a, b);
    c2 = vdotq_s32(c2, a, b);
    c3 = vdotq_s32(c3, a, b);
    c4 = vdotq_s32(c4, a, b);
    c5 = vdotq_s32(c5, a, b);
    c6 = vdotq_s32(c6, a, b);
    c7 = vdotq_s32(c7, a, b);
    c8 = vdotq_s32(c8, a, b);
    c9 = vdotq_s32(c9, a, b);
  }
  const int32x4_t s = vaddq_s32(vaddq_s32(vaddq_s32(c0, c1), vaddq_s32(c2, c3)),
                                vaddq_s32(vaddq_s32(c4, c5), vaddq_s32(vaddq_s32(c6, c7), vaddq_s32(c8, c9))));
  *sink = vgetq_lane_s32(s, 0);
  return static_cast<double>(iters) * 10 * 16 * 2;
}

uint64_t read_sum(const uint64_t* p, int64_t n) {
  // The four quarters of p as four sequential streams read in step, 128 bytes of each per iteration (as
  // avx2::read_sum); four independent accumulators; n is a multiple of 64.
  const int64_t q = n / 4;
  uint64x2_t s0 = vdupq_n_u64(0), s1 = s0, s2 = s0, s3 = s0;
  for (int64_t i = 0; i < q; i += 16) {
    for (int j = 0; j < 4; ++j) {
      const uint64_t* x = p + j * q + i;
      s0 = vaddq_u64(s0, vaddq_u64(vld1q_u64(x), vld1q_u64(x + 8)));
      s1 = vaddq_u64(s1, vaddq_u64(vld1q_u64(x + 2), vld1q_u64(x + 10)));
      s2 = vaddq_u64(s2, vaddq_u64(vld1q_u64(x + 4), vld1q_u64(x + 12)));
      s3 = vaddq_u64(s3, vaddq_u64(vld1q_u64(x + 6), vld1q_u64(x + 14)));
    }
  }
  const uint64x2_t s = vaddq_u64(vaddq_u64(s0, s1), vaddq_u64(s2, s3));
  return vgetq_lane_u64(s, 0) + vgetq_lane_u64(s, 1);
}

}  // namespace nt::perf::neon
