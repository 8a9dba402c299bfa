// `nemotron synth` to a Hugging Face directory: for every ModelOpt type the streamed checkpoint equals, tensor for
// tensor and byte for byte, what `nemotron quantize --type` writes from the bf16 synth of the same seed, and what a
// whole-tensor quantizer written here (the exporter's recipe before it was streamed) computes from the bf16
// weights; both load and give identical logits. The bf16 / f32 directories hold the same weights as the GGUF synth
// of the same seed, shard as asked, and replace an earlier checkpoint in the same directory.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>
#include <set>
#include <tuple>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf_synth.h"
#include "formats/hf_synth.h"
#include "formats/safetensors.h"
#include "model/hybrid_lm.h"
#include "ops/linear.h"
#include "quant/modelopt.h"
#include "quant/modelopt_export.h"
#include "test_util.h"
#include "model/model_test_util.h"

namespace nt {
namespace {

std::string config_path(const std::string& name) { return test::source_dir() + "/configs/" + name + ".json"; }

ModelConfig shipped_config(const std::string& name, double scale) {
  auto text = read_text_file(config_path(name));
  EXPECT_TRUE(text.is_ok());
  auto c = parse_model_config(*text, name);
  EXPECT_TRUE(c.is_ok()) << c.status().message();
  return shrink_config(*c, scale);
}

using test::logits_of;

std::string bytes_of(const TensorView& t) { return std::string(reinterpret_cast<const char*>(t.data), t.nbytes); }

Json json_without_producer(const std::string& path) {
  auto j = parse_json(test::read_file(path), path);
  EXPECT_TRUE(j.is_ok()) << path;
  Json out = *j;
  out.erase("producer");
  if (out.contains("quantization_config")) out["quantization_config"].erase("producer");
  return out;
}

// The whole-tensor quantizer: every value of the weight at once, as the exporter computed it before streaming.
struct Reference {
  std::vector<uint8_t> weight, block_scale;
  std::vector<float> scale;  // FP8: [1] or [out]; NVFP4: weight_scale_2 [1]
};

Reference reference_quantize(const std::vector<float>& w, int64_t out, int64_t in, ModelOptAlgo algo) {
  auto amax = [](const float* x, int64_t n) {
    float m = 0;
    for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
    return m;
  };
  auto usable = [](float s) { return s > 0 && std::isfinite(s) ? s : 1.0f; };
  Reference r;
  if (!modelopt_algo_is_nvfp4(algo)) {
    const bool per_channel = algo == ModelOptAlgo::Fp8PerChannel;
    const float all = amax(w.data(), out * in);
    for (int64_t o = 0; o < out; ++o) {
      const float s = usable((per_channel ? amax(&w[static_cast<size_t>(o * in)], in) : all) / 448.0f);
      if (per_channel || o == 0) r.scale.push_back(s);
      for (int64_t i = 0; i < in; ++i) r.weight.push_back(f32_to_e4m3(w[static_cast<size_t>(o * in + i)] / s));
    }
    return r;
  }
  const float s2 = usable(amax(w.data(), out * in) / (6.0f * 448.0f));
  r.scale = {s2};
  r.weight.assign(static_cast<size_t>(out * in / 2), 0);
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t b = 0; b < in / 16; ++b) {
      const float* x = &w[static_cast<size_t>(o * in + b * 16)];
      const uint8_t bs = f32_to_e4m3(amax(x, 16) / 6.0f / s2);
      r.block_scale.push_back(bs);
      const float denom = (e4m3_to_f32(bs) > 0 ? e4m3_to_f32(bs) : 1.0f) * s2;
      for (int j = 0; j < 16; ++j) {
        const uint8_t code = f32_to_e2m1(x[j] / denom);
        r.weight[static_cast<size_t>((o * in + b * 16 + j) / 2)] |= static_cast<uint8_t>((j & 1) ? code << 4 : code);
      }
    }
  }
  return r;
}

std::string as_bytes(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }

// Every quantized weight of `q` equals the reference quantization of the same weight in the BF16 store `src`.
int check_against_reference(const TensorStore& q, const TensorStore& src, ModelOptAlgo algo) {
  int n = 0;
  for (const auto& [name, t] : q.tensors()) {
    if (!ends_with(name, ".weight") || (t.dtype != DType::F8_E4M3 && t.dtype != DType::U8)) continue;
    const std::string m = name.substr(0, name.size() - 7);
    const TensorView* s = src.find(name);
    if (s == nullptr) { ADD_FAILURE() << name << " is not in the bf16 checkpoint"; continue; }
    EXPECT_EQ(s->dtype, DType::BF16) << name;
    std::vector<float> w(static_cast<size_t>(s->numel()));
    convert_rows(*s, 0, s->dim(0), w.data());
    const Reference r = reference_quantize(w, s->dim(0), s->dim(1), algo);
    EXPECT_EQ(bytes_of(t), as_bytes(r.weight.data(), r.weight.size())) << name;
    const TensorView* ws = q.find(m + ".weight_scale");
    if (ws == nullptr) { ADD_FAILURE() << name << ": no weight_scale"; continue; }
    if (modelopt_algo_is_nvfp4(algo)) {
      EXPECT_EQ(bytes_of(*ws), as_bytes(r.block_scale.data(), r.block_scale.size())) << name;
      const TensorView* ws2 = q.find(m + ".weight_scale_2");
      EXPECT_TRUE(ws2 && bytes_of(*ws2) == as_bytes(r.scale.data(), 4)) << name;
    } else {
      EXPECT_EQ(bytes_of(*ws), as_bytes(r.scale.data(), r.scale.size() * 4)) << name;
    }
    const bool has_input = algo == ModelOptAlgo::Fp8 || algo == ModelOptAlgo::Nvfp4;
    const float one = 1.0f;
    const TensorView* is = q.find(m + ".input_scale");
    EXPECT_EQ(is != nullptr, has_input) << name;
    if (is) {
      EXPECT_EQ(bytes_of(*is), as_bytes(&one, 4)) << name;
    }
    ++n;
  }
  return n;
}

using Case = std::tuple<const char*, const char*>;  // type, shipped config
class HfSynthModelOpt : public ::testing::TestWithParam<Case> {};

// The 8B shape (Mamba / attention / MLP) at scale 1/32 and the 30B-A3B shape (MoE with 6 routed experts and a
// shared expert) at scale 1/64. The synth is sharded at 1 MB and quantizes on 3 threads; quantize writes one file.
TEST_P(HfSynthModelOpt, EqualsQuantizeOfTheBf16SynthAndTheWholeTensorReference) {
  const auto [type, config] = GetParam();
  const double scale = std::string(config) == "Nemotron-H-8B" ? 1.0 / 32 : 1.0 / 64;
  ModelOptAlgo algo;
  ASSERT_TRUE(modelopt_algo_from_type(type, &algo));
  test::TempDir tmp;
  const std::string sc = cat(scale);
  auto bf16 = test::run_cli({"synth", "--config", config_path(config), "--scale", sc, "--type", "bf16", "--seed", "5", "--out", tmp.file("bf16")});
  ASSERT_EQ(bf16.exit_code, 0) << bf16.err;
  auto q = test::run_cli({"quantize", "-m", tmp.file("bf16"), "--type", type, "--out", tmp.file("q")});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto s = test::run_cli({"synth", "--config", config_path(config), "--scale", sc, "--type", type, "--seed", "5", "--threads", "3",
                          "--max-shard-mb", "1", "--out", tmp.file("s")});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_TRUE(file_exists(tmp.file("s/model.safetensors.index.json")));
  EXPECT_TRUE(file_exists(tmp.file("q/model.safetensors")));

  auto ss = TensorStore::open(tmp.file("s"));
  auto qs = TensorStore::open(tmp.file("q"));
  auto bs = TensorStore::open(tmp.file("bf16"));
  ASSERT_TRUE(ss.is_ok() && qs.is_ok() && bs.is_ok()) << ss.status().message();
  ASSERT_EQ(ss->tensors().size(), qs->tensors().size());
  for (const auto& [name, t] : qs->tensors()) {
    const TensorView* u = ss->find(name);
    ASSERT_NE(u, nullptr) << name;
    EXPECT_EQ(u->dtype, t.dtype) << name;
    EXPECT_EQ(u->shape, t.shape) << name;
    EXPECT_TRUE(bytes_of(*u) == bytes_of(t)) << name;
  }
  EXPECT_EQ(json_without_producer(tmp.file("s/config.json")), json_without_producer(tmp.file("q/config.json")));
  EXPECT_EQ(json_without_producer(tmp.file("s/hf_quant_config.json")), json_without_producer(tmp.file("q/hf_quant_config.json")));
  EXPECT_GT(check_against_reference(*ss, *bs, algo), 20);

  auto a = HybridLM::load(tmp.file("s"));
  auto b = HybridLM::load(tmp.file("q"));
  ASSERT_TRUE(a.is_ok() && b.is_ok()) << a.status().message();
  EXPECT_EQ((*a)->config().quant.algo, algo);
  const std::vector<int32_t> tokens = {1, 17, 99, 3, 640, 127, 0, 42};
  const std::vector<float> la = logits_of(**a, tokens);
  EXPECT_EQ(la, logits_of(**b, tokens));
  for (float v : la) ASSERT_TRUE(std::isfinite(v));
}

INSTANTIATE_TEST_SUITE_P(Types, HfSynthModelOpt,
                         ::testing::Combine(::testing::Values("fp8", "fp8_per_channel", "nvfp4", "w4a16_nvfp4"),
                                            ::testing::Values("Nemotron-H-8B", "NVIDIA-Nemotron-3-Nano-30B-A3B")),
                         [](const auto& info) {
                           std::string n = cat(std::get<0>(info.param), "_", std::get<1>(info.param));
                           std::replace_if(n.begin(), n.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
                           return n;
                         });

// One seed, one model: the F32 Hugging Face directory holds exactly the GGUF synth's matrices.
TEST(HfSynth, SameWeightsAsTheGgufSynth) {
  const ModelConfig c = shipped_config("NVIDIA-Nemotron-3-Nano-30B-A3B", 1.0 / 64);
  test::TempDir tmp;
  ASSERT_TRUE(synth_gguf(tmp.file("m.gguf"), c, GgufPreset::F32, 9).is_ok());
  HfSynthOptions o;
  o.dtype = DType::F32;
  o.seed = 9;
  auto st = synth_hf(tmp.file("hf"), c, o);
  ASSERT_TRUE(st.is_ok()) << st.status().message();
  EXPECT_EQ(st->quantized, 0);
  auto g = HybridLM::load(tmp.file("m.gguf"));
  auto h = HybridLM::load(tmp.file("hf"));
  ASSERT_TRUE(g.is_ok() && h.is_ok()) << h.status().message();
  std::vector<const Linear*> lg, lh;
  for_each_linear(const_cast<ModelWeights&>((*g)->weights()), [&](Linear& l) { lg.push_back(&l); });
  for_each_linear(const_cast<ModelWeights&>((*h)->weights()), [&](Linear& l) { lh.push_back(&l); });
  ASSERT_EQ(lg.size(), lh.size());
  ASSERT_GT(lg.size(), 100u);
  for (size_t i = 0; i < lg.size(); ++i) {
    const TensorView &a = lg[i]->w, &b = lh[i]->w;
    ASSERT_EQ(a.shape, b.shape) << b.name;
    std::vector<float> x(static_cast<size_t>(a.numel())), y(x.size());
    convert_rows(a, 0, a.dim(0), x.data());
    convert_rows(b, 0, b.dim(0), y.data());
    EXPECT_EQ(x, y) << b.name;
  }
  // A = -exp(A_log) in the directory: equal to rounding.
  const auto& ag = (*g)->weights().layers[0].mamba.A;
  const auto& ah = (*h)->weights().layers[0].mamba.A;
  ASSERT_EQ(ag.size(), ah.size());
  for (size_t i = 0; i < ag.size(); ++i) EXPECT_NEAR(ag[i], ah[i], 1e-5 * std::fabs(ag[i]));
}

// Shards: none above the limit unless one tensor alone is larger; the index lists every tensor once and its
// total_size; rewriting the directory as one file removes the shards and the index, and the model is the same.
TEST(HfSynth, ShardsAndRewrites) {
  test::TempDir tmp;
  const std::string dir = tmp.file("m");
  auto w = test::run_cli({"synth", "--config", config_path("Nemotron-H-8B"), "--scale", "0.03125", "--type", "nvfp4",
                          "--max-shard-mb", "1", "--out", dir});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  auto index = parse_json(test::read_file(dir + "/model.safetensors.index.json"), "index");
  ASSERT_TRUE(index.is_ok());
  std::set<std::string> shards;
  uint64_t total = 0;
  for (const auto& [name, file] : (*index)["weight_map"].items()) shards.insert(file.get<std::string>());
  ASSERT_GT(shards.size(), 2u);
  const std::regex pattern("model-[0-9]{5}-of-[0-9]{5}\\.safetensors");
  for (const auto& f : shards) {
    EXPECT_TRUE(std::regex_match(f, pattern)) << f;
    char suffix[40];
    std::snprintf(suffix, sizeof suffix, "-of-%05zu.safetensors", shards.size());
    EXPECT_TRUE(ends_with(f, suffix)) << f;
    auto one = TensorStore::open(dir + "/" + f);
    ASSERT_TRUE(one.is_ok()) << f;
    uint64_t bytes = 0;
    for (const auto& [name, t] : one->tensors()) bytes += t.nbytes;
    total += bytes;
    if (one->tensors().size() > 1) {
      EXPECT_LE(bytes, 1'000'000u) << f;
    }
  }
  EXPECT_EQ((*index)["metadata"]["total_size"].get<uint64_t>(), total);
  auto sharded = HybridLM::load(dir);
  ASSERT_TRUE(sharded.is_ok()) << sharded.status().message();
  const std::vector<int32_t> tokens = {3, 9, 27, 81};
  const std::vector<float> ref = logits_of(**sharded, tokens);

  auto again = test::run_cli({"synth", "--config", config_path("Nemotron-H-8B"), "--scale", "0.03125", "--type", "nvfp4", "--out", dir});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string f = e.path().filename().string();
    EXPECT_TRUE(f == "model.safetensors" || f == "config.json" || f == "hf_quant_config.json") << f;
  }
  auto single = HybridLM::load(dir);
  ASSERT_TRUE(single.is_ok()) << single.status().message();
  EXPECT_EQ(logits_of(**single, tokens), ref);

  // bf16 over the ModelOpt directory: no hf_quant_config.json left to make it look quantized.
  auto plain = test::run_cli({"synth", "--config", config_path("Nemotron-H-8B"), "--scale", "0.03125", "--type", "bf16", "--out", dir});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(file_exists(dir + "/hf_quant_config.json"));
  auto b = HybridLM::load(dir);
  ASSERT_TRUE(b.is_ok()) << b.status().message();
  EXPECT_FALSE((*b)->config().quant.enabled());
}

}  // namespace
}  // namespace nt
