// The four mixer kinds of a hybrid layer. Each maps the block-normed input u: [T, H] to out: [T, H].
// A batch stacks the rows of several sequences; `segments` says which rows belong to which sequence, so
// the projections run once over all rows (each weight read once per step) while the stateful parts
// (conv, SSM scan, KV cache) run per sequence. The residual add and the pre-norm live in hybrid_lm.cc.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "model/config.h"
#include "model/state.h"
#include "model/weights.h"

namespace nt {

enum class ScanMode : uint8_t {
  Auto,        // chunked SSD for T > 1, recurrence for single tokens
  Recurrent,   // token-by-token recurrence
  Chunked,     // chunked SSD always
};

// Rows [row0, row0 + n) of the stacked batch belong to `state`, continuing after state->n_past tokens.
struct Segment {
  int64_t row0;
  int64_t n;
  SequenceState* state;
};

void mamba2_forward(const ModelConfig& c, const MambaWeights& w, size_t layer, const float* u, int64_t T,
                    std::span<const Segment> segments, ScanMode mode, float* out, ThreadPool& pool);

void attention_forward(const ModelConfig& c, const AttentionWeights& w, size_t layer, const float* u, int64_t T,
                       std::span<const Segment> segments, float* out, ThreadPool& pool);

// out = down(relu2(up(u))); u: [T, D_x].
void mlp_forward(const MlpWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool);
// h = max(h, 0)² in place, h: [n] (the MLP activation; NaN becomes 0).
void relu_squared(float* h, int64_t n, ThreadPool& pool);

void moe_forward(const ModelConfig& c, const MoeWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool);

}  // namespace nt
