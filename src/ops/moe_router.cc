#include "ops/moe_router.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nt {

Routing route_token(const RouterParams& p, const float* logits, const float* bias) {
  const int64_t E = p.n_experts, per_group = E / p.n_group;
  std::vector<float> score(static_cast<size_t>(E)), biased(static_cast<size_t>(E));
  for (int64_t e = 0; e < E; ++e) {
    score[e] = 1.0f / (1.0f + std::exp(-logits[e]));
    biased[e] = score[e] + bias[e];
  }
  // Group-limited selection: a group's score is the sum of its top-2 biased scores; keep topk_group groups.
  if (p.n_group > 1) {
    std::vector<float> gscore(static_cast<size_t>(p.n_group));
    for (int64_t g = 0; g < p.n_group; ++g) {
      float a = -std::numeric_limits<float>::infinity(), b = a;
      for (int64_t e = g * per_group; e < (g + 1) * per_group; ++e) {
        if (biased[e] > a) { b = a; a = biased[e]; }
        else if (biased[e] > b) b = biased[e];
      }
      gscore[g] = per_group >= 2 ? a + b : a;
    }
    std::vector<int64_t> order(static_cast<size_t>(p.n_group));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return gscore[x] > gscore[y]; });
    std::vector<bool> keep(static_cast<size_t>(p.n_group), false);
    for (int64_t i = 0; i < p.topk_group; ++i) keep[order[i]] = true;
    for (int64_t e = 0; e < E; ++e) {
      if (!keep[e / per_group]) biased[e] = -std::numeric_limits<float>::infinity();
    }
  }
  std::vector<int32_t> idx(static_cast<size_t>(E));
  std::iota(idx.begin(), idx.end(), 0);
  // Ties break toward the lower expert id (stable order).
  std::partial_sort(idx.begin(), idx.begin() + p.top_k, idx.end(), [&](int32_t x, int32_t y) {
    return biased[x] > biased[y] || (biased[x] == biased[y] && x < y);
  });
  Routing r;
  r.experts.assign(idx.begin(), idx.begin() + p.top_k);
  r.weights.resize(static_cast<size_t>(p.top_k));
  float sum = 0;
  for (int64_t i = 0; i < p.top_k; ++i) sum += (r.weights[i] = score[r.experts[i]]);
  const float norm = p.norm_topk_prob ? 1.0f / (sum + 1e-20f) : 1.0f;
  for (auto& w : r.weights) w = w * norm * p.routed_scaling_factor;
  return r;
}

}  // namespace nt
