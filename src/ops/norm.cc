// RMS norms on the SIMD kernels of seq_kernels_*.cc (sums of squares in double, as the reference).
#include "ops/norm.h"

#include <cmath>

#include "core/thread_pool.h"
#include "ops/seq_kernels.h"

namespace nt {

void rms_norm(const float* x, const float* w, int64_t T, int64_t n, float eps, float* out) {
  const kernels::SeqKernels& k = kernels::seq_kernels();
  for (int64_t t = 0; t < T; ++t) {
    const double ss = k.sum_squares(x + t * n, n);
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    k.scale_mul(x + t * n, w, scale, n, out + t * n);
  }
}

void gated_group_rms_norm(const float* y, int64_t y_stride, const float* z, int64_t z_stride, const float* w,
                          int64_t T, int64_t n, int64_t n_groups, float eps, float* out) {
  const kernels::SeqKernels& k = kernels::seq_kernels();
  const int64_t gs = n / n_groups;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t g = 0; g < n_groups; ++g) {
      const int64_t o = g * gs;
      float* ot = out + t * n + o;
      const double ss = k.gate_silu_ss(y + t * y_stride + o, z + t * z_stride + o, gs, ot);
      const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(gs) + eps));
      k.scale_mul(ot, w + o, scale, gs, ot);
    }
  }
}

namespace {
constexpr int64_t kMinRowsToSplit = 4;  // below this, waking the pool costs more than the rows
}

void rms_norm(const float* x, const float* w, int64_t T, int64_t n, float eps, float* out, ThreadPool& pool) {
  if (T < kMinRowsToSplit) return rms_norm(x, w, T, n, eps, out);
  pool.parallel_for(T, [&](int64_t t0, int64_t t1, int) { rms_norm(x + t0 * n, w, t1 - t0, n, eps, out + t0 * n); });
}

void gated_group_rms_norm(const float* y, int64_t y_stride, const float* z, int64_t z_stride, const float* w,
                          int64_t T, int64_t n, int64_t n_groups, float eps, float* out, ThreadPool& pool) {
  if (T < kMinRowsToSplit) return gated_group_rms_norm(y, y_stride, z, z_stride, w, T, n, n_groups, eps, out);
  pool.parallel_for(T, [&](int64_t t0, int64_t t1, int) {
    gated_group_rms_norm(y + t0 * y_stride, y_stride, z + t0 * z_stride, z_stride, w, t1 - t0, n, n_groups, eps,
                         out + t0 * n);
  });
}

}  // namespace nt
