#include "quant/modelopt_export.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/safetensors_write.h"
#include "ops/linear.h"
#include "quant/modelopt_stream.h"

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

Json quant_description(ModelOptAlgo algo, const std::vector<std::string>& exclude, bool hf_layout) {
  Json j = Json::object();
  if (!hf_layout) j["quant_method"] = "modelopt";
  j["quant_algo"] = std::string(modelopt_algo_name(algo));
  j["kv_cache_quant_algo"] = nullptr;
  if (modelopt_algo_is_nvfp4(algo)) j["group_size"] = 16;
  j[hf_layout ? "exclude_modules" : "ignore"] = exclude;
  return j;
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

Status write_modelopt_configs(const std::string& out_dir, Json config, ModelOptAlgo algo,
                              const std::vector<std::string>& exclude, const std::string& producer) {
  config["quantization_config"] = quant_description(algo, exclude, false);
  config["quantization_config"]["producer"] = {{"name", producer}};
  NT_RETURN_IF_ERROR(write_text_file(out_dir + "/config.json", config.dump(2) + "\n"));
  Json hf = {{"producer", {{"name", producer}}}, {"quantization", quant_description(algo, exclude, true)}};
  return write_text_file(out_dir + "/hf_quant_config.json", hf.dump(2) + "\n");
}

Result<ModelOptExportStats> export_modelopt(const std::string& src_dir, const std::string& out_dir, ModelOptAlgo algo,
                                            const ModelConfig& c, const ModelWeights& w, const TensorStore& store,
                                            int threads) {
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

  ModelOptConfig qc;
  qc.algo = algo;
  qc.exclude = modelopt_default_exclude(c, w.prefix);
  ModelOptExportStats stats;
  // Weights to quantize, by tensor name.
  std::map<std::string, const TensorView*> targets;
  for (const auto& rl : all_linears(w)) {
    const TensorView& t = rl.l->w;
    if (rl.role == "lm_head" && t.data == w.embeddings.data) { stats.kept++; continue; }  // tied to the embeddings
    const bool named = store.find(t.name) != nullptr;  // stacked experts are slices named "<tensor>[e]"
    if (!named || t.quantized() || !modelopt_quantizes(qc, t.name, t.shape)) { stats.kept++; continue; }
    targets[t.name] = &t;
  }
  std::vector<SourceTensor> sources;
  for (const auto& [name, t] : store.tensors()) {
    if (t.quantized()) return Status::error(cat("tensor '", name, "' is stored as ", t.type_name(), "; quantize from a safetensors checkpoint"));
    SourceTensor s{name, t.dtype, t.shape, t.data, {}, false};
    if (auto it = targets.find(name); it != targets.end()) {
      const TensorView* v = it->second;
      s.raw = nullptr;
      s.rows = [v](int64_t row, int64_t count, float* out) { convert_rows(*v, row, count, out); };
      s.quantize = true;
      stats.quantized++;
    }
    sources.push_back(std::move(s));
  }
  NT_ASSIGN_OR_RETURN(std::vector<StreamedTensor> streams, modelopt_stream(std::move(sources), algo));
  ThreadPool pool(threads);
  NT_RETURN_IF_ERROR(write_safetensors_checkpoint(out_dir, streams, {}, pool));

  NT_ASSIGN_OR_RETURN(std::string text, read_text_file(cfg_path, size_t{16} << 20));
  NT_ASSIGN_OR_RETURN(Json cfg, parse_json(text, cfg_path));
  NT_RETURN_IF_ERROR(write_modelopt_configs(out_dir, std::move(cfg), algo, qc.exclude, "nemotron.cpp quantize"));

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
