// Portable tile kernels: one scalar dot product per output element, in the order of ggml's generic vec_dot
// (quant/vec_dot.cc), so each element's value is independent of the tile shape.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/dtype.h"
#include "kernels/gemm.h"
#include "ops/linear.h"
#include "quant/reference.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace nt::kernels::scalar {
namespace {

float f16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

// Same arithmetic as quant::vec_dot_q8_0_q8_0 with the activation scales already widened.
float dot_q8_0(const uint8_t* w, const int8_t* yq, const float* yd, int64_t nb) {
  float sumf = 0;
  for (int64_t ib = 0; ib < nb; ++ib, w += sizeof(BlockQ8_0)) {
    const int8_t* q = reinterpret_cast<const int8_t*>(w + 2);
    const int8_t* y = yq + ib * kQK8_0;
    int sumi = 0;
    for (int j = 0; j < kQK8_0; ++j) sumi += q[j] * y[j];
    sumf += static_cast<float>(sumi) * (f16_at(w) * yd[ib]);
  }
  return sumf;
}

// Same arithmetic as quant::vec_dot_q4_0_q8_0.
float dot_q4_0(const uint8_t* w, const int8_t* yq, const float* yd, int64_t nb) {
  float sumf = 0;
  for (int64_t ib = 0; ib < nb; ++ib, w += sizeof(BlockQ4_0)) {
    const uint8_t* q = w + 2;
    const int8_t* y = yq + ib * kQK8_0;
    int sumi0 = 0, sumi1 = 0;
    for (int j = 0; j < kQK8_0 / 2; ++j) {
      sumi0 += ((q[j] & 0x0F) - 8) * y[j];
      sumi1 += ((q[j] >> 4) - 8) * y[j + kQK8_0 / 2];
    }
    sumf += static_cast<float>(sumi0 + sumi1) * f16_at(w) * yd[ib];
  }
  return sumf;
}

template <typename Dot>
void tile_q32(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy,
              Dot dot) {
  const int64_t nb = a.n_in / kQK8_0;
  for (int64_t t = 0; t < nt; ++t) {
    const int8_t* yq = a.qs + (t0 + t) * a.n_in;
    const float* yd = a.d + (t0 + t) * nb;
    for (int64_t r = 0; r < nr; ++r) y[t * ldy + r] = dot(w + static_cast<size_t>(r) * ws, yq, yd, nb);
  }
}

}  // namespace

void tile_q8_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_q32(w, ws, nr, a, t0, nt, y, ldy, dot_q8_0);
}

void tile_q4_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_q32(w, ws, nr, a, t0, nt, y, ldy, dot_q4_0);
}

void tile_q4_K(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / kQK_K;
  const BlockQ8_K* act = static_cast<const BlockQ8_K*>(a.q8k);
  for (int64_t t = 0; t < nt; ++t) {
    for (int64_t r = 0; r < nr; ++r) {
      y[t * ldy + r] = quant::vec_dot_q4_K_q8_K(a.n_in, reinterpret_cast<const BlockQ4_K*>(w + static_cast<size_t>(r) * ws),
                                                act + (t0 + t) * nb);
    }
  }
}

void tile_q6_K(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / kQK_K;
  const BlockQ8_K* act = static_cast<const BlockQ8_K*>(a.q8k);
  for (int64_t t = 0; t < nt; ++t) {
    for (int64_t r = 0; r < nr; ++r) {
      y[t * ldy + r] = quant::vec_dot_q6_K_q8_K(a.n_in, reinterpret_cast<const BlockQ6_K*>(w + static_cast<size_t>(r) * ws),
                                                act + (t0 + t) * nb);
    }
  }
}

void tile_f32(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  for (int64_t t = 0; t < nt; ++t) {
    const float* xt = a.x + (t0 + t) * a.n_in;
    for (int64_t r = 0; r < nr; ++r) {
      y[t * ldy + r] = dot_f32(reinterpret_cast<const float*>(w + static_cast<size_t>(r) * ws), xt, a.n_in);
    }
  }
}

// Mirrors quant::quantize_row_q8_0: d = amax / 127, q = round(x / d) with the fp32 d, stored scale fp16(d).
void quantize_q8_0(const float* x, int64_t n, int8_t* qs, float* d) {
  for (int64_t ib = 0; ib < n / kQK8_0; ++ib, x += kQK8_0, qs += kQK8_0) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float dd = amax / 127;
    const float id = dd != 0.0f ? 1.0f / dd : 0.0f;
    d[ib] = f16_to_f32(f32_to_f16(dd));
    for (int j = 0; j < kQK8_0; ++j) qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

void pair_order(const float* x, int64_t n, float* out) {
  for (int64_t k = 0; k < n; k += 32) {
    const int64_t half = n - k >= 32 ? 16 : 8;  // a last group of 16 columns holds 8 even and 8 odd ones
    for (int64_t j = 0; j < half; ++j) {
      out[k + j] = x[k + 2 * j];
      out[k + half + j] = x[k + 2 * j + 1];
    }
  }
}

}  // namespace nt::kernels::scalar
