// Attention mixer (spec §6): q/k/v projections, no positional encoding, GQA, causal softmax, o_proj.
#include <vector>

#include "model/blocks/blocks.h"
#include "ops/attention.h"
#include "ops/linear.h"

namespace nt {

void attention_forward(const ModelConfig& c, const AttentionWeights& w, const float* u, int64_t T,
                       std::vector<float>& k_cache, std::vector<float>& v_cache, int64_t n_past, float* out,
                       ThreadPool& pool) {
  const int64_t q_dim = c.num_attention_heads * c.head_dim, kv_dim = c.num_key_value_heads * c.head_dim;
  std::vector<float> q(static_cast<size_t>(T * q_dim));  // [T, n_h*d_h]
  linear(w.q_proj, u, T, q.data(), pool);
  const size_t old_rows = static_cast<size_t>(n_past * kv_dim);
  k_cache.resize(old_rows + static_cast<size_t>(T * kv_dim));
  v_cache.resize(old_rows + static_cast<size_t>(T * kv_dim));
  linear(w.k_proj, u, T, k_cache.data() + old_rows, pool);
  linear(w.v_proj, u, T, v_cache.data() + old_rows, pool);

  std::vector<float> a(static_cast<size_t>(T * q_dim));  // [T, n_h*d_h]
  const AttentionDims dims{c.num_attention_heads, c.num_key_value_heads, c.head_dim};
  attention(dims, q.data(), T, k_cache.data(), v_cache.data(), n_past, a.data(), pool);
  linear(w.o_proj, a.data(), T, out, pool);
}

}  // namespace nt
