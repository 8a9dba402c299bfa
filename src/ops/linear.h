// Linear layers over stored weights: y[T, out] = x[T, in] · Wᵀ (+ b). The weight keeps its stored type (the type
// belongs to the weight, so the model has one definition).
//
// linear() is the fast path (kernels/linear_fast.h): it dispatches on the weight type and on the instruction set
// (cpu_features(); NEMOTRON_ISA caps it). Quantized weights use ggml's integer dot products against activations
// quantized once per call to q8_0 / q8_K, so their results differ from linear_reference() by the activation
// quantization error; fp32 routes differ only in summation order. Each output element y[t][r] is bitwise the same
// whatever T is, wherever token t sits in the batch, and whatever the thread count.
//
// linear_reference() is the exact reference: each weight row converted to fp32 (convert_rows) and an fp32 dot
// with each token. Every faster kernel is tested against it. Setting the environment variable
// NEMOTRON_KERNELS=reference (read once, at the first linear() call) or calling
// set_linear_kernels(LinearKernels::kReference) makes linear() take the reference route.
#pragma once

#include <cstdint>
#include <span>

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
// Independent linear layers in one round of the thread pool, each with exactly linear()'s results: many small
// matrices (the experts a token selects) then cost one pool round instead of one each.
void linear_many(std::span<const LinearCall> calls, ThreadPool& pool);
void linear_reference(const Linear& l, const float* x, int64_t T, float* y, ThreadPool& pool);

enum class LinearKernels { kFast, kReference };
// Process-wide choice of the route linear() takes; the default comes from NEMOTRON_KERNELS (fast unless it is
// "reference"). Not meant to be switched while another thread is inside linear().
void set_linear_kernels(LinearKernels k);
LinearKernels linear_kernels();

// Switches linear() to `k` for the lifetime of the object (tests).
class ScopedLinearKernels {
 public:
  explicit ScopedLinearKernels(LinearKernels k) : saved_(linear_kernels()) { set_linear_kernels(k); }
  ~ScopedLinearKernels() { set_linear_kernels(saved_); }
  ScopedLinearKernels(const ScopedLinearKernels&) = delete;
  ScopedLinearKernels& operator=(const ScopedLinearKernels&) = delete;

 private:
  LinearKernels saved_;
};

// Dot product of two fp32 vectors with several independent accumulators (vectorizable).
float dot_f32(const float* a, const float* b, int64_t n);

}  // namespace nt
