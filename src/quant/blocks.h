// Block layouts of ggml's quantized types, byte-for-byte as stored in GGUF files (little endian).
// `d`, `m`, `dmin` are IEEE fp16 bit patterns. Sizes are static_asserted so a layout slip cannot compile.
#pragma once

#include <cstdint>

namespace nt {

constexpr int kQK4_0 = 32;
constexpr int kQK4_1 = 32;
constexpr int kQK5_0 = 32;
constexpr int kQK5_1 = 32;
constexpr int kQK8_0 = 32;
constexpr int kQK8_1 = 32;
constexpr int kQK_K = 256;      // super-block size of the K-quants
constexpr int kKScaleSize = 12; // packed 6-bit scales + mins of Q4_K / Q5_K

// x[i] = d * (q[i] - 8). qs[j] holds element j (low nibble) and element j+16 (high nibble).
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK4_0 / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "wrong q4_0 block size");

// x[i] = d * q[i] + m. Same nibble order as Q4_0.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kQK4_1 / 2];
};
static_assert(sizeof(BlockQ4_1) == 20, "wrong q4_1 block size");

// x[i] = d * (q[i] - 16); the fifth bit of element i is bit i of qh (little-endian u32).
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQK5_0 / 2];
};
static_assert(sizeof(BlockQ5_0) == 22, "wrong q5_0 block size");

// x[i] = d * q[i] + m, 5-bit q as in Q5_0.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};
static_assert(sizeof(BlockQ5_1) == 24, "wrong q5_1 block size");

// x[i] = d * qs[i].
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK8_0];
};
static_assert(sizeof(BlockQ8_0) == 34, "wrong q8_0 block size");

// Q8_0 plus s = d * sum(qs), used as the activation side of Q4_1 / Q5_1 dot products.
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kQK8_1];
};
static_assert(sizeof(BlockQ8_1) == 36, "wrong q8_1 block size");

// 16 sub-blocks of 16: x = d * (scales[j] & 15) * q - dmin * (scales[j] >> 4), q in 0..3.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d;
  uint16_t dmin;
};
static_assert(sizeof(BlockQ2_K) == 84, "wrong q2_K block size");

// 16 sub-blocks of 16 with 6-bit signed scales; 2 low bits in qs, high bit in hmask.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110, "wrong q3_K block size");

// 8 sub-blocks of 32: x = d * sc[j] * q - dmin * m[j], q in 0..15, 6-bit sc/m packed in `scales`.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "wrong q4_K block size");

// As Q4_K with a fifth bit per element in qh.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ5_K) == 176, "wrong q5_K block size");

// 16 sub-blocks of 16: x = d * scales[j] * (q - 32), q 6-bit: low 4 bits in ql, high 2 bits in qh.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210, "wrong q6_K block size");

// Activation side of K-quant dot products: f32 scale, and sums of each group of 16 quants.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};
static_assert(sizeof(BlockQ8_K) == 292, "wrong q8_K block size");

}  // namespace nt
