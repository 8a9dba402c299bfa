// Per-sequence inference state of a hybrid model: Mamba conv + SSM state (fp32) for M layers, a KV cache for
// attention layers only. MLP and MoE layers are stateless. Copying a SequenceState snapshots it exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "model/config.h"

namespace nt {

struct SequenceState {
  int64_t n_past = 0;                       // tokens already processed
  std::vector<std::vector<float>> conv;     // per layer: [K-1, d_conv] last pre-conv inputs (M layers)
  std::vector<std::vector<float>> ssm;      // per layer: [n_m, P, N] (M layers)
  std::vector<std::vector<float>> k, v;     // per layer: [n_past, n_kv*d_h] (attention layers)

  static SequenceState create(const ModelConfig& c);
  void reset();
};

// Bytes of recurrent state per sequence (conv + SSM, all Mamba layers), independent of length.
int64_t recurrent_state_bytes(const ModelConfig& c);
// Bytes of KV cache per token (K and V, all attention layers).
int64_t kv_bytes_per_token(const ModelConfig& c);

}  // namespace nt
