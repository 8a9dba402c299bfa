// MoE router (spec §8.1): sigmoid scores, score-correction bias for selection only, DeepSeek-V3 group-limited
// top-k, renormalization and routed scaling. All fp32.
#pragma once

#include <cstdint>
#include <vector>

namespace nt {

struct RouterParams {
  int64_t n_experts;       // E
  int64_t top_k;           // k
  int64_t n_group;         // groups of E / n_group experts
  int64_t topk_group;      // groups kept
  bool norm_topk_prob;
  float routed_scaling_factor;
};

struct Routing {
  std::vector<int32_t> experts;  // k selected expert ids (descending by biased score)
  std::vector<float> weights;    // k weights, after renormalization and scaling
};

// logits: [E] router logits of one token; bias: [E] e_score_correction_bias.
Routing route_token(const RouterParams& p, const float* logits, const float* bias);

}  // namespace nt
