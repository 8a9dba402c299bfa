// Attention mixer (spec §6): q/k/v projections, no positional encoding, GQA, causal softmax, o_proj.
// Projections run over the whole batch; each sequence appends to its own KV cache and attends to it.
#include <vector>

#include "core/op_profile.h"
#include "core/scratch.h"
#include "model/blocks/blocks.h"
#include "ops/attention.h"
#include "ops/linear.h"

namespace nt {

void attention_forward(const ModelConfig& c, const AttentionWeights& w, size_t layer, const float* u, int64_t T,
                       std::span<const Segment> segments, float* out, ThreadPool& pool) {
  const int64_t q_dim = c.num_attention_heads * c.head_dim, kv_dim = c.num_key_value_heads * c.head_dim;
  Scratch<float> q(static_cast<size_t>(T * q_dim)), k(static_cast<size_t>(T * kv_dim)),
      v(static_cast<size_t>(T * kv_dim));  // [T, n_h*d_h], [T, n_kv*d_h] x2
  linear(w.q_proj, u, T, q.data(), pool);
  linear(w.k_proj, u, T, k.data(), pool);
  linear(w.v_proj, u, T, v.data(), pool);

  Scratch<float> a(static_cast<size_t>(T * q_dim));  // [T, n_h*d_h]
  const AttentionDims dims{c.num_attention_heads, c.num_key_value_heads, c.head_dim};
  for (const Segment& s : segments) {
    prof::OpScope scope("attention");
    std::vector<float>& kc = s.state->k[layer];
    std::vector<float>& vc = s.state->v[layer];
    kc.insert(kc.end(), k.data() + s.row0 * kv_dim, k.data() + (s.row0 + s.n) * kv_dim);
    vc.insert(vc.end(), v.data() + s.row0 * kv_dim, v.data() + (s.row0 + s.n) * kv_dim);
    attention(dims, q.data() + s.row0 * q_dim, s.n, kc.data(), vc.data(), s.state->n_past, a.data() + s.row0 * q_dim,
              pool);
  }
  linear(w.o_proj, a.data(), T, out, pool);
}

}  // namespace nt
