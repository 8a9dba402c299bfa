// The four mixer kinds of a hybrid layer. Each maps the block-normed input u: [T, H] to out: [T, H],
// continuing the sequence's state. The residual add and the pre-norm live in hybrid_lm.cc.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "model/config.h"
#include "model/weights.h"

namespace nt {

enum class ScanMode : uint8_t {
  Auto,        // chunked SSD for T > 1, recurrence for single tokens
  Recurrent,   // token-by-token recurrence
  Chunked,     // chunked SSD always
};

// conv_state: [K-1, d_conv]; ssm_state: [n_m, P, N].
void mamba2_forward(const ModelConfig& c, const MambaWeights& w, const float* u, int64_t T, float* conv_state,
                    float* ssm_state, ScanMode mode, float* out, ThreadPool& pool);

// k_cache, v_cache: [n_past, n_kv*d_h], the T new rows are appended.
void attention_forward(const ModelConfig& c, const AttentionWeights& w, const float* u, int64_t T,
                       std::vector<float>& k_cache, std::vector<float>& v_cache, int64_t n_past, float* out,
                       ThreadPool& pool);

// out = down(relu2(up(u))); u: [T, D_x].
void mlp_forward(const MlpWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool);

void moe_forward(const ModelConfig& c, const MoeWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool);

}  // namespace nt
