#include "perf/model_roofline.h"

namespace nt::perf {
namespace {

double vec_bytes(const std::vector<float>& v) { return 4.0 * static_cast<double>(v.size()); }
// The stored codes plus the ModelOpt scales a kernel reads with them: NVFP4 one E4M3 byte per 16 inputs, FP8 per
// channel one F32 per row (per-tensor scales are a scalar).
double scale_bytes(const TensorView& w) {
  if (w.wq == WeightQuant::Nvfp4) return static_cast<double>(w.numel() / 16);
  if (w.wq == WeightQuant::Fp8 && w.wscale != nullptr) return 4.0 * static_cast<double>(w.dim(0));
  return 0.0;
}
double mat_bytes(const Linear& l) { return static_cast<double>(l.w.nbytes) + scale_bytes(l.w) + vec_bytes(l.bias); }
double mat_elems(const Linear& l) { return l.w.data == nullptr ? 0.0 : static_cast<double>(l.w.numel()); }
double mlp_bytes(const MlpWeights& m) { return mat_bytes(m.up_proj) + mat_bytes(m.down_proj); }
double mlp_elems(const MlpWeights& m) { return mat_elems(m.up_proj) + mat_elems(m.down_proj); }

// Mean over the routed experts (they all have one shape; the mean also covers per-expert dtypes).
template <typename F>
double mean_expert(const MoeWeights& w, F f) {
  if (w.experts.empty()) return 0;
  double s = 0;
  for (const MlpWeights& e : w.experts) s += f(e);
  return s / static_cast<double>(w.experts.size());
}

}  // namespace

DecodeBytes decode_bytes(const HybridLM& lm) {
  const ModelConfig& c = lm.config();
  const ModelWeights& w = lm.weights();
  DecodeBytes b;
  const double k = static_cast<double>(c.num_experts_per_tok);
  for (const LayerWeights& l : w.layers) {
    b.weights += vec_bytes(l.norm);
    switch (l.kind) {
      case LayerKind::Mamba: {
        const MambaWeights& m = l.mamba;
        b.weights += mat_bytes(m.in_proj) + mat_bytes(m.out_proj) + vec_bytes(m.conv_w) + vec_bytes(m.conv_b) +
                     vec_bytes(m.dt_bias) + vec_bytes(m.A) + vec_bytes(m.D) + vec_bytes(m.norm);
        break;
      }
      case LayerKind::Attention:
        b.weights += mat_bytes(l.attn.q_proj) + mat_bytes(l.attn.k_proj) + mat_bytes(l.attn.v_proj) +
                     mat_bytes(l.attn.o_proj);
        break;
      case LayerKind::Mlp:
        b.weights += mlp_bytes(l.mlp);
        break;
      case LayerKind::Moe: {
        const MoeWeights& m = l.moe;
        b.weights += vec_bytes(m.gate) + vec_bytes(m.score_bias) + k * mean_expert(m, mlp_bytes);
        if (m.has_shared) b.weights += mlp_bytes(m.shared);
        if (m.has_latent) b.weights += mat_bytes(m.fc1_latent) + mat_bytes(m.fc2_latent);
        break;
      }
    }
  }
  b.weights += vec_bytes(w.norm_f) + mat_bytes(w.lm_head) + static_cast<double>(w.embeddings.row_bytes());
  b.state = 2.0 * static_cast<double>(recurrent_state_bytes(c));
  b.kv_per_past = static_cast<double>(kv_bytes_per_token(c));
  return b;
}

PrefillFlops prefill_flops(const HybridLM& lm) {
  const ModelConfig& c = lm.config();
  const ModelWeights& w = lm.weights();
  PrefillFlops f;
  const double k = static_cast<double>(c.num_experts_per_tok);
  const double nm = static_cast<double>(c.mamba_num_heads), P = static_cast<double>(c.mamba_head_dim),
               N = static_cast<double>(c.ssm_state_size), G = static_cast<double>(c.n_groups),
               Q = static_cast<double>(c.chunk_size), K = static_cast<double>(c.conv_kernel),
               dconv = static_cast<double>(c.d_conv());
  double elems = 0;
  for (const LayerWeights& l : w.layers) {
    switch (l.kind) {
      case LayerKind::Mamba:
        elems += mat_elems(l.mamba.in_proj) + mat_elems(l.mamba.out_proj);
        // conv: K taps per channel. SSD per token: scores C·Bᵀ inside the chunk (causal half: Q/2 keys, G groups),
        // their use on x (Q/2 × P per head), the chunk-state contribution B·x (N × P per head), and the
        // state output C·h (N × P per head); 2 FLOPs per multiply-add.
        f.ssm_per_token += 2 * K * dconv + 2 * (G * (Q / 2) * N + nm * (Q / 2) * P + 2 * nm * N * P);
        break;
      case LayerKind::Attention:
        elems += mat_elems(l.attn.q_proj) + mat_elems(l.attn.k_proj) + mat_elems(l.attn.v_proj) +
                 mat_elems(l.attn.o_proj);
        f.attn_per_pair += 4.0 * static_cast<double>(c.num_attention_heads * c.head_dim);
        break;
      case LayerKind::Mlp:
        elems += mlp_elems(l.mlp);
        break;
      case LayerKind::Moe: {
        const MoeWeights& m = l.moe;
        elems += static_cast<double>(m.gate.size()) + k * mean_expert(m, mlp_elems);
        if (m.has_shared) elems += mlp_elems(m.shared);
        if (m.has_latent) elems += mat_elems(m.fc1_latent) + mat_elems(m.fc2_latent);
        break;
      }
    }
  }
  f.matmul_per_token = 2 * elems;
  f.lm_head = 2 * mat_elems(w.lm_head);
  return f;
}

}  // namespace nt::perf
