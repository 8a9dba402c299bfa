// Mamba-2 sequence ops (spec §5.2–§5.4, §5.7): causal depthwise conv + SiLU, and the selective-state scan in
// two equivalent forms — the token-by-token recurrence (decode) and the chunked SSD algorithm (prefill).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace nt {

namespace kernels {
struct SeqKernels;
}

// Causal depthwise conv1d over T new rows, continuing from `state`, then SiLU.
// in: [T, C] with row stride in_stride (pre-conv xBC); state: [K-1, C] (previous inputs, oldest first; updated
// to the last K-1 inputs); w: [C, K] (w[c][K-1] multiplies the current input); b: [C]; out: [T, C].
// SIMD across channels, SiLU fused, no concatenation of state and inputs; the overload with a pool splits the
// channels across threads.
void conv1d_silu(const float* in, int64_t in_stride, int64_t T, int64_t C, int64_t K, const float* w,
                 const float* b, float* state, float* out);
void conv1d_silu(const float* in, int64_t in_stride, int64_t T, int64_t C, int64_t K, const float* w,
                 const float* b, float* state, float* out, ThreadPool& pool);

// Shapes shared by the scan variants.
struct SsmDims {
  int64_t n_heads;     // n_m
  int64_t head_dim;    // P
  int64_t state_size;  // N
  int64_t n_groups;    // G
};

// Inputs of one scan call over T tokens.
struct SsmInputs {
  const float* xbc;       // [T, xbc_stride]: x at 0 ([n_m*P]), B at n_m*P ([G*N]), C after B ([G*N])
  int64_t xbc_stride;
  const float* dt;        // [T, dt_stride]: raw dt, one per head (before dt_bias and softplus)
  int64_t dt_stride;
  const float* dt_bias;   // [n_m]
  const float* A;         // [n_m], negative
  const float* D;         // [n_m]
  float dt_min, dt_max;   // time_step_limit clamp ((0, inf) = none)
};

// softplus with PyTorch's threshold: x > 20 passes through.
inline float softplus_f32(float x) { return x > 20.0f ? x : __builtin_log1pf(__builtin_expf(x)); }

// Sequential recurrence. state: [n_m, P, N] fp32, updated. y: [T, n_m*P].
// Heads across threads; each head's [P, N] state stays in cache while all T tokens are applied.
void ssm_scan(const SsmDims& d, const SsmInputs& in, int64_t T, float* state, float* y, ThreadPool& pool);

// Chunked SSD with chunk length `chunk`: same result up to summation order. state updated; y: [T, n_m*P].
// C·Bᵀ per (group, chunk) once for all heads of the group, then heads across threads, the chunk-local products
// as small GEMMs on a transposed copy of the head's state.
void ssm_chunked(const SsmDims& d, const SsmInputs& in, int64_t T, int64_t chunk, float* state, float* y,
                 ThreadPool& pool);

// The same ops on an explicit kernel set (tests and benchmarks compare every set this CPU has).
void conv1d_silu_with(const kernels::SeqKernels& k, const float* in, int64_t in_stride, int64_t T, int64_t C,
                      int64_t K, const float* w, const float* b, float* state, float* out, ThreadPool& pool);
void ssm_scan_with(const kernels::SeqKernels& k, const SsmDims& d, const SsmInputs& in, int64_t T, float* state,
                   float* y, ThreadPool& pool);
void ssm_chunked_with(const kernels::SeqKernels& k, const SsmDims& d, const SsmInputs& in, int64_t T,
                      int64_t chunk, float* state, float* y, ThreadPool& pool);

// Plain scalar versions (ssm_reference.cc): the references for tests and benchmarks.
void conv1d_silu_reference(const float* in, int64_t in_stride, int64_t T, int64_t C, int64_t K, const float* w,
                           const float* b, float* state, float* out);
void ssm_scan_reference(const SsmDims& d, const SsmInputs& in, int64_t T, float* state, float* y,
                        ThreadPool& pool);
void ssm_chunked_reference(const SsmDims& d, const SsmInputs& in, int64_t T, int64_t chunk, float* state,
                           float* y, ThreadPool& pool);

}  // namespace nt
