#include "formats/gguf_export.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/strings.h"
#include "core/thread_pool.h"
#include "formats/gguf_model.h"
#include "ops/linear.h"

namespace nt {

namespace {

// One output tensor: its GGUF name, ggml dims and a producer of its fp32 rows (ne[0] values each).
struct OutTensor {
  std::string name;
  std::vector<int64_t> ne;
  std::function<void(int64_t row, int64_t count, float* out)> rows;
  int layer = -1;
  GgmlType type = GgmlType::F32;
  int64_t n_rows() const {
    int64_t n = 1;
    for (size_t i = 1; i < ne.size(); ++i) n *= ne[i];
    return n;
  }
};

// ---- tensor list ------------------------------------------------------------------------------

class Planner {
 public:
  Planner(const ModelConfig& c, const ModelWeights& w, RowFiller fill) : c_(c), w_(w), fill_(std::move(fill)) {
    if (!fill_) fill_ = [](const TensorView& t, int64_t row, int64_t count, float* out) { convert_rows(t, row, count, out); };
  }

  std::vector<OutTensor> plan() {
    const int64_t H = c_.hidden_size, V = c_.vocab_size;
    matrix("token_embd.weight", w_.embeddings, H, V, -1);
    vec("output_norm.weight", w_.norm_f, {H}, -1);
    if (!c_.tie_word_embeddings) matrix("output.weight", w_.lm_head.w, H, V, -1);
    for (size_t l = 0; l < w_.layers.size(); ++l) layer(static_cast<int>(l), w_.layers[l]);
    return std::move(out_);
  }

 private:
  std::string blk(int l, const char* s) { return cat("blk.", l, ".", s); }

  void matrix(std::string name, const TensorView& t, int64_t cols, int64_t rows, int layer, int64_t qk_head_dim = 0) {
    const TensorView* tp = &t;
    RowFiller fill = fill_;
    auto rowsfn = [tp, fill, qk_head_dim, cols](int64_t row, int64_t count, float* out) {
      if (qk_head_dim == 0) return fill(*tp, row, count, out);
      // GGUF row j holds Hugging Face row hf(j); the inverse of gguf_qk_row within each head.
      for (int64_t j = 0; j < count; ++j) {
        const int64_t g = row + j, half = qk_head_dim / 2, head = g / qk_head_dim, r = g % qk_head_dim;
        fill(*tp, head * qk_head_dim + (r % 2) * half + r / 2, 1, out + j * cols);
      }
    };
    out_.push_back({std::move(name), {cols, rows}, rowsfn, layer});
  }
  void linear(int l, const char* base, const Linear& lin, int64_t qk_head_dim = 0) {
    matrix(blk(l, cat(base, ".weight").c_str()), lin.w, lin.in(), lin.out(), l, qk_head_dim);
    if (!lin.bias.empty()) {
      if (qk_head_dim == 0) {
        vec(blk(l, cat(base, ".bias").c_str()), lin.bias, {lin.out()}, l);
      } else {
        std::vector<float> p(lin.bias.size());
        for (size_t r = 0; r < p.size(); ++r) p[static_cast<size_t>(gguf_qk_row(static_cast<int64_t>(r), qk_head_dim))] = lin.bias[r];
        owned_.push_back(std::make_shared<std::vector<float>>(std::move(p)));
        vec(blk(l, cat(base, ".bias").c_str()), *owned_.back(), {lin.out()}, l);
      }
    }
  }
  void vec(std::string name, const std::vector<float>& v, std::vector<int64_t> ne, int layer) {
    const std::vector<float>* vp = &v;
    const int64_t cols = ne[0];
    out_.push_back({std::move(name), std::move(ne), [vp, cols](int64_t row, int64_t count, float* out) {
                      std::copy_n(vp->data() + row * cols, count * cols, out);
                    }, layer});
  }
  // Experts stacked along a new outer axis: {cols, rows, E}; row e·rows + r is row r of expert e.
  void experts(int l, const char* name, bool up) {
    const auto& ex = w_.layers[static_cast<size_t>(l)].moe.experts;
    const TensorView& first = up ? ex[0].up_proj.w : ex[0].down_proj.w;
    const int64_t rows = first.dim(0), cols = first.dim(1);
    const std::vector<MlpWeights>* exp = &ex;
    RowFiller fill = fill_;
    out_.push_back({blk(l, name), {cols, rows, static_cast<int64_t>(ex.size())},
                    [exp, fill, rows, cols, up](int64_t row, int64_t count, float* out) {
                      for (int64_t j = 0; j < count; ++j) {
                        const MlpWeights& e = (*exp)[static_cast<size_t>((row + j) / rows)];
                        fill(up ? e.up_proj.w : e.down_proj.w, (row + j) % rows, 1, out + j * cols);
                      }
                    }, l});
  }

  void layer(int l, const LayerWeights& L) {
    const int64_t H = c_.hidden_size;
    vec(blk(l, "attn_norm.weight"), L.norm, {H}, l);
    switch (L.kind) {
      case LayerKind::Mamba: {
        const MambaWeights& m = L.mamba;
        const int64_t n_m = c_.mamba_num_heads, G = c_.n_groups, d_in = c_.d_inner();
        linear(l, "ssm_in", m.in_proj);
        vec(blk(l, "ssm_conv1d.weight"), m.conv_w, {c_.conv_kernel, c_.d_conv()}, l);
        if (c_.use_conv_bias) vec(blk(l, "ssm_conv1d.bias"), m.conv_b, {c_.d_conv()}, l);
        vec(blk(l, "ssm_dt.bias"), m.dt_bias, {n_m}, l);
        vec(blk(l, "ssm_a"), m.A, {1, n_m}, l);
        vec(blk(l, "ssm_d"), m.D, {1, n_m}, l);
        vec(blk(l, "ssm_norm.weight"), m.norm, {d_in / G, G}, l);
        linear(l, "ssm_out", m.out_proj);
        break;
      }
      case LayerKind::Attention:
        linear(l, "attn_q", L.attn.q_proj, c_.head_dim);
        linear(l, "attn_k", L.attn.k_proj, c_.head_dim);
        linear(l, "attn_v", L.attn.v_proj);
        linear(l, "attn_output", L.attn.o_proj);
        break;
      case LayerKind::Mlp:
        linear(l, "ffn_up", L.mlp.up_proj);
        linear(l, "ffn_down", L.mlp.down_proj);
        break;
      case LayerKind::Moe: {
        const MoeWeights& m = L.moe;
        vec(blk(l, "ffn_gate_inp.weight"), m.gate, {H, c_.n_routed_experts}, l);
        vec(blk(l, "exp_probs_b.bias"), m.score_bias, {c_.n_routed_experts}, l);
        if (m.has_latent) {
          linear(l, "ffn_latent_down", m.fc1_latent);
          linear(l, "ffn_latent_up", m.fc2_latent);
        }
        experts(l, "ffn_up_exps.weight", true);
        experts(l, "ffn_down_exps.weight", false);
        if (m.has_shared) {
          linear(l, "ffn_up_shexp", m.shared.up_proj);
          linear(l, "ffn_down_shexp", m.shared.down_proj);
        }
        break;
      }
    }
  }

  const ModelConfig& c_;
  const ModelWeights& w_;
  RowFiller fill_;
  std::vector<OutTensor> out_;
  std::vector<std::shared_ptr<std::vector<float>>> owned_;

 public:
  std::vector<std::shared_ptr<std::vector<float>>> take_owned() { return std::move(owned_); }
};

// ---- tensor types (llama.cpp's rules) -----------------------------------------------------------

bool ends_with(const std::string& s, std::string_view suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// The converter's always-F32 tensors (conversion/base.py), which llama-quantize also leaves alone.
bool stays_f32(const OutTensor& t) {
  return t.ne.size() <= 1 || ends_with(t.name, "_norm.weight") || !ends_with(t.name, ".weight") ||
         has(t.name, "ffn_gate_inp") || has(t.name, "ssm_conv1d");
}

bool use_more_bits(int i, int n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

int64_t block_of(GgmlType t) { return ggml_type_traits(t).block_size; }

// llama-quantize's fallback for rows that are not a whole number of blocks; F16 when even that fails
// (llama-quantize refuses Q8_0 / Q4_0 in that case; tiny test models need the F16 fallback).
GgmlType fallback(GgmlType t, int64_t ncols) {
  if (ncols % block_of(t) == 0) return t;
  GgmlType f = t == GgmlType::Q4_K ? GgmlType::Q5_0 : t == GgmlType::Q5_K ? GgmlType::Q5_1
             : t == GgmlType::Q6_K ? GgmlType::Q8_0 : GgmlType::F16;
  return ncols % block_of(f) == 0 ? f : GgmlType::F16;
}

void assign_types(std::vector<OutTensor>& ts, GgufPreset p, int64_t n_expert) {
  GgmlType def = GgmlType::F32;
  switch (p) {
    case GgufPreset::F32: def = GgmlType::F32; break;
    case GgufPreset::F16: def = GgmlType::F16; break;
    case GgufPreset::BF16: def = GgmlType::BF16; break;
    case GgufPreset::Q8_0: def = GgmlType::Q8_0; break;
    case GgufPreset::Q4_0: def = GgmlType::Q4_0; break;
    case GgufPreset::Q4_K_M: def = GgmlType::Q4_K; break;
    case GgufPreset::Q6_K: def = GgmlType::Q6_K; break;
  }
  const bool quant = ggml_type_traits(def).is_quantized;
  bool tied = true;
  int n_wv = 0, n_down = 0, i_wv = 0, i_down = 0;
  for (const auto& t : ts) {
    tied &= t.name != "output.weight";
    n_wv += has(t.name, "attn_v.weight");
    n_down += has(t.name, "ffn_down");
  }
  for (auto& t : ts) {
    if (stays_f32(t)) { t.type = GgmlType::F32; continue; }
    GgmlType ty = def;
    if (quant) {
      if (t.name == "output.weight" || (tied && t.name == "token_embd.weight")) {
        if (t.ne[0] % block_of(def) != 0) ty = GgmlType::Q8_0;
        else if (def != GgmlType::Q8_0) ty = GgmlType::Q6_K;
      } else if (t.name == "token_embd.weight") {
        // default type
      } else if (has(t.name, "attn_v.weight")) {
        if (p == GgufPreset::Q4_K_M && use_more_bits(i_wv, n_wv)) ty = GgmlType::Q6_K;
        if (n_expert == 8) ty = GgmlType::Q8_0;
        ++i_wv;
      } else if (has(t.name, "attn_k.weight")) {
        if (n_expert == 8) ty = GgmlType::Q8_0;
      } else if (has(t.name, "ffn_down")) {
        // With experts, llama.cpp takes the layer index from the name and the tensor count as "n_layer".
        const int i_layer = n_expert > 1 ? t.layer : i_down;
        if (p == GgufPreset::Q4_K_M && use_more_bits(i_layer, n_down)) ty = GgmlType::Q6_K;
        ++i_down;
      } else if (has(t.name, "attn_output.weight")) {
        if (n_expert == 8 && p == GgufPreset::Q4_K_M) ty = GgmlType::Q5_K;
      }
    }
    t.type = fallback(ty, t.ne[0]);
  }
}

// ---- metadata -----------------------------------------------------------------------------------

uint32_t file_type(GgufPreset p) {  // llama_ftype
  switch (p) {
    case GgufPreset::F32: return 0;
    case GgufPreset::F16: return 1;
    case GgufPreset::Q4_0: return 2;
    case GgufPreset::Q8_0: return 7;
    case GgufPreset::Q4_K_M: return 15;
    case GgufPreset::Q6_K: return 18;
    case GgufPreset::BF16: return 32;
  }
  return 0;
}

std::vector<std::pair<std::string, GgufValue>> model_metadata(const ModelConfig& c, const GgufExportOptions& o) {
  const std::string a = gguf_architecture(c);
  const bool moe = a == "nemotron_h_moe";
  auto u32 = [](int64_t v) { return GgufValue::u32(static_cast<uint32_t>(v)); };
  std::vector<std::pair<std::string, GgufValue>> kv;
  auto add = [&](std::string k, GgufValue v) { kv.emplace_back(std::move(k), std::move(v)); };
  add("general.architecture", GgufValue::string(a));
  add("general.type", GgufValue::string("model"));
  add("general.name", GgufValue::string(o.name));
  add("general.file_type", GgufValue::u32(file_type(o.preset)));
  if (o.preset != GgufPreset::F32 && o.preset != GgufPreset::F16 && o.preset != GgufPreset::BF16) {
    add("general.quantization_version", GgufValue::u32(2));
  }
  const size_t L = c.layers.size();
  std::vector<int32_t> ff(L, 0), hkv(L, 0);
  for (size_t l = 0; l < L; ++l) {
    if (c.layers[l] == LayerKind::Mlp) ff[l] = static_cast<int32_t>(c.mlp_width(l));
    if (c.layers[l] == LayerKind::Moe) ff[l] = static_cast<int32_t>(c.moe_intermediate_size);
    if (c.layers[l] == LayerKind::Attention) hkv[l] = static_cast<int32_t>(c.num_key_value_heads);
  }
  add(a + ".vocab_size", u32(c.vocab_size));
  add(a + ".block_count", u32(static_cast<int64_t>(L)));
  add(a + ".context_length", u32(int64_t{1} << 20));  // placeholder, as the converter writes: no RoPE
  add(a + ".embedding_length", u32(c.hidden_size));
  add(a + ".feed_forward_length", GgufValue::i32_array(ff));
  add(a + ".attention.head_count", u32(c.num_attention_heads));
  add(a + ".attention.head_count_kv", GgufValue::i32_array(hkv));
  add(a + ".attention.key_length", u32(c.head_dim));
  add(a + ".attention.value_length", u32(c.head_dim));
  add(a + ".attention.layer_norm_epsilon", GgufValue::f32(static_cast<float>(c.layer_norm_epsilon)));
  add(a + ".attention.layer_norm_rms_epsilon", GgufValue::f32(static_cast<float>(c.layer_norm_epsilon)));
  add(a + ".rope.scaling.finetuned", GgufValue::boolean(false));
  add(a + ".rope.dimension_count", u32(c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0));
  add(a + ".ssm.conv_kernel", u32(c.conv_kernel));
  add(a + ".ssm.state_size", u32(c.ssm_state_size));
  add(a + ".ssm.group_count", u32(c.n_groups));
  add(a + ".ssm.inner_size", u32(c.d_inner()));
  add(a + ".ssm.time_step_rank", u32(c.mamba_num_heads));
  if (moe) {
    add(a + ".expert_count", u32(c.n_routed_experts));
    add(a + ".expert_used_count", u32(c.num_experts_per_tok));
    add(a + ".expert_feed_forward_length", u32(c.moe_intermediate_size));
    add(a + ".expert_shared_feed_forward_length", u32(c.moe_shared_expert_intermediate_size));
    add(a + ".expert_shared_count", u32(c.n_shared_experts));
    add(a + ".expert_weights_norm", GgufValue::boolean(c.norm_topk_prob));
    add(a + ".expert_weights_scale", GgufValue::f32(static_cast<float>(c.routed_scaling_factor)));
    add(a + ".expert_group_count", u32(c.n_group));
    add(a + ".expert_group_used_count", u32(c.topk_group));
    if (c.moe_latent_size > 0) add(a + ".moe_latent_size", u32(c.moe_latent_size));
  }
  return kv;
}

// Converts, quantizes and writes one tensor in blocks of rows; the rows of a block are split across threads.
Status write_tensor(GgufWriter& wr, const OutTensor& t, ThreadPool& pool) {
  const int64_t cols = t.ne[0], n = t.n_rows();
  NT_ASSIGN_OR_RETURN(size_t rb, ggml_row_size(t.type, cols));
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(n, (int64_t{16} << 20) / std::max<int64_t>(1, cols * 4)));
  std::vector<float> f(static_cast<size_t>(block * cols));
  std::vector<uint8_t> q(static_cast<size_t>(block) * rb);
  std::vector<Status> errors(static_cast<size_t>(pool.size()));
  for (int64_t r0 = 0; r0 < n; r0 += block) {
    const int64_t cnt = std::min(block, n - r0);
    pool.parallel_for(cnt, [&](int64_t b, int64_t e, int th) {
      t.rows(r0 + b, e - b, f.data() + b * cols);
      for (int64_t r = b; r < e; ++r) {
        Status s = quantize_row(t.type, f.data() + r * cols, q.data() + static_cast<size_t>(r) * rb, cols);
        if (!s.is_ok()) {
          errors[static_cast<size_t>(th)] = s.with_context(cat("tensor '", t.name, "' row ", r0 + r));
          return;
        }
      }
    });
    for (const Status& s : errors) NT_RETURN_IF_ERROR(s);
    NT_RETURN_IF_ERROR(wr.write_tensor_data(q.data(), static_cast<size_t>(cnt) * rb));
  }
  return Status::ok();
}

}  // namespace

bool gguf_preset_from_name(std::string_view name, GgufPreset* out) {
  static const std::pair<std::string_view, GgufPreset> kNames[] = {
      {"f32", GgufPreset::F32}, {"f16", GgufPreset::F16}, {"bf16", GgufPreset::BF16}, {"q8_0", GgufPreset::Q8_0},
      {"q4_0", GgufPreset::Q4_0}, {"q4_k_m", GgufPreset::Q4_K_M}, {"q6_k", GgufPreset::Q6_K}};
  std::string lower(name);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto& [n, p] : kNames) {
    if (n == lower) { *out = p; return true; }
  }
  return false;
}

std::string_view gguf_preset_name(GgufPreset p) {
  switch (p) {
    case GgufPreset::F32: return "f32";
    case GgufPreset::F16: return "f16";
    case GgufPreset::BF16: return "bf16";
    case GgufPreset::Q8_0: return "q8_0";
    case GgufPreset::Q4_0: return "q4_0";
    case GgufPreset::Q4_K_M: return "q4_k_m";
    case GgufPreset::Q6_K: return "q6_k";
  }
  return "";
}

std::string gguf_architecture(const ModelConfig& c) {
  return c.count(LayerKind::Moe) > 0 ? "nemotron_h_moe" : "nemotron_h";
}

Status export_gguf(const std::string& path, const ModelConfig& c, const ModelWeights& w, const GgufExportOptions& o) {
  if (c.count(LayerKind::Attention) > 0 && c.head_dim % 2 != 0) {
    return Status::error(cat("head_dim ", c.head_dim, " is odd: llama.cpp's Q/K row layout needs an even head size"));
  }
  Planner planner(c, w, o.rows);
  std::vector<OutTensor> ts = planner.plan();
  auto owned = planner.take_owned();
  assign_types(ts, o.preset, c.count(LayerKind::Moe) > 0 ? c.n_routed_experts : 0);
  NT_ASSIGN_OR_RETURN(std::unique_ptr<GgufWriter> wr, GgufWriter::create(path));
  for (const auto& [k, v] : model_metadata(c, o)) NT_RETURN_IF_ERROR(wr->add(k, v));
  for (const auto& [k, v] : o.extra) NT_RETURN_IF_ERROR(wr->add(k, v));
  // llama.cpp refuses a file without tokenizer.ggml.model; "none" makes it load with vocab_size dummy
  // tokens (ids in, logits out), which is all a checkpoint without tokenizer.json can offer.
  const bool has_tokenizer = std::any_of(o.extra.begin(), o.extra.end(),
                                         [](const auto& e) { return e.first == "tokenizer.ggml.model"; });
  if (!has_tokenizer) NT_RETURN_IF_ERROR(wr->add("tokenizer.ggml.model", GgufValue::string("none")));
  for (const auto& t : ts) NT_RETURN_IF_ERROR(wr->add_tensor(t.name, t.type, t.ne));
  ThreadPool pool(o.threads);
  for (const auto& t : ts) NT_RETURN_IF_ERROR(write_tensor(*wr, t, pool));
  return wr->finish();
}

}  // namespace nt
