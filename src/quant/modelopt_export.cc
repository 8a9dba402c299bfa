#include "quant/modelopt_export.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "ops/linear.h"

namespace nt {

namespace {

struct RoleLinear {
  std::string role;
  const Linear* l;
};

// Every Linear of the model with its role name.
std::vector<RoleLinear> all_linears(const ModelWeights& w) {
  std::vector<RoleLinear> out{{"lm_head", &w.lm_head}};
  for (const auto& L : w.layers) {
    switch (L.kind) {
      case LayerKind::Mamba:
        out.push_back({"mamba.in_proj", &L.mamba.in_proj});
        out.push_back({"mamba.out_proj", &L.mamba.out_proj});
        break;
      case LayerKind::Attention:
        out.push_back({"attention.q_proj", &L.attn.q_proj});
        out.push_back({"attention.k_proj", &L.attn.k_proj});
        out.push_back({"attention.v_proj", &L.attn.v_proj});
        out.push_back({"attention.o_proj", &L.attn.o_proj});
        break;
      case LayerKind::Mlp:
        out.push_back({"mlp.up_proj", &L.mlp.up_proj});
        out.push_back({"mlp.down_proj", &L.mlp.down_proj});
        break;
      case LayerKind::Moe:
        for (const auto& e : L.moe.experts) {
          out.push_back({"moe.experts.up_proj", &e.up_proj});
          out.push_back({"moe.experts.down_proj", &e.down_proj});
        }
        if (L.moe.has_shared) {
          out.push_back({"moe.shared.up_proj", &L.moe.shared.up_proj});
          out.push_back({"moe.shared.down_proj", &L.moe.shared.down_proj});
        }
        if (L.moe.has_latent) {
          out.push_back({"moe.fc1_latent_proj", &L.moe.fc1_latent});
          out.push_back({"moe.fc2_latent_proj", &L.moe.fc2_latent});
        }
        break;
    }
  }
  return out;
}

// A quantized weight's tensors, owned.
struct Quantized {
  std::vector<uint8_t> weight, block_scale;
  std::vector<float> scale;  // FP8: [1] or [out]; NVFP4: weight_scale_2 [1]
};

float amax(const float* x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

Quantized quantize_weight(const TensorView& t, ModelOptAlgo algo) {
  const int64_t out = t.dim(0), in = t.dim(1);
  std::vector<float> w(static_cast<size_t>(out * in));
  convert_rows(t, 0, out, w.data());
  Quantized q;
  if (!modelopt_algo_is_nvfp4(algo)) {
    q.weight.resize(w.size());
    const bool per_channel = algo == ModelOptAlgo::Fp8PerChannel;
    const float tensor_amax = per_channel ? 0.0f : amax(w.data(), out * in);
    for (int64_t o = 0; o < out; ++o) {
      const float* row = w.data() + o * in;
      float s = (per_channel ? amax(row, in) : tensor_amax) / 448.0f;
      if (!(s > 0.0f) || !std::isfinite(s)) s = 1.0f;
      if (per_channel || o == 0) q.scale.push_back(s);
      for (int64_t i = 0; i < in; ++i) q.weight[static_cast<size_t>(o * in + i)] = f32_to_e4m3(row[i] / s);
    }
    return q;
  }
  float s2 = amax(w.data(), out * in) / (6.0f * 448.0f);
  if (!(s2 > 0.0f) || !std::isfinite(s2)) s2 = 1.0f;
  q.scale = {s2};
  const int64_t nb = in / 16;
  q.weight.assign(static_cast<size_t>(out * in / 2), 0);
  q.block_scale.resize(static_cast<size_t>(out * nb));
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t b = 0; b < nb; ++b) {
      const float* x = w.data() + o * in + b * 16;
      const uint8_t bs = f32_to_e4m3(amax(x, 16) / 6.0f / s2);
      q.block_scale[static_cast<size_t>(o * nb + b)] = bs;
      const float v = e4m3_to_f32(bs);
      const float denom = (v > 0.0f ? v : 1.0f) * s2;
      for (int j = 0; j < 16; ++j) {
        const uint8_t code = f32_to_e2m1(x[j] / denom);
        q.weight[static_cast<size_t>((o * in + b * 16 + j) / 2)] |= static_cast<uint8_t>((j & 1) ? code << 4 : code);
      }
    }
  }
  return q;
}

Json quant_description(ModelOptAlgo algo, const std::vector<std::string>& exclude, bool hf_layout) {
  Json j = Json::object();
  if (!hf_layout) j["quant_method"] = "modelopt";
  j["quant_algo"] = std::string(modelopt_algo_name(algo));
  j["kv_cache_quant_algo"] = nullptr;
  if (modelopt_algo_is_nvfp4(algo)) j["group_size"] = 16;
  j[hf_layout ? "exclude_modules" : "ignore"] = exclude;
  return j;
}

Status write_text(const std::string& path, const std::string& text) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), std::fclose);
  if (!f || std::fwrite(text.data(), 1, text.size(), f.get()) != text.size() || std::fflush(f.get()) != 0) {
    return Status::error(cat("error writing ", path));
  }
  return Status::ok();
}

}  // namespace

bool modelopt_algo_from_type(const std::string& type, ModelOptAlgo* out) {
  static const std::map<std::string, ModelOptAlgo> kTypes = {
      {"fp8", ModelOptAlgo::Fp8}, {"fp8_per_channel", ModelOptAlgo::Fp8PerChannel},
      {"nvfp4", ModelOptAlgo::Nvfp4}, {"w4a16_nvfp4", ModelOptAlgo::W4A16Nvfp4}};
  auto it = kTypes.find(type);
  if (it == kTypes.end()) return false;
  *out = it->second;
  return true;
}

std::vector<std::string> modelopt_default_exclude(const ModelConfig& c, const std::string& prefix) {
  std::vector<std::string> ex = {"lm_head", "*mixer.conv1d*", "*mixer.gate"};
  std::set<size_t> layers;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    if (c.layers[i] != LayerKind::Attention) continue;
    layers.insert(i);
    for (size_t j = i; j-- > 0;) {  // the Mamba layer that feeds this attention layer
      if (c.layers[j] == LayerKind::Mamba) { layers.insert(j); break; }
    }
  }
  for (size_t i : layers) ex.push_back(cat(prefix, "layers.", i, ".mixer.*"));
  return ex;
}

Result<ModelOptExportStats> export_modelopt(const std::string& src_dir, const std::string& out_dir, ModelOptAlgo algo,
                                            const ModelConfig& c, const ModelWeights& w, const TensorStore& store) {
  namespace fs = std::filesystem;
  if (c.quant.enabled()) {
    return Status::error(cat(src_dir, " is already quantized (", modelopt_algo_name(c.quant.algo), "); quantize from a BF16/F16/F32 checkpoint"));
  }
  const std::string cfg_path = src_dir + "/config.json";
  if (!file_exists(cfg_path)) return Status::error(cat(src_dir, ": no config.json (expected a Hugging Face model directory)"));
  std::error_code ec;
  if (fs::exists(out_dir, ec) && fs::equivalent(out_dir, src_dir, ec)) {
    return Status::error(cat("--out ", out_dir, " is the source directory; choose a new directory"));
  }
  fs::create_directories(out_dir, ec);
  if (ec) return Status::error(cat("cannot create ", out_dir, ": ", ec.message()));

  ModelOptConfig qc;
  qc.algo = algo;
  qc.exclude = modelopt_default_exclude(c, w.prefix);
  ModelOptExportStats stats;
  // Weights to quantize, by tensor name.
  std::map<std::string, const TensorView*> targets;
  for (const auto& rl : all_linears(w)) {
    const TensorView& t = rl.l->w;
    if (rl.role == "lm_head" && t.data == w.embeddings.data) { stats.kept++; continue; }  // tied to the embeddings
    const bool named = ends_with(t.name, ".weight") && store.find(t.name) != nullptr;
    const std::string module = named ? t.name.substr(0, t.name.size() - 7) : "";
    const bool fits = !modelopt_algo_is_nvfp4(algo) || t.dim(1) % 16 == 0;
    if (!named || qc.excluded(module) || !fits || t.quantized()) { stats.kept++; continue; }
    targets[t.name] = &t;
  }

  std::deque<Quantized> owned;
  std::deque<float> scalars;
  std::vector<TensorToWrite> out;
  for (const auto& [name, t] : store.tensors()) {
    if (t.quantized()) return Status::error(cat("tensor '", name, "' is stored as ", t.type_name(), "; quantize from a safetensors checkpoint"));
    auto it = targets.find(name);
    if (it == targets.end()) {
      out.push_back({name, t.dtype, t.shape, t.data, t.nbytes});
      continue;
    }
    const TensorView& v = *it->second;
    const std::string module = name.substr(0, name.size() - 7);
    const int64_t o = v.dim(0), in = v.dim(1);
    Quantized& q = owned.emplace_back(quantize_weight(v, algo));
    stats.quantized++;
    if (modelopt_algo_is_nvfp4(algo)) {
      out.push_back({name, DType::U8, {o, in / 2}, q.weight.data(), q.weight.size()});
      out.push_back({module + ".weight_scale", DType::F8_E4M3, {o, in / 16}, q.block_scale.data(), q.block_scale.size()});
      out.push_back({module + ".weight_scale_2", DType::F32, {}, q.scale.data(), 4});
    } else {
      out.push_back({name, DType::F8_E4M3, {o, in}, q.weight.data(), q.weight.size()});
      if (algo == ModelOptAlgo::Fp8PerChannel) {
        out.push_back({module + ".weight_scale", DType::F32, {o}, q.scale.data(), q.scale.size() * 4});
      } else {
        out.push_back({module + ".weight_scale", DType::F32, {}, q.scale.data(), 4});
      }
    }
    if (algo == ModelOptAlgo::Fp8 || algo == ModelOptAlgo::Nvfp4) {
      scalars.push_back(1.0f);  // no activation calibration (see the header)
      out.push_back({module + ".input_scale", DType::F32, {}, &scalars.back(), 4});
    }
  }
  std::sort(out.begin(), out.end(), [](const TensorToWrite& a, const TensorToWrite& b) { return a.name < b.name; });
  NT_RETURN_IF_ERROR(write_safetensors(out_dir + "/model.safetensors", out, {{"format", "pt"}}));

  NT_ASSIGN_OR_RETURN(std::string text, read_text_file(cfg_path, size_t{16} << 20));
  NT_ASSIGN_OR_RETURN(Json cfg, parse_json(text, cfg_path));
  cfg["quantization_config"] = quant_description(algo, qc.exclude, false);
  cfg["quantization_config"]["producer"] = {{"name", "nemotron.cpp quantize"}};
  NT_RETURN_IF_ERROR(write_text(out_dir + "/config.json", cfg.dump(2) + "\n"));
  Json hf = {{"producer", {{"name", "nemotron.cpp quantize"}}}, {"quantization", quant_description(algo, qc.exclude, true)}};
  NT_RETURN_IF_ERROR(write_text(out_dir + "/hf_quant_config.json", hf.dump(2) + "\n"));

  // Tokenizer, generation config, chat template: copied as they are.
  for (const auto& e : fs::directory_iterator(src_dir, ec)) {
    const std::string fname = e.path().filename().string();
    if (!e.is_regular_file() || ends_with(fname, ".safetensors") || fname == "model.safetensors.index.json" ||
        fname == "config.json" || fname == "hf_quant_config.json") {
      continue;
    }
    fs::copy_file(e.path(), fs::path(out_dir) / fname, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::error(cat("cannot copy ", e.path().string(), " to ", out_dir, ": ", ec.message()));
  }
  return stats;
}

std::vector<std::string> describe_weight_types(const ModelWeights& w) {
  std::map<std::string, std::map<std::string, int64_t>> roles;  // role -> type -> count
  roles["embeddings"][w.embeddings.type_name()]++;
  for (const auto& rl : all_linears(w)) roles[rl.role][rl.l->w.type_name()]++;
  std::vector<std::string> lines;
  for (const auto& [role, types] : roles) {
    std::string line = role;
    bool first = true;
    for (const auto& [type, n] : types) {
      line += cat(first ? " " : ", ", type, " x", n);
      first = false;
    }
    lines.push_back(line);
  }
  return lines;
}

}  // namespace nt
