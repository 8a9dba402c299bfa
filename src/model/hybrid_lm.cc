#include "model/hybrid_lm.h"

#include "core/strings.h"
#include "ops/linear.h"
#include "ops/norm.h"

namespace nt {

Result<std::unique_ptr<HybridLM>> HybridLM::load(const std::string& model_dir) {
  NT_ASSIGN_OR_RETURN(ModelConfig config, load_model_config(model_dir));
  NT_ASSIGN_OR_RETURN(TensorStore store, TensorStore::open(model_dir));
  return from_parts(std::move(config), std::move(store));
}

Result<std::unique_ptr<HybridLM>> HybridLM::from_parts(ModelConfig config, TensorStore store) {
  std::unique_ptr<HybridLM> m(new HybridLM());
  m->config_ = std::move(config);
  m->store_ = std::move(store);
  auto w = bind_weights(m->config_, m->store_);
  if (!w.is_ok()) return w.status().with_context("checkpoint does not match config.json");
  m->weights_ = std::move(w).value();
  return m;
}

Status HybridLM::forward(const int32_t* tokens, int64_t T, SequenceState& state, const ForwardOptions& opts,
                         std::vector<float>* logits, ThreadPool& pool) const {
  const ModelConfig& c = config_;
  const int64_t H = c.hidden_size, V = c.vocab_size;
  if (T <= 0) return Status::error("forward: no tokens to process");
  for (int64_t t = 0; t < T; ++t) {
    if (tokens[t] < 0 || tokens[t] >= V) {
      return Status::error(cat("token id ", tokens[t], " at position ", t, " is out of range: vocab_size is ", V));
    }
  }
  if (state.conv.size() != c.layers.size()) return Status::error("forward: sequence state was made for another model");

  std::vector<float> h(static_cast<size_t>(T * H));  // [T, H] residual stream
  for (int64_t t = 0; t < T; ++t) convert_rows(weights_.embeddings, tokens[t], 1, h.data() + t * H);

  std::vector<float> u(static_cast<size_t>(T * H)), o(static_cast<size_t>(T * H));  // [T, H]
  const float eps = static_cast<float>(c.layer_norm_epsilon);
  for (size_t l = 0; l < c.layers.size(); ++l) {
    const LayerWeights& L = weights_.layers[l];
    rms_norm(h.data(), L.norm.data(), T, H, eps, u.data());
    switch (L.kind) {
      case LayerKind::Mamba:
        mamba2_forward(c, L.mamba, u.data(), T, state.conv[l].data(), state.ssm[l].data(), opts.scan, o.data(), pool);
        break;
      case LayerKind::Attention:
        attention_forward(c, L.attn, u.data(), T, state.k[l], state.v[l], state.n_past, o.data(), pool);
        break;
      case LayerKind::Mlp: mlp_forward(L.mlp, u.data(), T, o.data(), pool); break;
      case LayerKind::Moe: moe_forward(c, L.moe, u.data(), T, o.data(), pool); break;
    }
    for (int64_t i = 0; i < T * H; ++i) h[i] += o[i];
  }
  state.n_past += T;
  if (!logits || opts.logits == LogitsMode::None) return Status::ok();

  const int64_t first = opts.logits == LogitsMode::All ? 0 : T - 1, rows = T - first;
  rms_norm(h.data() + first * H, weights_.norm_f.data(), rows, H, eps, u.data());
  logits->resize(static_cast<size_t>(rows * V));
  linear(weights_.lm_head, u.data(), rows, logits->data(), pool);
  return Status::ok();
}

}  // namespace nt
