// MoE mixer (spec §8, §9.1): fp32 sigmoid router with group-limited top-k, relu² experts, always-on shared
// expert, optional latent projections. Tokens are grouped by expert so each selected expert's weights are read
// once per call, whatever the number of tokens routed to it; the up projections of all selected experts (and of
// the shared expert) run as one round of the thread pool, then their down projections as another
// (linear_many), instead of two rounds per expert.
#include <algorithm>
#include <vector>

#include "core/op_profile.h"
#include "core/scratch.h"
#include "model/blocks/blocks.h"
#include "ops/linear.h"
#include "ops/moe_router.h"
#include "ops/seq_kernels.h"

namespace nt {
namespace {
// Router work items: tokens × gate rows. 8 tokens read a 2688-wide gate row (10.5 KB) once for all of them; 16 rows
// per item give a 30B-A3B decode step (one token, 128 experts) 8 items for the threads.
constexpr int64_t kRouterTokens = 8, kRouterExperts = 16;
}  // namespace

void moe_forward(const ModelConfig& c, const MoeWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool) {
  const int64_t H = c.hidden_size, E = c.n_routed_experts, Dx = c.moe_input_size();
  const RouterParams rp{E, c.num_experts_per_tok, c.n_group, c.topk_group, c.norm_topk_prob,
                        static_cast<float>(c.routed_scaling_factor)};

  // Router: logits[t][e] = gate[e] · u[t] in fp32 (each one dot, so the same bits on any thread; the fp32 gate is
  // 1.4 MB per layer on the 30B-A3B, as much as a routed expert, so the pool shares it), then selection per token.
  Scratch<float> logits(static_cast<size_t>(T * E));  // [T, E]
  std::vector<std::vector<std::pair<int64_t, float>>> by_expert(static_cast<size_t>(E));  // (token, weight)
  {
    prof::OpScope scope("moe_router");
    // Work items of kRouterTokens tokens × kRouterExperts gate rows (each row read once for the item's tokens);
    // every logit is dot_f32's operation sequence (SeqKernels::dots).
    const kernels::SeqKernels& k = kernels::seq_kernels();
    const int64_t tb = (T + kRouterTokens - 1) / kRouterTokens, eb = (E + kRouterExperts - 1) / kRouterExperts;
    pool.parallel_for(tb * eb, [&](int64_t i0, int64_t i1, int) {
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t t0 = i / eb * kRouterTokens, e0 = i % eb * kRouterExperts;
        k.dots(std::min(kRouterTokens, T - t0), std::min(kRouterExperts, E - e0), H, u + t0 * H, H,
               w.gate.data() + e0 * H, H, logits.data() + t0 * E + e0, E);
      }
    });
    for (int64_t t = 0; t < T; ++t) {
      Routing r = route_token(rp, logits.data() + t * E, w.score_bias.data());
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

  // Rows of the selected experts, stacked in expert order: expert e's tokens at rows [first[e], first[e] + n_e),
  // its intermediate activations at h_first[e] (experts may differ in intermediate size).
  std::vector<int64_t> first(static_cast<size_t>(E + 1), 0), h_first(static_cast<size_t>(E + 1), 0);
  for (int64_t e = 0; e < E; ++e) {
    const int64_t n = static_cast<int64_t>(by_expert[e].size());
    first[e + 1] = first[e] + n;
    h_first[e + 1] = h_first[e] + (n > 0 ? n * w.experts[e].up_proj.out() : 0);
  }
  const int64_t R = first[E];
  const int64_t Is = w.has_shared ? w.shared.up_proj.out() : 0;
  Scratch<float> xin(static_cast<size_t>(R * Dx)), h(static_cast<size_t>(h_first[E])),
      yout(static_cast<size_t>(R * Dx));
  Scratch<float> hs(static_cast<size_t>(T * Is)), shared(w.has_shared ? static_cast<size_t>(T * H) : 0);
  {
    prof::OpScope scope("moe_gather");
    for (int64_t e = 0; e < E; ++e) {
      for (size_t i = 0; i < by_expert[e].size(); ++i) {
        std::copy_n(x + by_expert[e][i].first * Dx, Dx, xin.data() + (first[e] + static_cast<int64_t>(i)) * Dx);
      }
    }
  }
  std::vector<LinearCall> up, down;
  for (int64_t e = 0; e < E; ++e) {
    const int64_t n = first[e + 1] - first[e];
    if (n == 0) continue;
    up.push_back({&w.experts[e].up_proj, xin.data() + first[e] * Dx, n, h.data() + h_first[e]});
    down.push_back({&w.experts[e].down_proj, h.data() + h_first[e], n, yout.data() + first[e] * Dx});
  }
  if (w.has_shared) {
    up.push_back({&w.shared.up_proj, u, T, hs.data()});
    down.push_back({&w.shared.down_proj, hs.data(), T, shared.data()});
  }
  linear_many(up, pool);
  {
    prof::OpScope scope("relu2");
    relu_squared(h.data(), h_first[E], pool);
    relu_squared(hs.data(), T * Is, pool);
  }
  linear_many(down, pool);

  // Weighted sum of the expert outputs per token, in expert order.
  Scratch<float> routed(static_cast<size_t>(T * Dx));  // [T, D_x]
  std::fill_n(routed.data(), T * Dx, 0.0f);
  {
    prof::OpScope scope("moe_combine");
    for (int64_t e = 0; e < E; ++e) {
      for (size_t i = 0; i < by_expert[e].size(); ++i) {
        float* dst = routed.data() + by_expert[e][i].first * Dx;
        const float* src = yout.data() + (first[e] + static_cast<int64_t>(i)) * Dx;
        const float wt = by_expert[e][i].second;
        for (int64_t j = 0; j < Dx; ++j) dst[j] += wt * src[j];
      }
    }
  }
  if (w.has_latent) linear(w.fc2_latent, routed.data(), T, out, pool);
  else std::copy_n(routed.data(), T * Dx, out);
  if (w.has_shared) {
    for (int64_t i = 0; i < T * H; ++i) out[i] += shared[i];
  }
}

}  // namespace nt
