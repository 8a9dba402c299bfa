// Plain scalar reference conversions for ggml block types. These define the numbers: every fast
// kernel is tested against them, and the quantizers produce the same bytes as ggml's reference
// quantizers (ggml-quants.c, quantize_row_*_ref), so files we write match llama-quantize without imatrix.
// `n` is the row length in elements and must be a multiple of the type's block size (callers check;
// see quantize_row / dequantize_row in ggml_type.h for the checked entry points).
#pragma once

#include <cstdint>
#include <cstring>

#include "quant/blocks.h"

namespace nt::quant {

// ggml's round-to-nearest (ties to even) for |x| < 2^22, via the 1.5*2^23 bias trick. Bit-exact with ggml.
// Inline: the K-quant scale searches call it for every element of every candidate scale, and an out-of-line call
// kept their loops from vectorizing.
inline int nearest_int(float x) {
  const float biased = x + 12582912.f;  // 1.5 * 2^23: the low mantissa bits now hold round(x)
  int32_t bits;
  std::memcpy(&bits, &biased, sizeof(bits));
  return (bits & 0x007fffff) - 0x00400000;
}

// --- dequantize: blocks -> f32 -------------------------------------------------------------------
void dequantize_row_f32(const float* x, float* y, int64_t n);
void dequantize_row_f16(const uint16_t* x, float* y, int64_t n);
void dequantize_row_bf16(const uint16_t* x, float* y, int64_t n);
void dequantize_row_q4_0(const BlockQ4_0* x, float* y, int64_t n);
void dequantize_row_q4_1(const BlockQ4_1* x, float* y, int64_t n);
void dequantize_row_q5_0(const BlockQ5_0* x, float* y, int64_t n);
void dequantize_row_q5_1(const BlockQ5_1* x, float* y, int64_t n);
void dequantize_row_q8_0(const BlockQ8_0* x, float* y, int64_t n);
void dequantize_row_q2_K(const BlockQ2_K* x, float* y, int64_t n);
void dequantize_row_q3_K(const BlockQ3_K* x, float* y, int64_t n);
void dequantize_row_q4_K(const BlockQ4_K* x, float* y, int64_t n);
// The 6-bit scale and min of sub-block j (0..7) of a Q4_K block from its 12 packed bytes (ggml's get_scale_min_k4).
void get_scale_min_k4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m);
void dequantize_row_q5_K(const BlockQ5_K* x, float* y, int64_t n);
void dequantize_row_q6_K(const BlockQ6_K* x, float* y, int64_t n);
void dequantize_row_q8_K(const BlockQ8_K* x, float* y, int64_t n);

// --- quantize: f32 -> blocks ---------------------------------------------------------------------
void quantize_row_f32(const float* x, float* y, int64_t n);
void quantize_row_f16(const float* x, uint16_t* y, int64_t n);   // round to nearest even
void quantize_row_bf16(const float* x, uint16_t* y, int64_t n);  // round to nearest even
void quantize_row_q4_0(const float* x, BlockQ4_0* y, int64_t n);
void quantize_row_q4_1(const float* x, BlockQ4_1* y, int64_t n);
void quantize_row_q5_0(const float* x, BlockQ5_0* y, int64_t n);
void quantize_row_q5_1(const float* x, BlockQ5_1* y, int64_t n);
void quantize_row_q8_0(const float* x, BlockQ8_0* y, int64_t n);
void quantize_row_q8_1(const float* x, BlockQ8_1* y, int64_t n);
void quantize_row_q4_K(const float* x, BlockQ4_K* y, int64_t n);
void quantize_row_q5_K(const float* x, BlockQ5_K* y, int64_t n);
void quantize_row_q6_K(const float* x, BlockQ6_K* y, int64_t n);
void quantize_row_q8_K(const float* x, BlockQ8_K* y, int64_t n);

// --- dot products of a quantized weight row with quantized activations --------------------------
// Same arithmetic and summation order as ggml's scalar `ggml_vec_dot_*_generic`.
float vec_dot_q8_0_q8_0(int64_t n, const BlockQ8_0* x, const BlockQ8_0* y);
float vec_dot_q4_0_q8_0(int64_t n, const BlockQ4_0* x, const BlockQ8_0* y);
float vec_dot_q4_K_q8_K(int64_t n, const BlockQ4_K* x, const BlockQ8_K* y);
float vec_dot_q6_K_q8_K(int64_t n, const BlockQ6_K* x, const BlockQ8_K* y);

}  // namespace nt::quant
