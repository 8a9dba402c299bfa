// Causal multi-head attention with GQA and no positional encoding (spec §6), over a KV cache.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace nt {

namespace kernels {
struct SeqKernels;
}

struct AttentionDims {
  int64_t n_heads;     // n_h
  int64_t n_kv_heads;  // n_kv; query head i reads KV head i / (n_h / n_kv)
  int64_t head_dim;    // d_h
};

// q: [T, n_h*d_h] for the T newest positions; k, v: [n_past + T, n_kv*d_h] (cache incl. the new rows).
// out: [T, n_h*d_h]. Position t of the new block attends to cache rows [0, n_past + t]. Scale 1/sqrt(d_h).
// Softmax is computed online over tiles of keys (running max and sum), fp32 throughout.
// Work items are (KV head × tile of query positions): the query heads sharing a KV head read each key and
// value row once per tile. A row's result does not depend on the tiling, the thread count or T.
void attention(const AttentionDims& d, const float* q, int64_t T, const float* k, const float* v, int64_t n_past,
               float* out, ThreadPool& pool);

// The same on an explicit kernel set (tests and benchmarks compare every set this CPU has).
void attention_with(const kernels::SeqKernels& ks, const AttentionDims& d, const float* q, int64_t T,
                    const float* k, const float* v, int64_t n_past, float* out, ThreadPool& pool);

// Plain scalar version (attention_reference.cc), the reference for tests and benchmarks.
void attention_reference(const AttentionDims& d, const float* q, int64_t T, const float* k, const float* v,
                         int64_t n_past, float* out, ThreadPool& pool);

}  // namespace nt
