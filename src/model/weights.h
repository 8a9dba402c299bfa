// The model's weights, bound by name from a checkpoint and checked against the config before any compute.
// Large matrices stay in their stored dtype inside the mapped file (TensorView); small per-channel vectors
// (norm weights, A, D, dt_bias, conv taps, router bias) are copied to fp32 at load time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "formats/safetensors.h"
#include "model/config.h"

namespace nt {

namespace kernels {
struct PackedWeight;
}

// y = W·x (+ b). W: [out, in] in its stored dtype.
struct Linear {
  TensorView w;
  std::vector<float> bias;  // empty: no bias; else [out]
  // Optional copy of w in a fast kernel's own layout (kernels/packed_weight.h), made at load; w stays valid.
  std::shared_ptr<const kernels::PackedWeight> packed;
  int64_t out() const { return w.dim(0); }
  int64_t in() const { return w.dim(1); }
};

// One linear layer over T rows, y[T, out] = x[T, in] · Wᵀ (+ b): an item of linear_many (ops/linear.h).
struct LinearCall {
  const Linear* l = nullptr;
  const float* x = nullptr;
  int64_t T = 0;
  float* y = nullptr;
};

struct MambaWeights {
  Linear in_proj;               // [d_in_proj, H]
  std::vector<float> conv_w;    // [d_conv, K]
  std::vector<float> conv_b;    // [d_conv] (zeros if use_conv_bias is false)
  std::vector<float> dt_bias;   // [n_m]
  std::vector<float> A;         // [n_m] = -exp(A_log), computed in fp32
  std::vector<float> D;         // [n_m]
  std::vector<float> norm;      // [d_in] gated group-RMSNorm weight
  Linear out_proj;              // [H, d_in]
};

struct AttentionWeights {
  Linear q_proj, k_proj, v_proj;  // [n_h*d_h, H], [n_kv*d_h, H], [n_kv*d_h, H]
  Linear o_proj;                  // [H, n_h*d_h]
};

struct MlpWeights {
  Linear up_proj;    // [I, D_x]
  Linear down_proj;  // [D_x, I]
};

struct MoeWeights {
  std::vector<float> gate;               // [E, H] router, fp32 (router math is fp32, spec §8.1)
  std::vector<float> score_bias;         // [E] e_score_correction_bias (zeros if absent)
  std::vector<MlpWeights> experts;       // E routed experts, each [I_e, D_x] / [D_x, I_e]
  bool has_shared = false;
  MlpWeights shared;                     // [I_s, H] / [H, I_s]
  bool has_latent = false;
  Linear fc1_latent;                     // [Lat, H]
  Linear fc2_latent;                     // [H, Lat]
};

struct LayerWeights {
  LayerKind kind = LayerKind::Mamba;
  std::vector<float> norm;  // [H] pre-mixer RMSNorm weight
  MambaWeights mamba;
  AttentionWeights attn;
  MlpWeights mlp;
  MoeWeights moe;
};

struct ModelWeights {
  TensorView embeddings;       // [V, H]
  std::vector<float> norm_f;   // [H]
  Linear lm_head;              // [V, H]
  std::vector<LayerWeights> layers;
  std::string prefix;          // "backbone." or "model."
};

// Binds every tensor the config requires; errors name the tensor, the expected and the found shape or dtype.
// Tensors the config does not explain are an error too (except mtp.*, which inference ignores).
Result<ModelWeights> bind_weights(const ModelConfig& config, const TensorStore& store);

// Calls fn on every Linear of the model (projections, MLPs, experts, lm_head).
void for_each_linear(ModelWeights& w, const std::function<void(Linear&)>& fn);

// Parameter counts (elements), for `nemotron info`.
struct ParamCounts {
  int64_t total = 0;
  int64_t active = 0;  // per token: MoE layers count only k routed experts; embeddings count one row
};
ParamCounts count_params(const ModelConfig& config, const ModelWeights& w);

}  // namespace nt
