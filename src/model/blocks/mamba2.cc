// Mamba-2 mixer (spec §5): in_proj → split z | xBC | dt → causal conv + SiLU on xBC → selective scan
// (+ D skip) → gated group RMSNorm with z → out_proj.
#include <cstring>
#include <vector>

#include "core/op_profile.h"
#include "core/scratch.h"
#include "model/blocks/blocks.h"
#include "ops/linear.h"
#include "ops/norm.h"
#include "ops/ssm.h"

namespace nt {

void mamba2_forward(const ModelConfig& c, const MambaWeights& w, size_t layer, const float* u, int64_t T,
                    std::span<const Segment> segments, ScanMode mode, float* out, ThreadPool& pool) {
  const int64_t d_in = c.d_inner(), d_conv = c.d_conv(), d_proj = c.d_in_proj();
  Scratch<float> zxbcdt(static_cast<size_t>(T * d_proj));  // [T, d_proj]
  linear(w.in_proj, u, T, zxbcdt.data(), pool);

  Scratch<float> xbc(static_cast<size_t>(T * d_conv));  // [T, d_conv] after conv + SiLU
  Scratch<float> y(static_cast<size_t>(T * d_in));      // [T, d_in]
  const SsmDims dims{c.mamba_num_heads, c.mamba_head_dim, c.ssm_state_size, c.n_groups};
  for (const Segment& s : segments) {
    float* conv_state = s.state->conv[layer].data();
    float* ssm_state = s.state->ssm[layer].data();
    const float* seg_in = zxbcdt.data() + s.row0 * d_proj;
    float* seg_xbc = xbc.data() + s.row0 * d_conv;
    {
      prof::OpScope scope("conv1d_silu");
      conv1d_silu(seg_in + d_in, d_proj, s.n, d_conv, c.conv_kernel, w.conv_w.data(), w.conv_b.data(), conv_state,
                  seg_xbc, pool);
    }
    SsmInputs in{};
    in.xbc = seg_xbc;
    in.xbc_stride = d_conv;
    in.dt = seg_in + d_in + d_conv;
    in.dt_stride = d_proj;
    in.dt_bias = w.dt_bias.data();
    in.A = w.A.data();
    in.D = w.D.data();
    in.dt_min = static_cast<float>(c.time_step_limit_lo);
    in.dt_max = static_cast<float>(c.time_step_limit_hi);
    float* seg_y = y.data() + s.row0 * d_in;
    const bool chunked = mode == ScanMode::Chunked || (mode == ScanMode::Auto && s.n > 1);
    prof::OpScope scope(chunked ? "ssm_chunked" : "ssm_scan");
    if (chunked) ssm_chunked(dims, in, s.n, c.chunk_size, ssm_state, seg_y, pool);
    else ssm_scan(dims, in, s.n, ssm_state, seg_y, pool);
  }
  // Gate with z (columns [0, d_in) of zxbcdt), group-normalize, scale; in place in y.
  {
    prof::OpScope scope("gated_rms_norm");
    gated_group_rms_norm(y.data(), d_in, zxbcdt.data(), d_proj, w.norm.data(), T, d_in, c.n_groups,
                         static_cast<float>(c.layer_norm_epsilon), y.data(), pool);
  }
  linear(w.out_proj, y.data(), T, out, pool);
}

}  // namespace nt
