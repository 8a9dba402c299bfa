// Scalar reference dot products of one quantized weight row with one quantized activation row,
// following ggml's ggml_vec_dot_*_generic: integer sums inside a block, then one float multiply-add
// per block (Q8_0 family) or eight float accumulators per super-block (K-quants). Fast kernels are
// tested against these; summation order is ggml's so the results are bit-identical to it.
#include <cstring>

#include "core/dtype.h"
#include "quant/reference.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace nt::quant {

float vec_dot_q8_0_q8_0(int64_t n, const BlockQ8_0* x, const BlockQ8_0* y) {
  float sumf = 0;
  for (int64_t ib = 0; ib < n / kQK8_0; ++ib) {
    int sumi = 0;
    for (int j = 0; j < kQK8_0; ++j) sumi += x[ib].qs[j] * y[ib].qs[j];
    sumf += static_cast<float>(sumi) * (f16_to_f32(x[ib].d) * f16_to_f32(y[ib].d));
  }
  return sumf;
}

float vec_dot_q4_0_q8_0(int64_t n, const BlockQ4_0* x, const BlockQ8_0* y) {
  float sumf = 0;
  for (int64_t ib = 0; ib < n / kQK8_0; ++ib) {
    int sumi0 = 0, sumi1 = 0;
    for (int j = 0; j < kQK8_0 / 2; ++j) {
      sumi0 += ((x[ib].qs[j] & 0x0F) - 8) * y[ib].qs[j];
      sumi1 += ((x[ib].qs[j] >> 4) - 8) * y[ib].qs[j + kQK8_0 / 2];
    }
    sumf += static_cast<float>(sumi0 + sumi1) * f16_to_f32(x[ib].d) * f16_to_f32(y[ib].d);
  }
  return sumf;
}

// sum_i d*sc[j]*q[i]*a[i]*dy - dmin*m[j]*a[i]*dy: the min term uses the precomputed bsums of Q8_K.
float vec_dot_q4_K_q8_K(int64_t n, const BlockQ4_K* x, const BlockQ8_K* y) {
  float sums[8] = {};
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t a[kQK_K];  // the 4-bit weights in element order
    const uint8_t* q4 = x[i].qs;
    for (int j = 0; j < kQK_K; j += 64, q4 += 32) {
      for (int l = 0; l < 32; ++l) a[j + l] = static_cast<int8_t>(q4[l] & 0xF);
      for (int l = 0; l < 32; ++l) a[j + 32 + l] = static_cast<int8_t>(q4[l] >> 4);
    }
    uint8_t scales[8], mins[8];
    for (int j = 0; j < 8; ++j) get_scale_min_k4(j, x[i].scales, &scales[j], &mins[j]);
    int sumi = 0;
    for (int j = 0; j < kQK_K / 16; ++j) sumi += y[i].bsums[j] * mins[j / 2];
    int32_t aux32[8] = {};
    for (int j = 0; j < kQK_K / 32; ++j) {
      for (int k = 0; k < 4; ++k) {  // four groups of 8 per sub-block, lane l accumulates element 8k+l
        const int base = 32 * j + 8 * k;
        for (int l = 0; l < 8; ++l) aux32[l] += scales[j] * static_cast<int16_t>(y[i].qs[base + l] * a[base + l]);
      }
    }
    const float d = f16_to_f32(x[i].d) * y[i].d;
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(aux32[l]);
    const float dmin = f16_to_f32(x[i].dmin) * y[i].d;
    sumf -= dmin * static_cast<float>(sumi);
  }
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

float vec_dot_q6_K_q8_K(int64_t n, const BlockQ6_K* x, const BlockQ8_K* y) {
  float sums[8] = {};
  float sumf = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t a[kQK_K];  // the 6-bit weights minus 32, in element order
    const uint8_t* ql = x[i].ql;
    const uint8_t* qh = x[i].qh;
    for (int j = 0; j < kQK_K; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        a[j + l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
        a[j + l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
        a[j + l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        a[j + l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    int32_t aux32[8] = {};
    for (int j = 0; j < kQK_K / 16; ++j) {
      const int scale = x[i].scales[j];
      for (int k = 0; k < 2; ++k) {
        const int base = 16 * j + 8 * k;
        for (int l = 0; l < 8; ++l) aux32[l] += scale * static_cast<int16_t>(y[i].qs[base + l] * a[base + l]);
      }
    }
    const float d = f16_to_f32(x[i].d) * y[i].d;
    for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(aux32[l]);
  }
  for (int l = 0; l < 8; ++l) sumf += sums[l];
  return sumf;
}

}  // namespace nt::quant
