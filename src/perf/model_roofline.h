// What one token costs a model, for the rooflines: bytes a decode step must touch (weights, recurrent state,
// KV cache) and the useful floating-point work of a prefill. Counted from the bound weights (their real
// stored sizes, quantized or not) and the config; formulas in model_roofline.cc.
#pragma once

#include <cstdint>

#include "model/hybrid_lm.h"

namespace nt::perf {

struct DecodeBytes {
  double weights = 0;       // every matrix and vector a step reads: MoE layers count the k routed experts
  double state = 0;         // Mamba conv + SSM state, read and written
  double kv_per_past = 0;   // KV cache bytes read per token already in the context
  // Bytes of one decode step after `n_past` tokens (KV read for the past, one row written).
  double at(double n_past) const { return weights + state + kv_per_past * (n_past + 1); }
};
DecodeBytes decode_bytes(const HybridLM& lm);

struct PrefillFlops {
  double matmul_per_token = 0;  // 2 × active matrix elements (lm_head excluded: prefill needs one row of logits)
  double ssm_per_token = 0;     // conv + chunked SSD (intra-chunk causal products, chunk states, state outputs)
  double attn_per_pair = 0;     // per (query, key) pair over all attention layers: QKᵀ and P·V
  double lm_head = 0;           // once per prompt
  // FLOPs of prefilling T tokens from an empty state (causal attention: T(T+1)/2 pairs).
  double total(double T) const {
    return (matmul_per_token + ssm_per_token) * T + attn_per_pair * T * (T + 1) / 2 + lm_head;
  }
};
PrefillFlops prefill_flops(const HybridLM& lm);

}  // namespace nt::perf
