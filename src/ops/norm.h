// RMS normalizations (spec §3, §5.5). fp32 math, one rounding (none: outputs stay fp32).
#pragma once

#include <cstdint>

namespace nt {

class ThreadPool;

// out[t] = w ⊙ x[t] / sqrt(mean(x[t]²) + eps).  x, out: [T, n]; w: [n]. out may alias x.
void rms_norm(const float* x, const float* w, int64_t T, int64_t n, float eps, float* out);

// Mamba's gated group RMSNorm (norm_before_gate = false):
// v = y ⊙ silu(z); each of the n_groups contiguous groups of v is RMS-normalized; out = v ⊙ w.
// y, z, out: [T, n] with row strides y_stride / z_stride / n; w: [n]. out may alias y when strides match.
void gated_group_rms_norm(const float* y, int64_t y_stride, const float* z, int64_t z_stride, const float* w,
                          int64_t T, int64_t n, int64_t n_groups, float eps, float* out);

// The same, with the rows (tokens) split over the pool; each row's result does not depend on the split.
void rms_norm(const float* x, const float* w, int64_t T, int64_t n, float eps, float* out, ThreadPool& pool);
void gated_group_rms_norm(const float* y, int64_t y_stride, const float* z, int64_t z_stride, const float* w,
                          int64_t T, int64_t n, int64_t n_groups, float eps, float* out, ThreadPool& pool);

// Plain scalar versions (norm_reference.cc), the references for tests.
void rms_norm_reference(const float* x, const float* w, int64_t T, int64_t n, float eps, float* out);
void gated_group_rms_norm_reference(const float* y, int64_t y_stride, const float* z, int64_t z_stride,
                                    const float* w, int64_t T, int64_t n, int64_t n_groups, float eps, float* out);

inline float silu(float x) { return x / (1.0f + __builtin_expf(-x)); }

}  // namespace nt
