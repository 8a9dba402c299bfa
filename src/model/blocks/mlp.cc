// Dense MLP (spec §7): non-gated relu² — out = down(max(up(u), 0)²). Also used by MoE experts.
#include <algorithm>
#include <vector>

#include "core/op_profile.h"
#include "core/scratch.h"
#include "model/blocks/blocks.h"
#include "ops/linear.h"
#include "ops/seq_kernels.h"

namespace nt {

// h = max(h, 0)² in place (the SIMD kernel of ops/seq_kernels.h), split over the pool when large.
void relu_squared(float* h, int64_t n, ThreadPool& pool) {
  const auto relu_sq = kernels::seq_kernels().relu_sq;
  constexpr int64_t kChunk = int64_t{1} << 15;
  if (n <= kChunk) return relu_sq(h, n);
  pool.parallel_for((n + kChunk - 1) / kChunk, [&](int64_t c0, int64_t c1, int) {
    relu_sq(h + c0 * kChunk, std::min(n, c1 * kChunk) - c0 * kChunk);
  });
}

void mlp_forward(const MlpWeights& w, const float* u, int64_t T, float* out, ThreadPool& pool) {
  const int64_t I = w.up_proj.out();
  Scratch<float> h(static_cast<size_t>(T * I));  // [T, I]
  linear(w.up_proj, u, T, h.data(), pool);
  {
    prof::OpScope scope("relu2");
    relu_squared(h.data(), T * I, pool);
  }
  linear(w.down_proj, h.data(), T, out, pool);
}

}  // namespace nt
