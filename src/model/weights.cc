#include "model/weights.h"

#include <cmath>
#include <set>

#include "core/strings.h"

namespace nt {

namespace {

// Converts a stored F32/F16/BF16 tensor to fp32 (small tensors only).
std::vector<float> to_f32(const TensorView& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < out.size(); ++i) {
    switch (t.dtype) {
      case DType::F32: { float f; std::memcpy(&f, t.data + 4 * i, 4); out[i] = f; break; }
      case DType::F16: { uint16_t h; std::memcpy(&h, t.data + 2 * i, 2); out[i] = f16_to_f32(h); break; }
      case DType::BF16: { uint16_t h; std::memcpy(&h, t.data + 2 * i, 2); out[i] = bf16_to_f32(h); break; }
      default: out[i] = 0; break;
    }
  }
  return out;
}

bool is_float_dtype(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

// Looks tensors up by name, checks shape and dtype, and records which names were used.
class Binder {
 public:
  Binder(const TensorStore& store, std::string prefix, const ModelOptConfig& quant)
      : store_(store), prefix_(std::move(prefix)), quant_(quant) {}

  // `shapes` lists the accepted shapes (the first one is reported as expected).
  // `matrix`: a large weight read row by row, which may also be stored in a ggml block type (GGUF).
  Result<TensorView> tensor(const std::string& name, std::vector<std::vector<int64_t>> shapes, bool matrix = false) {
    const TensorView* t = store_.find(name);
    if (!t) return Status::error(cat("missing tensor '", name, "' (expected shape ", shape_str(shapes[0]), ")"));
    used_.insert(name);
    if (t->quantized()) {
      const GgmlTypeTraits& tr = ggml_type_traits(t->qtype);
      if (!matrix) {
        return Status::error(cat("tensor '", name, "' is stored as ", tr.name,
                                 "; only weight matrices may be block-quantized, expected F32, F16 or BF16"));
      }
      if (t->rank() < 2 || t->cols() % tr.block_size != 0 || tr.dequantize == nullptr) {
        return Status::error(cat("tensor '", name, "' (", tr.name, ", shape ", shape_str(t->shape),
                                 "): rows must be a whole number of ", tr.block_size, "-element blocks"));
      }
    } else if (!is_float_dtype(t->dtype)) {
      return Status::error(cat("tensor '", name, "' has dtype ", dtype_name(t->dtype), ", expected F32, F16 or BF16"));
    }
    for (const auto& s : shapes) if (t->shape == s) return *t;
    return Status::error(cat("tensor '", name, "' has shape ", shape_str(t->shape), ", expected ", shape_str(shapes[0])));
  }

  Result<std::vector<float>> vec(const std::string& name, std::vector<std::vector<int64_t>> shapes) {
    NT_ASSIGN_OR_RETURN(TensorView t, tensor(name, std::move(shapes)));
    return to_f32(t);
  }

  Result<Linear> linear(const std::string& name, int64_t out, int64_t in, bool bias) {
    Linear l;
    if (modelopt_module_quantized(store_, name)) {
      // ModelOpt FP8 / NVFP4 weight with its scale tensors (spec §13).
      std::vector<std::string> used;
      auto w = bind_modelopt_linear(quant_, store_, name, out, in, &used);
      used_.insert(used.begin(), used.end());
      if (!w.is_ok()) return w.status();
      l.w = std::move(w).value();
    } else {
      NT_ASSIGN_OR_RETURN(l.w, tensor(name + ".weight", {{out, in}}, true));
    }
    if (bias) { NT_ASSIGN_OR_RETURN(l.bias, vec(name + ".bias", {{out}})); }
    return l;
  }

  bool has(const std::string& name) const { return store_.find(name) != nullptr; }
  const TensorView* find(const std::string& name) const { return store_.find(name); }
  void mark_used(const std::string& name) { used_.insert(name); }
  const std::set<std::string>& used() const { return used_; }
  const std::string& prefix() const { return prefix_; }

 private:
  const TensorStore& store_;
  std::string prefix_;
  const ModelOptConfig& quant_;
  std::set<std::string> used_;
};

Status bind_mamba(const ModelConfig& c, Binder& b, const std::string& p, MambaWeights* m) {
  const int64_t H = c.hidden_size, n_m = c.mamba_num_heads, K = c.conv_kernel, d_conv = c.d_conv();
  NT_ASSIGN_OR_RETURN(m->in_proj, b.linear(p + "in_proj", c.d_in_proj(), H, c.use_bias));
  NT_ASSIGN_OR_RETURN(m->conv_w, b.vec(p + "conv1d.weight", {{d_conv, 1, K}, {d_conv, K}}));
  if (c.use_conv_bias) {
    NT_ASSIGN_OR_RETURN(m->conv_b, b.vec(p + "conv1d.bias", {{d_conv}}));
  } else {
    m->conv_b.assign(static_cast<size_t>(d_conv), 0.0f);
  }
  NT_ASSIGN_OR_RETURN(m->dt_bias, b.vec(p + "dt_bias", {{n_m}}));
  if (b.has(p + "A")) {
    // GGUF stores A = -exp(A_log) itself (spec §14.3); the loader names it mixer.A.
    NT_ASSIGN_OR_RETURN(m->A, b.vec(p + "A", {{n_m}}));
  } else {
    NT_ASSIGN_OR_RETURN(std::vector<float> a_log, b.vec(p + "A_log", {{n_m}}));
    m->A.resize(a_log.size());
    for (size_t i = 0; i < a_log.size(); ++i) m->A[i] = -std::exp(a_log[i]);
  }
  NT_ASSIGN_OR_RETURN(m->D, b.vec(p + "D", {{n_m}}));
  NT_ASSIGN_OR_RETURN(m->norm, b.vec(p + "norm.weight", {{c.d_inner()}}));
  NT_ASSIGN_OR_RETURN(m->out_proj, b.linear(p + "out_proj", H, c.d_inner(), c.use_bias));
  return Status::ok();
}

Status bind_attention(const ModelConfig& c, Binder& b, const std::string& p, AttentionWeights* a) {
  const int64_t H = c.hidden_size, q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
  NT_ASSIGN_OR_RETURN(a->q_proj, b.linear(p + "q_proj", q, H, c.attention_bias));
  NT_ASSIGN_OR_RETURN(a->k_proj, b.linear(p + "k_proj", kv, H, c.attention_bias));
  NT_ASSIGN_OR_RETURN(a->v_proj, b.linear(p + "v_proj", kv, H, c.attention_bias));
  NT_ASSIGN_OR_RETURN(a->o_proj, b.linear(p + "o_proj", H, q, c.attention_bias));
  // ModelOpt FP8 KV-cache scales (kv_cache_quant_algo): validated, unused (the KV cache stays fp32).
  for (const char* s : {"k_proj.k_scale", "v_proj.v_scale", "k_scale", "v_scale"}) {
    const std::string name = p + s;
    if (const TensorView* t = b.find(name)) {
      b.mark_used(name);
      NT_RETURN_IF_ERROR(check_modelopt_scalar_scale(*t));
    }
  }
  return Status::ok();
}

Status bind_mlp(Binder& b, const std::string& p, int64_t width, int64_t d_x, bool bias, MlpWeights* m) {
  NT_ASSIGN_OR_RETURN(m->up_proj, b.linear(p + "up_proj", width, d_x, bias));
  NT_ASSIGN_OR_RETURN(m->down_proj, b.linear(p + "down_proj", d_x, width, bias));
  return Status::ok();
}

// Experts are stored per expert (experts.{e}.up_proj.weight) or stacked (experts.up_proj [E, I_e, D_x]).
Status bind_experts(const ModelConfig& c, Binder& b, const std::string& p, MoeWeights* m) {
  const int64_t E = c.n_routed_experts, I = c.moe_intermediate_size, D = c.moe_input_size();
  m->experts.resize(static_cast<size_t>(E));
  const std::string stacked_up = p + "experts.up_proj", stacked_down = p + "experts.down_proj";
  const bool stacked = b.has(stacked_up) || b.has(stacked_up + ".weight");
  if (!stacked) {
    for (int64_t e = 0; e < E; ++e) {
      NT_RETURN_IF_ERROR(bind_mlp(b, cat(p, "experts.", e, "."), I, D, c.mlp_bias, &m->experts[static_cast<size_t>(e)]));
    }
    return Status::ok();
  }
  if (c.mlp_bias) return Status::error(cat("stacked expert tensors with mlp_bias=true are not supported (", stacked_up, ")"));
  const std::string up_name = b.has(stacked_up) ? stacked_up : stacked_up + ".weight";
  const std::string down_name = b.has(stacked_down) ? stacked_down : stacked_down + ".weight";
  NT_ASSIGN_OR_RETURN(TensorView up, b.tensor(up_name, {{E, I, D}}, true));
  NT_ASSIGN_OR_RETURN(TensorView down, b.tensor(down_name, {{E, D, I}}, true));
  // One expert is a run of whole rows, so its slice is valid for block types too.
  const size_t up_bytes = static_cast<size_t>(I) * up.row_bytes(), down_bytes = static_cast<size_t>(D) * down.row_bytes();
  for (int64_t e = 0; e < E; ++e) {
    MlpWeights& x = m->experts[static_cast<size_t>(e)];
    const size_t ue = static_cast<size_t>(e);
    x.up_proj.w = TensorView{cat(up_name, "[", e, "]"), up.dtype, {I, D}, up.data + ue * up_bytes, up_bytes, up.qtype};
    x.down_proj.w = TensorView{cat(down_name, "[", e, "]"), down.dtype, {D, I}, down.data + ue * down_bytes, down_bytes, down.qtype};
  }
  return Status::ok();
}

Status bind_moe(const ModelConfig& c, Binder& b, const std::string& p, MoeWeights* m) {
  const int64_t H = c.hidden_size, E = c.n_routed_experts;
  NT_ASSIGN_OR_RETURN(m->gate, b.vec(p + "gate.weight", {{E, H}}));
  if (b.has(p + "gate.e_score_correction_bias")) {
    NT_ASSIGN_OR_RETURN(m->score_bias, b.vec(p + "gate.e_score_correction_bias", {{E}}));
  } else {
    m->score_bias.assign(static_cast<size_t>(E), 0.0f);
  }
  NT_RETURN_IF_ERROR(bind_experts(c, b, p, m));
  m->has_shared = c.n_shared_experts > 0;
  if (m->has_shared) {
    // HF builds one shared MLP of width I_s; vLLM multiplies by n_shared_experts. Accept what the tensors say.
    int64_t width = c.moe_shared_expert_intermediate_size;
    if (c.n_shared_experts > 1 && !b.has(p + "shared_experts.up_proj.weight")) width *= c.n_shared_experts;
    NT_RETURN_IF_ERROR(bind_mlp(b, p + "shared_experts.", width, H, c.mlp_bias, &m->shared));
  }
  m->has_latent = c.moe_latent_size > 0;
  if (m->has_latent) {
    NT_ASSIGN_OR_RETURN(m->fc1_latent, b.linear(p + "fc1_latent_proj", c.moe_latent_size, H, c.mlp_bias));
    NT_ASSIGN_OR_RETURN(m->fc2_latent, b.linear(p + "fc2_latent_proj", H, c.moe_latent_size, c.mlp_bias));
  }
  return Status::ok();
}

Result<std::string> detect_prefix(const TensorStore& store) {
  for (const char* p : {"backbone.", "model."}) {
    for (const char* e : {"embeddings.weight", "embedding.weight", "embed_tokens.weight"}) {
      if (store.find(std::string(p) + e)) return std::string(p);
    }
  }
  return Status::error("no embedding tensor found: expected 'backbone.embeddings.weight' or 'model.embeddings.weight'");
}

}  // namespace

Result<ModelWeights> bind_weights(const ModelConfig& c, const TensorStore& store) {
  ModelWeights w;
  NT_ASSIGN_OR_RETURN(w.prefix, detect_prefix(store));
  Binder b(store, w.prefix, c.quant);
  const int64_t H = c.hidden_size, V = c.vocab_size;
  const std::string& pre = w.prefix;
  std::string emb = pre + "embeddings.weight";
  if (!b.has(emb)) emb = b.has(pre + "embedding.weight") ? pre + "embedding.weight" : pre + "embed_tokens.weight";
  NT_ASSIGN_OR_RETURN(w.embeddings, b.tensor(emb, {{V, H}}, true));
  NT_ASSIGN_OR_RETURN(w.norm_f, b.vec(pre + "norm_f.weight", {{H}}));
  if (b.has("lm_head.weight") || !c.tie_word_embeddings) {
    NT_ASSIGN_OR_RETURN(w.lm_head, b.linear("lm_head", V, H, false));
  } else {
    w.lm_head.w = w.embeddings;
  }
  w.layers.resize(c.layers.size());
  for (size_t i = 0; i < c.layers.size(); ++i) {
    LayerWeights& L = w.layers[i];
    L.kind = c.layers[i];
    const std::string lp = cat(pre, "layers.", i, ".");
    NT_ASSIGN_OR_RETURN(L.norm, b.vec(lp + "norm.weight", {{H}}));
    const std::string mp = lp + "mixer.";
    Status s;
    switch (L.kind) {
      case LayerKind::Mamba: s = bind_mamba(c, b, mp, &L.mamba); break;
      case LayerKind::Attention: s = bind_attention(c, b, mp, &L.attn); break;
      case LayerKind::Mlp: s = bind_mlp(b, mp, c.mlp_width(i), H, c.mlp_bias, &L.mlp); break;
      case LayerKind::Moe: s = bind_moe(c, b, mp, &L.moe); break;
    }
    if (!s.is_ok()) {
      return s.with_context(cat("layer ", i, " ('", std::string(1, layer_kind_char(L.kind)), "' ", layer_kind_name(L.kind), ")"));
    }
  }
  for (const auto& [name, t] : store.tensors()) {
    if (b.used().count(name) || starts_with(name, "mtp.") || starts_with(name, pre + "mtp.")) continue;
    return Status::error(cat("unexpected tensor '", name, "' ", shape_str(t.shape),
                             ": the config (pattern ", c.pattern(), ") does not use it — config and checkpoint disagree"));
  }
  return w;
}

ParamCounts count_params(const ModelConfig& c, const ModelWeights& w) {
  ParamCounts n;
  auto lin = [](const Linear& l) { return l.w.numel() + static_cast<int64_t>(l.bias.size()); };
  auto mlp = [&](const MlpWeights& m) { return lin(m.up_proj) + lin(m.down_proj); };
  n.total += w.embeddings.numel() + static_cast<int64_t>(w.norm_f.size());
  n.active += c.hidden_size + static_cast<int64_t>(w.norm_f.size());
  if (w.lm_head.w.data != w.embeddings.data) n.total += lin(w.lm_head);
  n.active += lin(w.lm_head);
  for (const auto& L : w.layers) {
    int64_t common = static_cast<int64_t>(L.norm.size()), routed_all = 0, routed_one = 0;
    switch (L.kind) {
      case LayerKind::Mamba: {
        const auto& m = L.mamba;
        common += lin(m.in_proj) + lin(m.out_proj) + static_cast<int64_t>(m.conv_w.size() + m.conv_b.size() + m.dt_bias.size() + m.A.size() + m.D.size() + m.norm.size());
        break;
      }
      case LayerKind::Attention:
        common += lin(L.attn.q_proj) + lin(L.attn.k_proj) + lin(L.attn.v_proj) + lin(L.attn.o_proj);
        break;
      case LayerKind::Mlp: common += mlp(L.mlp); break;
      case LayerKind::Moe: {
        const auto& m = L.moe;
        common += static_cast<int64_t>(m.gate.size() + m.score_bias.size());
        if (m.has_shared) common += mlp(m.shared);
        if (m.has_latent) common += lin(m.fc1_latent) + lin(m.fc2_latent);
        for (const auto& e : m.experts) routed_all += mlp(e);
        if (!m.experts.empty()) routed_one = mlp(m.experts[0]);
        break;
      }
    }
    n.total += common + routed_all;
    n.active += common + routed_one * c.num_experts_per_tok;
  }
  return n;
}

void for_each_linear(ModelWeights& w, const std::function<void(Linear&)>& fn) {
  auto mlp = [&](MlpWeights& m) {
    fn(m.up_proj);
    fn(m.down_proj);
  };
  for (LayerWeights& L : w.layers) {
    switch (L.kind) {
      case LayerKind::Mamba:
        fn(L.mamba.in_proj);
        fn(L.mamba.out_proj);
        break;
      case LayerKind::Attention:
        fn(L.attn.q_proj);
        fn(L.attn.k_proj);
        fn(L.attn.v_proj);
        fn(L.attn.o_proj);
        break;
      case LayerKind::Mlp: mlp(L.mlp); break;
      case LayerKind::Moe:
        for (MlpWeights& e : L.moe.experts) mlp(e);
        if (L.moe.has_shared) mlp(L.moe.shared);
        if (L.moe.has_latent) {
          fn(L.moe.fc1_latent);
          fn(L.moe.fc2_latent);
        }
        break;
    }
  }
  fn(w.lm_head);
}

}  // namespace nt
