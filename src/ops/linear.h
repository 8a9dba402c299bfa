// Linear layers over stored weights: y[T, out] = x[T, in] · Wᵀ (+ b). fp32 activations and accumulation;
// the weight keeps its stored dtype and is converted row by row. This is the reference kernel that faster
// kernels are tested against; the weight type belongs to the weight, so the model has one definition.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "formats/tensor_view.h"
#include "model/weights.h"

namespace nt {

// Converts `count` consecutive rows of a 2-D tensor (F32/F16/BF16 or a ggml block type), starting at `row`,
// to fp32.
// out: [count, cols]
void convert_rows(const TensorView& t, int64_t row, int64_t count, float* out);

// x: [T, in], y: [T, out]
void linear(const Linear& l, const float* x, int64_t T, float* y, ThreadPool& pool);

// Dot product of two fp32 vectors with several independent accumulators (vectorizable).
float dot_f32(const float* a, const float* b, int64_t n);

}  // namespace nt
