// Plain scalar RMS norms, kept as the references for the SIMD versions in norm.cc.
#include "ops/norm.h"

#include <cmath>

namespace nt {

void rms_norm_reference(const float* x, const float* w, int64_t T, int64_t n, float eps, float* out) {
  for (int64_t t = 0; t < T; ++t) {
    const float* xt = x + t * n;
    float* ot = out + t * n;
    double ss = 0;  // double accumulation keeps the mean exact enough for wide rows
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(xt[i]) * xt[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    for (int64_t i = 0; i < n; ++i) ot[i] = w[i] * (xt[i] * scale);
  }
}

void gated_group_rms_norm_reference(const float* y, int64_t y_stride, const float* z, int64_t z_stride, const float* w,
                          int64_t T, int64_t n, int64_t n_groups, float eps, float* out) {
  const int64_t gs = n / n_groups;
  for (int64_t t = 0; t < T; ++t) {
    const float* yt = y + t * y_stride;
    const float* zt = z + t * z_stride;
    float* ot = out + t * n;
    for (int64_t g = 0; g < n_groups; ++g) {
      double ss = 0;
      for (int64_t i = g * gs; i < (g + 1) * gs; ++i) {
        const float v = yt[i] * silu(zt[i]);
        ot[i] = v;
        ss += static_cast<double>(v) * v;
      }
      const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(gs) + eps));
      for (int64_t i = g * gs; i < (g + 1) * gs; ++i) ot[i] = w[i] * (ot[i] * scale);
    }
  }
}

}  // namespace nt
