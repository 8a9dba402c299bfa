#include "model/config.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/mapped_file.h"
#include "core/strings.h"

namespace nt {

char layer_kind_char(LayerKind k) {
  switch (k) {
    case LayerKind::Mamba: return 'M';
    case LayerKind::Attention: return '*';
    case LayerKind::Mlp: return '-';
    case LayerKind::Moe: return 'E';
  }
  return '?';
}

const char* layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::Mamba: return "mamba";
    case LayerKind::Attention: return "attention";
    case LayerKind::Mlp: return "mlp";
    case LayerKind::Moe: return "moe";
  }
  return "?";
}

int64_t ModelConfig::count(LayerKind k) const {
  int64_t n = 0;
  for (auto l : layers) n += (l == k);
  return n;
}

int64_t ModelConfig::mlp_width(size_t layer) const {
  if (intermediate_size.size() == 1) return intermediate_size[0];
  if (intermediate_size.size() == layers.size()) return intermediate_size[layer];
  size_t ordinal = 0;
  for (size_t i = 0; i < layer; ++i) ordinal += layers[i] == LayerKind::Mlp;
  return intermediate_size[ordinal];
}

std::string ModelConfig::pattern() const {
  std::string s;
  for (auto l : layers) s.push_back(layer_kind_char(l));
  return s;
}

namespace {

// Reads typed fields with aliases; remembers the first error so parsing code stays linear.
class FieldReader {
 public:
  FieldReader(const Json& j, std::string what) : j_(j), what_(std::move(what)) {}

  const Json* find(std::initializer_list<const char*> names, std::string* used = nullptr) const {
    for (const char* n : names) {
      if (j_.contains(n) && !j_[n].is_null()) {
        if (used) *used = n;
        return &j_[n];
      }
    }
    return nullptr;
  }

  void integer(std::initializer_list<const char*> names, int64_t* out) {
    std::string used;
    const Json* v = find(names, &used);
    if (!v) return;
    double d;
    if (v->is_number_integer()) *out = v->get<int64_t>();
    else if (v->is_number_float() && json_number(*v, &d) && std::floor(d) == d && std::fabs(d) < 9e15) *out = static_cast<int64_t>(d);
    else fail(used, "an integer", *v);
  }

  void number(std::initializer_list<const char*> names, double* out) {
    std::string used;
    const Json* v = find(names, &used);
    if (!v) return;
    if (!json_number(*v, out)) fail(used, "a number", *v);
  }

  void boolean(std::initializer_list<const char*> names, bool* out) {
    std::string used;
    const Json* v = find(names, &used);
    if (!v) return;
    if (v->is_boolean()) *out = v->get<bool>();
    else fail(used, "true or false", *v);
  }

  void fail(const std::string& field, const std::string& expected, const Json& found) {
    if (!error_.is_ok()) return;
    std::string shown = found.dump();
    if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
    error_ = Status::error(cat(what_, ": field '", field, "' must be ", expected, ", found ", shown));
  }
  void fail(const std::string& message) {
    if (error_.is_ok()) error_ = Status::error(cat(what_, ": ", message));
  }
  const Status& status() const { return error_; }

 private:
  const Json& j_;
  std::string what_;
  Status error_;
};

Status parse_layer_kinds(const Json& j, FieldReader& r, ModelConfig* c) {
  if (const Json* p = r.find({"hybrid_override_pattern"})) {
    if (!p->is_string()) { r.fail("hybrid_override_pattern", "a string like \"M-M*-\"", *p); return r.status(); }
    for (char ch : p->get_ref<const std::string&>()) {
      switch (ch) {
        case 'M': c->layers.push_back(LayerKind::Mamba); break;
        case '*': c->layers.push_back(LayerKind::Attention); break;
        case '-': c->layers.push_back(LayerKind::Mlp); break;
        case 'E': c->layers.push_back(LayerKind::Moe); break;
        default:
          r.fail(cat("hybrid_override_pattern: layer ", c->layers.size(), " has kind '", std::string(1, ch),
                     "', expected one of M (Mamba-2), * (attention), - (MLP), E (MoE)"));
          return r.status();
      }
    }
  } else if (const Json* l = r.find({"layers_block_type"})) {
    if (!l->is_array()) { r.fail("layers_block_type", "a list of layer type names", *l); return r.status(); }
    for (const auto& e : *l) {
      std::string s = e.is_string() ? e.get<std::string>() : e.dump();
      if (s == "mamba" || s == "linear_attention") c->layers.push_back(LayerKind::Mamba);
      else if (s == "attention" || s == "full_attention") c->layers.push_back(LayerKind::Attention);
      else if (s == "mlp") c->layers.push_back(LayerKind::Mlp);
      else if (s == "moe") c->layers.push_back(LayerKind::Moe);
      else {
        r.fail(cat("layers_block_type[", c->layers.size(), "] is '", s,
                   "', expected mamba, attention, mlp, moe, linear_attention or full_attention"));
        return r.status();
      }
    }
  } else {
    r.fail("missing 'hybrid_override_pattern' (or 'layers_block_type'): the layer pattern defines the network");
    return r.status();
  }
  if (c->layers.empty()) r.fail("the layer pattern is empty");
  return r.status();
}

// Size limits (config.h): every dimension in [.., kMaxConfigDim], so that products of two never overflow; the
// weights' element counts (products of up to three, summed) are checked in 128-bit arithmetic.
Status check_limits(const ModelConfig& c, const std::string& what) {
  auto bad = [&](const std::string& m) { return Status::error(cat(what, ": ", m)); };
  if (static_cast<int64_t>(c.layers.size()) > kMaxConfigLayers) {
    return bad(cat("the layer pattern has ", c.layers.size(), " layers, more than the limit of ", kMaxConfigLayers));
  }
  const std::pair<const char*, int64_t> dims[] = {
      {"hidden_size", c.hidden_size}, {"vocab_size", c.vocab_size}, {"num_attention_heads", c.num_attention_heads},
      {"num_key_value_heads", c.num_key_value_heads}, {"head_dim", c.head_dim}, {"mamba_num_heads", c.mamba_num_heads},
      {"mamba_head_dim", c.mamba_head_dim}, {"ssm_state_size", c.ssm_state_size}, {"n_groups", c.n_groups},
      {"conv_kernel", c.conv_kernel}, {"chunk_size", c.chunk_size}, {"moe_intermediate_size", c.moe_intermediate_size},
      {"moe_shared_expert_intermediate_size", c.moe_shared_expert_intermediate_size},
      {"n_shared_experts", c.n_shared_experts}, {"n_group", c.n_group}, {"topk_group", c.topk_group},
      {"num_experts_per_tok", c.num_experts_per_tok}, {"moe_latent_size", c.moe_latent_size}};
  for (const auto& [name, v] : dims) {
    if (v > kMaxConfigDim) return bad(cat("field '", name, "' is ", v, ", more than the limit of ", kMaxConfigDim));
  }
  for (int64_t w : c.intermediate_size) {
    if (w > kMaxConfigDim) {
      return bad(cat("field 'intermediate_size' is ", w, ", more than the limit of ", kMaxConfigDim));
    }
  }
  if (c.n_routed_experts > kMaxConfigExperts) {
    return bad(cat("field 'n_routed_experts' is ", c.n_routed_experts, ", more than the limit of ", kMaxConfigExperts));
  }
  // In double: every factor is below 2^24, so the products are far from overflowing and exact enough to compare.
  auto d = [](int64_t v) { return static_cast<double>(v); };
  const double d_inner = d(c.mamba_num_heads) * d(c.mamba_head_dim);
  const double gn = d(c.n_groups) * d(c.ssm_state_size);
  double mlp_w = 0;
  for (int64_t w : c.intermediate_size) mlp_w = std::max(mlp_w, d(w));
  const double moe_w = std::max(d(c.moe_intermediate_size), d(c.moe_shared_expert_intermediate_size));
  const std::pair<const char*, double> weights[] = {
      {"the embedding (vocab_size x hidden_size)", d(c.vocab_size) * d(c.hidden_size)},
      {"a Mamba in_proj", (2 * d_inner + 2 * gn + d(c.mamba_num_heads)) * d(c.hidden_size)},
      {"an attention projection", d(c.num_attention_heads) * d(c.head_dim) * d(c.hidden_size)},
      {"an MLP projection", mlp_w * d(c.hidden_size)},
      {"the stacked routed experts", d(c.n_routed_experts) * moe_w * d(std::max(c.hidden_size, c.moe_latent_size))},
  };
  for (const auto& [name, n] : weights) {
    if (n > d(kMaxConfigTensorElements)) {
      return bad(cat(name, " would have ", n, " elements, more than the limit of ", kMaxConfigTensorElements));
    }
  }
  return Status::ok();
}

Status validate(const ModelConfig& c, const std::string& what) {
  NT_RETURN_IF_ERROR(check_limits(c, what));
  auto bad = [&](const std::string& m) { return Status::error(cat(what, ": ", m)); };
  auto positive = [&](const char* name, int64_t v) -> Status {
    if (v <= 0) return bad(cat("field '", name, "' must be positive, found ", v));
    return Status::ok();
  };
  NT_RETURN_IF_ERROR(positive("hidden_size", c.hidden_size));
  NT_RETURN_IF_ERROR(positive("vocab_size", c.vocab_size));
  if (!(c.layer_norm_epsilon > 0) || !std::isfinite(c.layer_norm_epsilon)) return bad(cat("layer_norm_epsilon must be positive, found ", c.layer_norm_epsilon));
  if (c.count(LayerKind::Attention)) {
    NT_RETURN_IF_ERROR(positive("num_attention_heads", c.num_attention_heads));
    NT_RETURN_IF_ERROR(positive("num_key_value_heads", c.num_key_value_heads));
    NT_RETURN_IF_ERROR(positive("head_dim", c.head_dim));
    if (c.num_attention_heads % c.num_key_value_heads) {
      return bad(cat("num_attention_heads (", c.num_attention_heads, ") must be a multiple of num_key_value_heads (", c.num_key_value_heads, ")"));
    }
  }
  if (c.count(LayerKind::Mamba)) {
    NT_RETURN_IF_ERROR(positive("mamba_num_heads", c.mamba_num_heads));
    NT_RETURN_IF_ERROR(positive("mamba_head_dim", c.mamba_head_dim));
    NT_RETURN_IF_ERROR(positive("ssm_state_size", c.ssm_state_size));
    NT_RETURN_IF_ERROR(positive("n_groups", c.n_groups));
    NT_RETURN_IF_ERROR(positive("conv_kernel", c.conv_kernel));
    NT_RETURN_IF_ERROR(positive("chunk_size", c.chunk_size));
    if (c.mamba_num_heads % c.n_groups) return bad(cat("mamba_num_heads (", c.mamba_num_heads, ") must be a multiple of n_groups (", c.n_groups, ")"));
    if (!(c.time_step_limit_lo <= c.time_step_limit_hi)) return bad("time_step_limit must be [lo, hi] with lo <= hi");
  }
  if (c.count(LayerKind::Mlp)) {
    if (c.intermediate_size.size() != 1 && c.intermediate_size.size() != c.layers.size() &&
        static_cast<int64_t>(c.intermediate_size.size()) != c.count(LayerKind::Mlp)) {
      return bad(cat("intermediate_size list has ", c.intermediate_size.size(), " entries, expected 1, one per layer (",
                     c.layers.size(), ") or one per MLP layer (", c.count(LayerKind::Mlp), ")"));
    }
    for (size_t i = 0; i < c.layers.size(); ++i) {
      if (c.layers[i] == LayerKind::Mlp) NT_RETURN_IF_ERROR(positive("intermediate_size", c.mlp_width(i)));
    }
  }
  if (c.count(LayerKind::Moe)) {
    NT_RETURN_IF_ERROR(positive("n_routed_experts", c.n_routed_experts));
    NT_RETURN_IF_ERROR(positive("num_experts_per_tok", c.num_experts_per_tok));
    NT_RETURN_IF_ERROR(positive("moe_intermediate_size", c.moe_intermediate_size));
    NT_RETURN_IF_ERROR(positive("n_group", c.n_group));
    if (c.num_experts_per_tok > c.n_routed_experts) return bad(cat("num_experts_per_tok (", c.num_experts_per_tok, ") exceeds n_routed_experts (", c.n_routed_experts, ")"));
    if (c.n_routed_experts % c.n_group) return bad(cat("n_routed_experts (", c.n_routed_experts, ") must be a multiple of n_group (", c.n_group, ")"));
    if (c.topk_group < 1 || c.topk_group > c.n_group) return bad(cat("topk_group must be in [1, n_group=", c.n_group, "], found ", c.topk_group));
    if (c.num_experts_per_tok > c.topk_group * (c.n_routed_experts / c.n_group)) {
      return bad(cat("num_experts_per_tok (", c.num_experts_per_tok, ") exceeds the experts in the topk_group selected groups (",
                     c.topk_group * (c.n_routed_experts / c.n_group), ")"));
    }
    if (c.n_shared_experts < 0) return bad(cat("n_shared_experts must be >= 0, found ", c.n_shared_experts));
    if (c.n_shared_experts > 0) NT_RETURN_IF_ERROR(positive("moe_shared_expert_intermediate_size", c.moe_shared_expert_intermediate_size));
    if (c.moe_latent_size < 0) return bad(cat("moe_latent_size must be positive or null, found ", c.moe_latent_size));
  }
  return Status::ok();
}

}  // namespace

Result<ModelConfig> parse_model_config(const std::string& text, const std::string& what) {
  NT_ASSIGN_OR_RETURN(Json j, parse_json(text, what));
  if (!j.is_object()) return Status::error(cat(what, ": expected a JSON object, found ", json_type_name(j)));
  ModelConfig c;
  FieldReader r(j, what);
  NT_RETURN_IF_ERROR(parse_layer_kinds(j, r, &c));

  int64_t num_layers = -1;
  r.integer({"num_hidden_layers"}, &num_layers);
  if (num_layers >= 0 && num_layers != static_cast<int64_t>(c.layers.size())) {
    r.fail(cat("num_hidden_layers is ", num_layers, " but the layer pattern has ", c.layers.size(), " layers"));
  }
  r.integer({"hidden_size"}, &c.hidden_size);
  r.integer({"vocab_size"}, &c.vocab_size);
  r.boolean({"tie_word_embeddings"}, &c.tie_word_embeddings);
  r.number({"layer_norm_epsilon", "rms_norm_eps", "norm_eps"}, &c.layer_norm_epsilon);

  r.integer({"num_attention_heads"}, &c.num_attention_heads);
  c.num_key_value_heads = c.num_attention_heads;
  r.integer({"num_key_value_heads"}, &c.num_key_value_heads);
  c.head_dim = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  r.integer({"head_dim", "attention_head_dim"}, &c.head_dim);
  r.boolean({"attention_bias"}, &c.attention_bias);

  if (const Json* is = r.find({"intermediate_size"})) {
    c.intermediate_size.clear();
    if (is->is_array()) {
      for (const auto& e : *is) {
        if (!e.is_number_integer()) { r.fail("intermediate_size", "an integer or a list of integers", *is); break; }
        c.intermediate_size.push_back(e.get<int64_t>());
      }
    } else if (is->is_number_integer()) {
      c.intermediate_size.push_back(is->get<int64_t>());
    } else {
      r.fail("intermediate_size", "an integer or a list of integers", *is);
    }
    if (c.intermediate_size.empty()) c.intermediate_size.push_back(0);
  }
  r.boolean({"mlp_bias"}, &c.mlp_bias);
  if (const Json* act = r.find({"mlp_hidden_act", "hidden_act"})) {
    if (!act->is_string() || act->get<std::string>() != "relu2") r.fail("mlp_hidden_act", "\"relu2\" (the only activation these models use)", *act);
  }
  if (const Json* act = r.find({"mamba_hidden_act"})) {
    if (!act->is_string() || act->get<std::string>() != "silu") r.fail("mamba_hidden_act", "\"silu\"", *act);
  }

  r.integer({"mamba_num_heads"}, &c.mamba_num_heads);
  r.integer({"mamba_head_dim"}, &c.mamba_head_dim);
  r.integer({"ssm_state_size"}, &c.ssm_state_size);
  r.integer({"n_groups", "mamba_n_groups"}, &c.n_groups);
  r.integer({"conv_kernel", "mamba_d_conv"}, &c.conv_kernel);
  r.boolean({"use_conv_bias", "mamba_conv_bias"}, &c.use_conv_bias);
  r.boolean({"use_bias", "mamba_proj_bias"}, &c.use_bias);
  r.integer({"chunk_size", "mamba_chunk_size"}, &c.chunk_size);
  if (const Json* lim = r.find({"time_step_limit", "mamba_dt_limit"})) {
    if (!lim->is_array() || lim->size() != 2 || !json_number((*lim)[0], &c.time_step_limit_lo) ||
        !json_number((*lim)[1], &c.time_step_limit_hi)) {
      r.fail("time_step_limit", "a pair [lo, hi] of numbers (Infinity allowed)", *lim);
    }
  }

  r.integer({"n_routed_experts", "num_local_experts"}, &c.n_routed_experts);
  r.integer({"num_experts_per_tok"}, &c.num_experts_per_tok);
  r.integer({"moe_intermediate_size"}, &c.moe_intermediate_size);
  r.integer({"moe_shared_expert_intermediate_size"}, &c.moe_shared_expert_intermediate_size);
  r.integer({"n_shared_experts"}, &c.n_shared_experts);
  r.integer({"n_group"}, &c.n_group);
  r.integer({"topk_group"}, &c.topk_group);
  r.boolean({"norm_topk_prob"}, &c.norm_topk_prob);
  r.number({"routed_scaling_factor"}, &c.routed_scaling_factor);
  r.integer({"moe_latent_size"}, &c.moe_latent_size);

  r.integer({"bos_token_id"}, &c.bos_token_id);
  r.integer({"pad_token_id"}, &c.pad_token_id);
  r.integer({"max_position_embeddings"}, &c.max_position_embeddings);
  if (const Json* eos = r.find({"eos_token_id"})) {
    c.eos_token_ids.clear();
    if (eos->is_number_integer()) c.eos_token_ids.push_back(eos->get<int64_t>());
    else if (eos->is_array()) {
      for (const auto& e : *eos) if (e.is_number_integer()) c.eos_token_ids.push_back(e.get<int64_t>());
    }
  }
  if (const Json* dt = r.find({"torch_dtype", "dtype"}); dt && dt->is_string()) c.torch_dtype = dt->get<std::string>();
  NT_RETURN_IF_ERROR(r.status());
  if (const Json* q = r.find({"quantization_config"})) {
    auto quant = parse_modelopt_config(q, nullptr);
    if (!quant.is_ok()) return quant.status().with_context(what);
    c.quant = std::move(quant).value();
  }
  NT_RETURN_IF_ERROR(validate(c, what));
  return c;
}

Result<ModelConfig> load_model_config(const std::string& model_dir) {
  std::string path = model_dir + "/config.json";
  if (!file_exists(path)) return Status::error(cat(model_dir, ": no config.json (expected a Hugging Face model directory)"));
  NT_ASSIGN_OR_RETURN(std::string text, read_text_file(path, size_t{16} << 20));
  NT_ASSIGN_OR_RETURN(ModelConfig c, parse_model_config(text, path));
  const std::string hf_quant = model_dir + "/hf_quant_config.json";
  if (file_exists(hf_quant)) {
    NT_ASSIGN_OR_RETURN(std::string qtext, read_text_file(hf_quant, size_t{16} << 20));
    NT_ASSIGN_OR_RETURN(Json hq, parse_json(qtext, hf_quant));
    NT_ASSIGN_OR_RETURN(Json cj, parse_json(text, path));
    const Json* qc = cj.contains("quantization_config") && !cj["quantization_config"].is_null() ? &cj["quantization_config"] : nullptr;
    auto quant = parse_modelopt_config(qc, &hq);
    if (!quant.is_ok()) return quant.status().with_context(model_dir);
    c.quant = std::move(quant).value();
  }
  return c;
}

}  // namespace nt
