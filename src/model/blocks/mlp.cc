// Dense MLP (spec §7): non-gated relu² — out = down(max(up(u), 0)²). Also used by MoE experts.
#include <vector>

#include "core/op_profile.h"
#include "model/blocks/blocks.h"
#include "ops/linear.h"

namespace nt {

void mlp_forward(const MlpWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool) {
  const int64_t I = w.up_proj.out();
  std::vector<float> h(static_cast<size_t>(T * I));  // [T, I]
  linear(w.up_proj, u, T, h.data(), pool);
  {
    prof::OpScope scope("relu2");
    for (auto& x : h) x = x > 0 ? x * x : 0.0f;
  }
  linear(w.down_proj, h.data(), T, out, pool);
}

}  // namespace nt
