#include "formats/hf_synth.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>

#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/safetensors_write.h"
#include "formats/synth_weights.h"
#include "model/config_json.h"
#include "quant/modelopt_export.h"
#include "quant/modelopt_stream.h"

namespace nt {

namespace {

// The checkpoint's tensors in Hugging Face names (what bind_weights reads), each with its source of rows.
class HfPlanner {
 public:
  HfPlanner(const ModelConfig& c, const ModelWeights& w, RowFiller fill, DType dtype, const ModelOptConfig& qc)
      : c_(c), w_(w), fill_(std::move(fill)), dtype_(dtype), qc_(qc) {}

  Result<std::vector<SourceTensor>> plan() {
    if (c_.count(LayerKind::Moe) > 0 && c_.n_shared_experts > 1) {
      return Status::error(cat("n_shared_experts is ", c_.n_shared_experts,
                               ": a Hugging Face directory is written for at most 1 shared expert (one shared MLP)"));
    }
    const std::string& p = w_.prefix;  // "backbone."
    matrix(p + "embeddings.weight", w_.embeddings);
    vec(p + "norm_f.weight", w_.norm_f, {c_.hidden_size});
    if (!c_.tie_word_embeddings) linear("lm_head", w_.lm_head, false);
    for (size_t i = 0; i < w_.layers.size(); ++i) layer(cat(p, "layers.", i, "."), w_.layers[i]);
    return std::move(out_);
  }

  const HfSynthStats& stats() const { return stats_; }

 private:
  // Rows of a synthesized matrix view (no data: the generator fills them).
  void matrix(const std::string& name, const TensorView& t, bool is_linear = false) {
    const TensorView* tp = &t;
    RowFiller fill = fill_;
    SourceTensor s{name, dtype_, t.shape, nullptr, [tp, fill](int64_t row, int64_t count, float* out) { fill(*tp, row, count, out); }, false};
    if (is_linear) {
      s.quantize = qc_.enabled() && modelopt_quantizes(qc_, name, t.shape);
      (s.quantize ? stats_.quantized : stats_.kept)++;
    }
    out_.push_back(std::move(s));
  }
  // A small tensor with real values v (row-major over `shape`), stored as `dt`.
  void vec_as(DType dt, const std::string& name, const std::vector<float>& v, std::vector<int64_t> shape) {
    const std::vector<float>* vp = &v;
    const int64_t cols = shape.empty() ? 1 : shape.back();
    RowSource rows = [vp, cols](int64_t row, int64_t count, float* out) {
      std::copy_n(vp->data() + row * cols, count * cols, out);
    };
    out_.push_back({name, dt, std::move(shape), nullptr, std::move(rows), false});
  }
  void vec(const std::string& name, const std::vector<float>& v, std::vector<int64_t> shape) {
    vec_as(dtype_, name, v, std::move(shape));
  }
  const std::vector<float>& own(std::vector<float> v) { return owned_.emplace_back(std::move(v)); }

  void linear(const std::string& module, const Linear& l, bool bias) {
    matrix(module + ".weight", l.w, true);
    if (bias) vec(module + ".bias", own(std::vector<float>(static_cast<size_t>(l.out()), 0.0f)), {l.out()});
  }
  void mlp(const std::string& p, const MlpWeights& m) {
    linear(p + "up_proj", m.up_proj, c_.mlp_bias);
    linear(p + "down_proj", m.down_proj, c_.mlp_bias);
  }

  void layer(const std::string& lp, const LayerWeights& L) {
    vec(lp + "norm.weight", L.norm, {c_.hidden_size});
    const std::string mp = lp + "mixer.";
    switch (L.kind) {
      case LayerKind::Mamba: {
        const MambaWeights& m = L.mamba;
        const int64_t n_m = c_.mamba_num_heads;
        linear(mp + "in_proj", m.in_proj, c_.use_bias);
        vec(mp + "conv1d.weight", m.conv_w, {c_.d_conv(), 1, c_.conv_kernel});
        if (c_.use_conv_bias) vec(mp + "conv1d.bias", m.conv_b, {c_.d_conv()});
        vec(mp + "dt_bias", m.dt_bias, {n_m});
        std::vector<float> a_log(m.A.size());
        for (size_t i = 0; i < a_log.size(); ++i) a_log[i] = std::log(-m.A[i]);  // A = -exp(A_log)
        vec(mp + "A_log", own(std::move(a_log)), {n_m});
        vec(mp + "D", m.D, {n_m});
        vec(mp + "norm.weight", m.norm, {c_.d_inner()});
        linear(mp + "out_proj", m.out_proj, c_.use_bias);
        break;
      }
      case LayerKind::Attention:
        linear(mp + "q_proj", L.attn.q_proj, c_.attention_bias);
        linear(mp + "k_proj", L.attn.k_proj, c_.attention_bias);
        linear(mp + "v_proj", L.attn.v_proj, c_.attention_bias);
        linear(mp + "o_proj", L.attn.o_proj, c_.attention_bias);
        break;
      case LayerKind::Mlp: mlp(mp, L.mlp); break;
      case LayerKind::Moe: {
        const MoeWeights& m = L.moe;
        vec(mp + "gate.weight", m.gate, {c_.n_routed_experts, c_.hidden_size});
        // F32 as in the released MoE checkpoints.
        vec_as(DType::F32, mp + "gate.e_score_correction_bias", m.score_bias, {c_.n_routed_experts});
        for (size_t e = 0; e < m.experts.size(); ++e) mlp(cat(mp, "experts.", e, "."), m.experts[e]);
        if (m.has_shared) mlp(mp + "shared_experts.", m.shared);
        if (m.has_latent) {
          linear(mp + "fc1_latent_proj", m.fc1_latent, c_.mlp_bias);
          linear(mp + "fc2_latent_proj", m.fc2_latent, c_.mlp_bias);
        }
        break;
      }
    }
  }

  const ModelConfig& c_;
  const ModelWeights& w_;
  RowFiller fill_;
  DType dtype_;
  const ModelOptConfig& qc_;
  std::vector<SourceTensor> out_;
  std::deque<std::vector<float>> owned_;  // stable addresses for the rows lambdas
  HfSynthStats stats_;
};

const char* torch_dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F16: return "float16";
    default: return "bfloat16";
  }
}

}  // namespace

Result<HfSynthStats> synth_hf(const std::string& dir, const ModelConfig& config, const HfSynthOptions& o) {
  namespace fs = std::filesystem;
  if (o.dtype != DType::F32 && o.dtype != DType::F16 && o.dtype != DType::BF16) {
    return Status::error(cat("synth: tensors are stored as F32, F16 or BF16, not ", dtype_name(o.dtype)));
  }
  ModelConfig c = config;
  c.quant = {};
  c.torch_dtype = torch_dtype_name(o.dtype);
  const ModelWeights w = synth_weights(c, o.seed);
  ModelOptConfig qc;
  qc.algo = o.algo;
  if (qc.enabled()) qc.exclude = modelopt_default_exclude(c, w.prefix);
  HfPlanner planner(c, w, synth_rows(o.seed), o.dtype, qc);
  NT_ASSIGN_OR_RETURN(std::vector<SourceTensor> sources, planner.plan());
  NT_ASSIGN_OR_RETURN(std::vector<StreamedTensor> streams, modelopt_stream(std::move(sources), o.algo));

  // No config until the weights are complete: an interrupted run leaves a directory that does not load.
  std::error_code ec;
  for (const char* f : {"config.json", "hf_quant_config.json"}) fs::remove(fs::path(dir) / f, ec);
  ThreadPool pool(o.threads);
  CheckpointWriteOptions wo;
  wo.max_shard_bytes = o.max_shard_bytes;
  NT_RETURN_IF_ERROR(write_safetensors_checkpoint(dir, streams, wo, pool));

  Json cfg = o.base_config;
  cfg.erase("quantization_config");
  cfg = model_config_to_json(c, std::move(cfg));
  if (qc.enabled()) {
    NT_RETURN_IF_ERROR(write_modelopt_configs(dir, std::move(cfg), o.algo, qc.exclude, "nemotron.cpp synth"));
  } else {
    NT_RETURN_IF_ERROR(write_text_file(dir + "/config.json", cfg.dump(2) + "\n"));
  }
  return planner.stats();
}

Status copy_tokenizer_files(const std::string& tok_dir, const std::string& dir) {
  namespace fs = std::filesystem;
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                        "generation_config.json"}) {
    const fs::path from = fs::path(tok_dir) / f;
    std::error_code ec;
    if (!fs::is_regular_file(from, ec)) continue;
    fs::copy_file(from, fs::path(dir) / f, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::error(cat("cannot copy ", from.string(), " to ", dir, ": ", ec.message()));
  }
  return Status::ok();
}

}  // namespace nt
