// Causal multi-head attention with GQA and no positional encoding (spec §6), over a KV cache.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace nt {

struct AttentionDims {
  int64_t n_heads;     // n_h
  int64_t n_kv_heads;  // n_kv; query head i reads KV head i / (n_h / n_kv)
  int64_t head_dim;    // d_h
};

// q: [T, n_h*d_h] for the T newest positions; k, v: [n_past + T, n_kv*d_h] (cache incl. the new rows).
// out: [T, n_h*d_h]. Position t of the new block attends to cache rows [0, n_past + t]. Scale 1/sqrt(d_h).
// Softmax is computed online over tiles of keys (running max and sum), fp32 throughout.
void attention(const AttentionDims& d, const float* q, int64_t T, const float* k, const float* v, int64_t n_past,
               float* out, ThreadPool& pool);

}  // namespace nt
