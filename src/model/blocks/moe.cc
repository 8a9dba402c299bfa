// MoE mixer (spec §8, §9.1): fp32 sigmoid router with group-limited top-k, relu² experts, always-on shared
// expert, optional latent projections. Tokens are grouped by expert so each selected expert's weights are read
// once per call, whatever the number of tokens routed to it.
#include <vector>

#include "core/op_profile.h"
#include "model/blocks/blocks.h"
#include "ops/linear.h"
#include "ops/moe_router.h"

namespace nt {

void moe_forward(const ModelConfig& c, const MoeWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool) {
  const int64_t H = c.hidden_size, E = c.n_routed_experts, Dx = c.moe_input_size();
  const RouterParams rp{E, c.num_experts_per_tok, c.n_group, c.topk_group, c.norm_topk_prob,
                        static_cast<float>(c.routed_scaling_factor)};

  // Router: logits[t] = gate · u[t] in fp32, then selection per token.
  std::vector<float> logits(static_cast<size_t>(E));
  std::vector<std::vector<std::pair<int64_t, float>>> by_expert(static_cast<size_t>(E));  // (token, weight)
  {
    prof::OpScope scope("moe_router");
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t e = 0; e < E; ++e) logits[e] = dot_f32(w.gate.data() + e * H, u + t * H, H);
      Routing r = route_token(rp, logits.data(), w.score_bias.data());
      for (size_t i = 0; i < r.experts.size(); ++i) by_expert[r.experts[i]].push_back({t, r.weights[i]});
    }
  }

  // Routed experts operate on x = u, or on the latent projection fc1·u.
  std::vector<float> latent;
  const float* x = u;
  if (w.has_latent) {
    latent.resize(static_cast<size_t>(T * Dx));
    linear(w.fc1_latent, u, T, latent.data(), pool);
    x = latent.data();
  }
  std::vector<float> routed(static_cast<size_t>(T * Dx), 0.0f);  // [T, D_x] weighted sum of expert outputs
  std::vector<float> xin, yout;
  for (int64_t e = 0; e < E; ++e) {
    const auto& toks = by_expert[e];
    if (toks.empty()) continue;
    const int64_t n = static_cast<int64_t>(toks.size());
    xin.resize(static_cast<size_t>(n * Dx));
    yout.resize(static_cast<size_t>(n * Dx));
    for (int64_t i = 0; i < n; ++i) std::copy_n(x + toks[i].first * Dx, Dx, xin.data() + i * Dx);
    mlp_forward(w.experts[e], xin.data(), n, yout.data(), pool);
    for (int64_t i = 0; i < n; ++i) {
      float* dst = routed.data() + toks[i].first * Dx;
      const float wt = toks[i].second;
      for (int64_t j = 0; j < Dx; ++j) dst[j] += wt * yout[i * Dx + j];
    }
  }
  if (w.has_latent) linear(w.fc2_latent, routed.data(), T, out, pool);
  else std::copy(routed.begin(), routed.end(), out);

  if (w.has_shared) {
    std::vector<float> shared(static_cast<size_t>(T * H));
    mlp_forward(w.shared, u, T, shared.data(), pool);
    for (int64_t i = 0; i < T * H; ++i) out[i] += shared[i];
  }
}

}  // namespace nt
