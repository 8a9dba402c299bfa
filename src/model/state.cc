#include "model/state.h"

#include <algorithm>

namespace nt {

SequenceState SequenceState::create(const ModelConfig& c) {
  SequenceState s;
  const size_t L = c.layers.size();
  s.conv.resize(L);
  s.ssm.resize(L);
  s.k.resize(L);
  s.v.resize(L);
  for (size_t i = 0; i < L; ++i) {
    if (c.layers[i] != LayerKind::Mamba) continue;
    s.conv[i].assign(static_cast<size_t>((c.conv_kernel - 1) * c.d_conv()), 0.0f);
    s.ssm[i].assign(static_cast<size_t>(c.mamba_num_heads * c.mamba_head_dim * c.ssm_state_size), 0.0f);
  }
  return s;
}

void SequenceState::reset() {
  n_past = 0;
  for (auto& x : conv) std::fill(x.begin(), x.end(), 0.0f);
  for (auto& x : ssm) std::fill(x.begin(), x.end(), 0.0f);
  for (auto& x : k) x.clear();
  for (auto& x : v) x.clear();
}

int64_t recurrent_state_bytes(const ModelConfig& c) {
  const int64_t per_layer = (c.conv_kernel - 1) * c.d_conv() + c.mamba_num_heads * c.mamba_head_dim * c.ssm_state_size;
  return c.count(LayerKind::Mamba) * per_layer * 4;
}

int64_t kv_bytes_per_token(const ModelConfig& c) {
  return c.count(LayerKind::Attention) * 2 * c.num_key_value_heads * c.head_dim * 4;
}

}  // namespace nt
