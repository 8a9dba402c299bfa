#include "formats/gguf_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <vector>

#include "core/json.h"
#include "core/strings.h"

namespace nt {

namespace {

// Metadata of one architecture: keys are "{arch}.{name}".
class Meta {
 public:
  Meta(const GgufFile& f, std::string arch) : f_(f), arch_(std::move(arch)) {}
  std::string key(std::string_view name) const { return cat(arch_, ".", name); }
  bool has(std::string_view name) const { return f_.has_key(key(name)); }

  Result<int64_t> integer(std::string_view name) const { return f_.get_int(key(name)); }
  Result<int64_t> integer(std::string_view name, int64_t def) const {
    return has(name) ? f_.get_int(key(name)) : Result<int64_t>(def);
  }
  // f32 or f64 (converters differ), or an integer.
  Result<double> number(std::string_view name, double def) const {
    const GgufKv* kv = f_.find_kv(key(name));
    if (!kv) return def;
    if (kv->type == GgufValueType::F32) { NT_ASSIGN_OR_RETURN(float v, f_.get_f32(key(name))); return double{v}; }
    if (kv->type == GgufValueType::F64) return f_.get_f64(key(name));
    NT_ASSIGN_OR_RETURN(int64_t v, f_.get_int(key(name)));
    return static_cast<double>(v);
  }
  Result<bool> boolean(std::string_view name, bool def) const {
    return has(name) ? f_.get_bool(key(name)) : Result<bool>(def);
  }
  // A per-layer value stored as an array of n entries or as one scalar for all layers.
  Result<std::vector<int64_t>> per_layer(std::string_view name, size_t n) const {
    const GgufKv* kv = f_.find_kv(key(name));
    if (!kv) return Status::error(cat("missing metadata key '", key(name), "'"));
    if (kv->type != GgufValueType::ARRAY) {
      NT_ASSIGN_OR_RETURN(int64_t v, f_.get_int(key(name)));
      return std::vector<int64_t>(n, v);
    }
    NT_ASSIGN_OR_RETURN(std::vector<int64_t> v, f_.get_int_array(key(name)));
    if (v.size() < n) {
      return Status::error(cat("metadata '", key(name), "' has ", v.size(), " entries, expected one per layer (", n, ")"));
    }
    return v;
  }

 private:
  const GgufFile& f_;
  std::string arch_;
};

std::string blk(size_t l, std::string_view suffix) { return cat("blk.", l, ".", suffix); }

// Which kind the tensors of layer l say it is; error when they name none or several kinds.
Result<LayerKind> tensor_kind(const GgufFile& f, size_t l) {
  const bool ssm = f.find_tensor(blk(l, "ssm_in.weight")) != nullptr;
  const bool attn = f.find_tensor(blk(l, "attn_q.weight")) != nullptr;
  const bool moe = f.find_tensor(blk(l, "ffn_gate_inp.weight")) != nullptr;
  const bool mlp = f.find_tensor(blk(l, "ffn_up.weight")) != nullptr;
  const int n = int{ssm} + int{attn} + int{moe || mlp};
  if (n != 1) {
    return Status::error(cat("layer ", l, ": expected the tensors of exactly one mixer (ssm_in, attn_q, ffn_up or ffn_gate_inp), found ",
                             n == 0 ? "none" : "several"));
  }
  return ssm ? LayerKind::Mamba : attn ? LayerKind::Attention : moe ? LayerKind::Moe : LayerKind::Mlp;
}

const char* kind_evidence(LayerKind k) {
  switch (k) {
    case LayerKind::Mamba: return "ssm_in.weight";
    case LayerKind::Attention: return "attn_q.weight";
    case LayerKind::Mlp: return "ffn_up.weight";
    case LayerKind::Moe: return "ffn_gate_inp.weight";
  }
  return "";
}

struct LayerInfo {
  std::vector<LayerKind> kinds;
  std::vector<int64_t> head_count_kv, feed_forward;
};

// Layer kinds from metadata (llama.cpp's rule, spec §14.1), cross-checked against the tensors.
Result<LayerInfo> layer_kinds(const GgufFile& f, const Meta& m, size_t n_layers) {
  LayerInfo info;
  NT_ASSIGN_OR_RETURN(info.head_count_kv, m.per_layer("attention.head_count_kv", n_layers));
  NT_ASSIGN_OR_RETURN(info.feed_forward, m.per_layer("feed_forward_length", n_layers));
  for (size_t l = 0; l < n_layers; ++l) {
    const int64_t kv = info.head_count_kv[l], ff = info.feed_forward[l];
    NT_ASSIGN_OR_RETURN(LayerKind t, tensor_kind(f, l));
    LayerKind meta = ff > 0 ? (t == LayerKind::Moe ? LayerKind::Moe : LayerKind::Mlp)
                            : kv > 0 ? LayerKind::Attention : LayerKind::Mamba;
    if (meta != t) {
      return Status::error(cat("layer ", l, ": metadata says ", layer_kind_name(meta), " (", m.key("attention.head_count_kv"), "[", l,
                               "] = ", kv, ", ", m.key("feed_forward_length"), "[", l, "] = ", ff, ") but the tensors say ",
                               layer_kind_name(t), " (", blk(l, kind_evidence(t)), " present, ", blk(l, kind_evidence(meta)), " missing)"));
    }
    info.kinds.push_back(t);
  }
  return info;
}

bool any_tensor(const GgufFile& f, size_t n_layers, std::string_view suffix) {
  for (size_t l = 0; l < n_layers; ++l) if (f.find_tensor(blk(l, suffix))) return true;
  return false;
}

// The config.json equivalent of the metadata, parsed by the same code (and validation) as config.json.
Result<ModelConfig> config_from_metadata(const GgufFile& f, const std::string& arch, size_t n_layers, const LayerInfo& info) {
  const Meta m(f, arch);
  NT_ASSIGN_OR_RETURN(const GgufTensor* embd, f.tensor("token_embd.weight"));
  if (embd->ne.size() != 2) return Status::error("token_embd.weight: expected 2 dimensions {H, V}");
  Json j = Json::object();
  std::string pattern;
  for (LayerKind k : info.kinds) pattern += layer_kind_char(k);
  j["hybrid_override_pattern"] = pattern;
  j["num_hidden_layers"] = n_layers;
  NT_ASSIGN_OR_RETURN(int64_t H, m.integer("embedding_length"));
  j["hidden_size"] = H;
  j["vocab_size"] = embd->ne[1];
  j["tie_word_embeddings"] = f.find_tensor("output.weight") == nullptr;
  NT_ASSIGN_OR_RETURN(double eps, m.number("attention.layer_norm_rms_epsilon", 1e-5));
  j["layer_norm_epsilon"] = eps;
  NT_ASSIGN_OR_RETURN(int64_t ctx, m.integer("context_length", 4096));
  j["max_position_embeddings"] = ctx;

  std::vector<int64_t> mlp_widths;
  int64_t n_kv = 0;
  for (size_t l = 0; l < n_layers; ++l) {
    if (info.kinds[l] == LayerKind::Mlp) mlp_widths.push_back(info.feed_forward[l]);
    if (info.kinds[l] != LayerKind::Attention) continue;
    if (n_kv != 0 && info.head_count_kv[l] != n_kv) {
      return Status::error(cat("attention layers differ in head_count_kv (", n_kv, " and ", info.head_count_kv[l], " at layer ", l, "): not supported"));
    }
    n_kv = info.head_count_kv[l];
  }
  if (n_kv > 0) {
    NT_ASSIGN_OR_RETURN(std::vector<int64_t> heads, m.per_layer("attention.head_count", n_layers));
    const int64_t n_h = *std::max_element(heads.begin(), heads.begin() + static_cast<std::ptrdiff_t>(n_layers));
    j["num_attention_heads"] = n_h;
    j["num_key_value_heads"] = n_kv;
    NT_ASSIGN_OR_RETURN(int64_t d_h, m.integer("attention.key_length", n_h > 0 ? H / n_h : 0));
    j["head_dim"] = d_h;
    j["attention_bias"] = any_tensor(f, n_layers, "attn_q.bias");
  }
  if (!mlp_widths.empty()) j["intermediate_size"] = mlp_widths;
  j["mlp_bias"] = any_tensor(f, n_layers, "ffn_up.bias");
  if (std::count(info.kinds.begin(), info.kinds.end(), LayerKind::Mamba) > 0) {
    NT_ASSIGN_OR_RETURN(int64_t n_m, m.integer("ssm.time_step_rank"));
    NT_ASSIGN_OR_RETURN(int64_t d_in, m.integer("ssm.inner_size"));
    if (n_m <= 0 || d_in % n_m != 0) {
      return Status::error(cat("ssm.inner_size (", d_in, ") must be a positive multiple of ssm.time_step_rank (", n_m, ")"));
    }
    j["mamba_num_heads"] = n_m;
    j["mamba_head_dim"] = d_in / n_m;
    NT_ASSIGN_OR_RETURN(int64_t N, m.integer("ssm.state_size"));
    NT_ASSIGN_OR_RETURN(int64_t G, m.integer("ssm.group_count", 1));
    NT_ASSIGN_OR_RETURN(int64_t K, m.integer("ssm.conv_kernel"));
    j["ssm_state_size"] = N;
    j["n_groups"] = G;
    j["conv_kernel"] = K;
    j["use_conv_bias"] = any_tensor(f, n_layers, "ssm_conv1d.bias");
    j["use_bias"] = any_tensor(f, n_layers, "ssm_in.bias");
  }
  if (std::count(info.kinds.begin(), info.kinds.end(), LayerKind::Moe) > 0) {
    NT_ASSIGN_OR_RETURN(int64_t E, m.integer("expert_count"));
    NT_ASSIGN_OR_RETURN(int64_t k, m.integer("expert_used_count"));
    NT_ASSIGN_OR_RETURN(int64_t I_e, m.integer("expert_feed_forward_length"));
    NT_ASSIGN_OR_RETURN(int64_t I_s, m.integer("expert_shared_feed_forward_length", I_e));
    const bool shared = any_tensor(f, n_layers, "ffn_up_shexp.weight");
    NT_ASSIGN_OR_RETURN(int64_t n_shared, m.integer("expert_shared_count", shared ? 1 : 0));
    NT_ASSIGN_OR_RETURN(bool norm, m.boolean("expert_weights_norm", true));
    NT_ASSIGN_OR_RETURN(double scale, m.number("expert_weights_scale", 1.0));
    NT_ASSIGN_OR_RETURN(int64_t groups, m.integer("expert_group_count", 1));
    NT_ASSIGN_OR_RETURN(int64_t groups_used, m.integer("expert_group_used_count", 1));
    NT_ASSIGN_OR_RETURN(int64_t latent, m.integer("moe_latent_size", 0));
    j["n_routed_experts"] = E;
    j["num_experts_per_tok"] = k;
    j["moe_intermediate_size"] = I_e;
    j["moe_shared_expert_intermediate_size"] = I_s;
    j["n_shared_experts"] = shared ? std::max<int64_t>(n_shared, 1) : 0;
    j["norm_topk_prob"] = norm;
    j["routed_scaling_factor"] = scale;
    j["n_group"] = std::max<int64_t>(groups, 1);
    j["topk_group"] = std::max<int64_t>(groups_used, 1);
    if (latent > 0) j["moe_latent_size"] = latent;
  }
  if (f.has_key("tokenizer.ggml.bos_token_id")) { NT_ASSIGN_OR_RETURN(int64_t v, f.get_int("tokenizer.ggml.bos_token_id")); j["bos_token_id"] = v; }
  if (f.has_key("tokenizer.ggml.eos_token_id")) { NT_ASSIGN_OR_RETURN(int64_t v, f.get_int("tokenizer.ggml.eos_token_id")); j["eos_token_id"] = v; }
  if (f.has_key("tokenizer.ggml.padding_token_id")) { NT_ASSIGN_OR_RETURN(int64_t v, f.get_int("tokenizer.ggml.padding_token_id")); j["pad_token_id"] = v; }
  return parse_model_config(j.dump(), "GGUF metadata");
}

bool supported_type(GgmlType t) {
  switch (t) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16: case GgmlType::Q8_0: case GgmlType::Q4_0:
    case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1: case GgmlType::Q4_K: case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      return true;
    default:
      return false;
  }
}

TensorView view_of(const GgufTensor& t, std::string hf_name) {
  TensorView v;
  v.name = std::move(hf_name);
  v.shape = t.shape;
  v.data = t.data;
  v.nbytes = t.nbytes;
  v.qtype = t.type;
  switch (t.type) {
    case GgmlType::F32: v.dtype = DType::F32; break;
    case GgmlType::F16: v.dtype = DType::F16; break;
    case GgmlType::BF16: v.dtype = DType::BF16; break;
    default: v.dtype = DType::U8; break;
  }
  return v;
}

// GGUF per-layer tensor suffix → Hugging Face name under backbone.layers.ℓ.
const std::map<std::string, std::string, std::less<>>& layer_names() {
  static const std::map<std::string, std::string, std::less<>> m = {
      {"attn_norm.weight", "norm.weight"},
      {"ssm_in.weight", "mixer.in_proj.weight"}, {"ssm_in.bias", "mixer.in_proj.bias"},
      {"ssm_conv1d.weight", "mixer.conv1d.weight"}, {"ssm_conv1d.bias", "mixer.conv1d.bias"},
      {"ssm_dt.bias", "mixer.dt_bias"}, {"ssm_a", "mixer.A"}, {"ssm_d", "mixer.D"},
      {"ssm_norm.weight", "mixer.norm.weight"},
      {"ssm_out.weight", "mixer.out_proj.weight"}, {"ssm_out.bias", "mixer.out_proj.bias"},
      {"attn_q.weight", "mixer.q_proj.weight"}, {"attn_q.bias", "mixer.q_proj.bias"},
      {"attn_k.weight", "mixer.k_proj.weight"}, {"attn_k.bias", "mixer.k_proj.bias"},
      {"attn_v.weight", "mixer.v_proj.weight"}, {"attn_v.bias", "mixer.v_proj.bias"},
      {"attn_output.weight", "mixer.o_proj.weight"}, {"attn_output.bias", "mixer.o_proj.bias"},
      {"ffn_up.weight", "mixer.up_proj.weight"}, {"ffn_up.bias", "mixer.up_proj.bias"},
      {"ffn_down.weight", "mixer.down_proj.weight"}, {"ffn_down.bias", "mixer.down_proj.bias"},
      {"ffn_gate_inp.weight", "mixer.gate.weight"},
      {"exp_probs_b.bias", "mixer.gate.e_score_correction_bias"},
      {"ffn_up_exps.weight", "mixer.experts.up_proj"}, {"ffn_down_exps.weight", "mixer.experts.down_proj"},
      {"ffn_up_shexp.weight", "mixer.shared_experts.up_proj.weight"},
      {"ffn_down_shexp.weight", "mixer.shared_experts.down_proj.weight"},
      {"ffn_latent_down.weight", "mixer.fc1_latent_proj.weight"},
      {"ffn_latent_up.weight", "mixer.fc2_latent_proj.weight"},
  };
  return m;
}

// Checks a reshaped tensor's ggml dims against the accepted layouts and flattens/reorders its shape.
Status reshape(const GgufTensor& t, std::vector<std::vector<int64_t>> accepted_ne, std::vector<int64_t> shape, TensorView* v) {
  for (const auto& ne : accepted_ne) {
    if (t.ne == ne) { v->shape = std::move(shape); return Status::ok(); }
  }
  return Status::error(cat("tensor '", t.name, "' has ggml dims ", shape_str(t.ne), ", expected ", shape_str(accepted_ne[0])));
}

// Copies a Q/K weight (or bias) with rows put back in Hugging Face order within each head. The copy is
// owned by `*owner`, which also keeps the file alive.
Status unpermute_qk(const std::shared_ptr<const GgufFile>& file, const GgufTensor& t, int64_t head_dim, TensorView* v,
                    std::shared_ptr<const void>* owner) {
  const int64_t rows = t.shape.empty() ? 0 : t.shape[0];
  if (head_dim <= 0 || head_dim % 2 != 0 || rows % head_dim != 0) {
    return Status::error(cat("tensor '", t.name, "': ", rows, " rows cannot be split into heads of even size ", head_dim));
  }
  const size_t rb = t.nbytes / static_cast<size_t>(rows);
  auto holder = std::make_shared<std::pair<std::shared_ptr<const GgufFile>, std::vector<uint8_t>>>(file, std::vector<uint8_t>(t.nbytes));
  uint8_t* dst = holder->second.data();
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(dst + static_cast<size_t>(r) * rb, t.data + static_cast<size_t>(gguf_qk_row(r, head_dim)) * rb, rb);
  }
  v->data = dst;
  *owner = std::move(holder);
  return Status::ok();
}

Status map_tensors(const std::shared_ptr<const GgufFile>& file, const ModelConfig& c, size_t n_layers, TensorStore* store) {
  const int64_t n_m = c.mamba_num_heads, d_in = c.d_inner(), G = c.n_groups, K = c.conv_kernel, d_conv = c.d_conv();
  for (const GgufTensor& t : file->tensors()) {
    std::string hf;
    if (t.name == "token_embd.weight") hf = "backbone.embeddings.weight";
    else if (t.name == "output_norm.weight") hf = "backbone.norm_f.weight";
    else if (t.name == "output.weight") hf = "lm_head.weight";
    TensorView v = view_of(t, "");
    std::shared_ptr<const void> owner = file;
    if (hf.empty()) {
      size_t l = 0, pos = 0;
      if (t.name.rfind("blk.", 0) == 0) {
        pos = 4;
        while (pos < t.name.size() && pos < 12 && t.name[pos] >= '0' && t.name[pos] <= '9') l = l * 10 + static_cast<size_t>(t.name[pos++] - '0');
      }
      if (pos <= 4 || pos >= t.name.size() || t.name[pos] != '.') return Status::error(cat("unexpected tensor '", t.name, "' in GGUF file"));
      if (l >= n_layers) continue;  // trailing NextN (MTP) blocks: not used for inference
      const std::string suffix = t.name.substr(pos + 1);
      auto it = layer_names().find(suffix);
      if (it == layer_names().end()) return Status::error(cat("unexpected tensor '", t.name, "' in GGUF file"));
      hf = cat("backbone.layers.", l, ".", it->second);
      if (suffix == "ssm_a" || suffix == "ssm_d") {
        NT_RETURN_IF_ERROR(reshape(t, {{1, n_m}, {n_m}}, {n_m}, &v));
      } else if (suffix == "ssm_norm.weight") {
        NT_RETURN_IF_ERROR(reshape(t, {{G > 0 ? d_in / G : d_in, G}, {d_in}}, {d_in}, &v));
      } else if (suffix == "ssm_conv1d.weight") {
        NT_RETURN_IF_ERROR(reshape(t, {{K, d_conv}, {K, 1, d_conv}}, {d_conv, K}, &v));
      } else if (suffix.rfind("attn_q.", 0) == 0 || suffix.rfind("attn_k.", 0) == 0) {
        NT_RETURN_IF_ERROR(unpermute_qk(file, t, c.head_dim, &v, &owner));
      }
    }
    v.name = hf;
    NT_RETURN_IF_ERROR(store->add_view(std::move(v), std::move(owner)));
  }
  return Status::ok();
}

}  // namespace

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {0, 0, 0, 0};
  if (!in.read(magic, 4)) return false;
  return std::memcmp(magic, "GGUF", 4) == 0;
}

Result<GgufModel> gguf_model_from_file(std::shared_ptr<const GgufFile> file) {
  GgufModel out;
  out.file = file;
  const GgufFile& f = *file;
  NT_ASSIGN_OR_RETURN(std::string_view arch, f.get_string("general.architecture"));
  if (arch != "nemotron_h" && arch != "nemotron_h_moe") {
    return Status::error(cat("GGUF architecture '", arch, "' is not supported: expected nemotron_h or nemotron_h_moe"));
  }
  out.architecture = std::string(arch);
  for (const GgufTensor& t : f.tensors()) {
    if (!supported_type(t.type)) {
      return Status::error(cat("unsupported tensor type ", ggml_type_name(t.type), " in tensor '", t.name, "'"));
    }
  }
  const Meta m(f, out.architecture);
  NT_ASSIGN_OR_RETURN(int64_t blocks, m.integer("block_count"));
  NT_ASSIGN_OR_RETURN(int64_t nextn, m.integer("nextn_predict_layers", 0));
  if (blocks <= 0 || nextn < 0 || nextn >= blocks || blocks > (int64_t{1} << 20)) {
    return Status::error(cat("block_count ", blocks, " (with ", nextn, " NextN blocks) is not a valid layer count"));
  }
  const size_t n_layers = static_cast<size_t>(blocks - nextn);
  NT_ASSIGN_OR_RETURN(LayerInfo info, layer_kinds(f, m, n_layers));
  NT_ASSIGN_OR_RETURN(out.config, config_from_metadata(f, out.architecture, n_layers, info));
  NT_RETURN_IF_ERROR(map_tensors(file, out.config, n_layers, &out.store));
  return out;
}

Result<GgufModel> load_gguf_model(const std::string& path) {
  auto f = GgufFile::open(path);
  if (!f.is_ok()) return f.status().with_context(path);
  auto file = std::make_shared<const GgufFile>(std::move(f).value());
  const uint8_t* base = file->file_data();
  const size_t size = file->file_size();
  auto m = gguf_model_from_file(std::move(file));
  if (!m.is_ok()) return m.status().with_context(path);
  m->store.add_file_range(base, size, path);  // GgufFile::open memory-maps the file read-only
  return m;
}

}  // namespace nt
