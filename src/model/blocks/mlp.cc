// Dense MLP (spec §7): non-gated relu² — out = down(max(up(u), 0)²). Also used by MoE experts.
#include <algorithm>
#include <vector>

#include "core/op_profile.h"
#include "model/blocks/blocks.h"
#include "ops/linear.h"

namespace nt {

// h = max(h, 0)² in place: a select then a multiply, without branches, so the loop vectorizes (a branch on the
// sign mispredicts on half the elements). NaN stays 0, as x > 0 ? x² : 0 gives. Split over the pool when large.
void relu_squared(float* h, int64_t n, ThreadPool& pool) {
  auto body = [h](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float v = h[i] > 0.0f ? h[i] : 0.0f;
      h[i] = v * v;
    }
  };
  constexpr int64_t kChunk = int64_t{1} << 15;
  if (n <= kChunk) return body(0, n);
  pool.parallel_for((n + kChunk - 1) / kChunk, [&](int64_t c0, int64_t c1, int) {
    body(c0 * kChunk, std::min(n, c1 * kChunk));
  });
}

void mlp_forward(const MlpWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool) {
  const int64_t I = w.up_proj.out();
  std::vector<float> h(static_cast<size_t>(T * I));  // [T, I]
  linear(w.up_proj, u, T, h.data(), pool);
  {
    prof::OpScope scope("relu2");
    relu_squared(h.data(), T * I, pool);
  }
  linear(w.down_proj, h.data(), T, out, pool);
}

}  // namespace nt
