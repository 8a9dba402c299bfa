#include "quant/modelopt_quantize.h"

#include <algorithm>
#include <cmath>

#include "quant/modelopt.h"

namespace nt {

namespace {

float usable(float s) { return s > 0.0f && std::isfinite(s) ? s : 1.0f; }

}  // namespace

float modelopt_amax(const float* x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

float modelopt_fp8_scale(float amax) { return usable(amax / 448.0f); }

float modelopt_nvfp4_scale2(float amax) { return usable(amax / (6.0f * 448.0f)); }

void modelopt_fp8_row(const float* x, int64_t in, float scale, uint8_t* codes) {
  for (int64_t i = 0; i < in; ++i) codes[i] = f32_to_e4m3(x[i] / scale);
}

void modelopt_nvfp4_row(const float* x, int64_t in, float scale2, uint8_t* packed, uint8_t* block_scales) {
  std::fill(packed, packed + in / 2, uint8_t{0});
  for (int64_t b = 0; b < in / 16; ++b) {
    const float* xb = x + b * 16;
    const uint8_t bs = f32_to_e4m3(modelopt_amax(xb, 16) / 6.0f / scale2);
    block_scales[b] = bs;
    const float v = e4m3_to_f32(bs);
    const float denom = (v > 0.0f ? v : 1.0f) * scale2;
    for (int j = 0; j < 16; ++j) {
      const uint8_t code = f32_to_e2m1(xb[j] / denom);
      packed[(b * 16 + j) / 2] |= static_cast<uint8_t>((j & 1) ? code << 4 : code);
    }
  }
}

}  // namespace nt
