// `nemotron quantize --type fp8|fp8_per_channel|nvfp4|w4a16_nvfp4` round trip: the written ModelOpt checkpoint
// loads, excluded modules keep the source dtype, every quantized weight is within its format's rounding bound of
// the source weight, the logits stay close to the source model's, and `nemotron info` reports the types.
// (tests/quant/modelopt.cmake also runs the independent Python reference on a quantize output.)
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/strings.h"
#include "model/hybrid_lm.h"
#include "ops/linear.h"
#include "quant/modelopt.h"
#include "quant/modelopt_export.h"
#include "test_util.h"
#include "model/model_test_util.h"

namespace nt {
namespace {

std::map<std::string, const Linear*> linears(const ModelWeights& w) {
  std::map<std::string, const Linear*> m;
  auto add = [&](const Linear& l) { if (!l.w.name.empty()) m[l.w.name] = &l; };
  add(w.lm_head);
  for (const auto& L : w.layers) {
    add(L.mamba.in_proj); add(L.mamba.out_proj);
    add(L.attn.q_proj); add(L.attn.k_proj); add(L.attn.v_proj); add(L.attn.o_proj);
    add(L.mlp.up_proj); add(L.mlp.down_proj);
    for (const auto& e : L.moe.experts) { add(e.up_proj); add(e.down_proj); }
    add(L.moe.shared.up_proj); add(L.moe.shared.down_proj);
  }
  return m;
}

std::vector<float> rows(const TensorView& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  convert_rows(t, 0, t.dim(0), out.data());
  return out;
}

using test::logits_of;

double relative_rms(const std::vector<float>& ref, const std::vector<float>& x) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) { num += (ref[i] - x[i]) * (ref[i] - x[i]); den += ref[i] * ref[i]; }
  return std::sqrt(num / den);
}

struct Expect {
  const char* type;
  ModelOptAlgo algo;
  const char* type_name;
  double max_rel_rms;  // logits vs the source model (dense_f32)
};

class QuantizeRoundTrip : public ::testing::TestWithParam<Expect> {};

// moe_f32: `MEM*E`, F32. Layer 3 is attention, layer 2 the Mamba layer feeding it: both excluded; layer 0 Mamba,
// the experts and the shared expert up_proj are quantized. The shared expert's down_proj has 24 inputs, not a
// multiple of 16: NVFP4 keeps it in F32.
TEST_P(QuantizeRoundTrip, MoeModel) {
  const Expect e = GetParam();
  const std::string src = test::fixtures_dir() + "/moe_f32";
  test::TempDir tmp;
  const std::string out = tmp.file("q");
  auto r = test::run_cli({"quantize", "-m", src, "--type", e.type, "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out + "/hf_quant_config.json"));
  auto cfg = parse_json(test::read_file(out + "/config.json"), "config.json");
  ASSERT_TRUE(cfg.is_ok());
  EXPECT_EQ((*cfg)["quantization_config"]["quant_method"], "modelopt");
  EXPECT_EQ((*cfg)["quantization_config"]["quant_algo"], std::string(modelopt_algo_name(e.algo)));

  auto a = HybridLM::load(src);
  auto b = HybridLM::load(out);
  ASSERT_TRUE(a.is_ok() && b.is_ok()) << b.status().message();
  EXPECT_EQ((*b)->config().quant.algo, e.algo);
  const auto la = linears((*a)->weights()), lb = linears((*b)->weights());
  ASSERT_EQ(la.size(), lb.size());
  const bool nvfp4 = modelopt_algo_is_nvfp4(e.algo);
  int n_quant = 0;
  for (const auto& [name, l] : lb) {
    const TensorView& t = l->w;
    const bool excluded = name == "lm_head.weight" || starts_with(name, "backbone.layers.2.") || starts_with(name, "backbone.layers.3.") ||
                          (nvfp4 && ends_with(name, "shared_experts.down_proj.weight"));
    if (excluded) {
      EXPECT_EQ(t.type_name(), "F32") << name;
      EXPECT_EQ(rows(t), rows(la.at(name)->w)) << name;  // kept bit for bit
      continue;
    }
    ++n_quant;
    EXPECT_EQ(t.type_name(), e.type_name) << name;
    const std::vector<float> x = rows(la.at(name)->w), q = rows(t);
    const int64_t in = t.dim(1);
    int bad = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const int64_t o = static_cast<int64_t>(i) / in, col = static_cast<int64_t>(i) % in;
      double bound;
      if (nvfp4) {  // half the widest E2M1 gap (4 -> 6) in units of the block scale, plus saturation slack
        bound = 1.0 * e4m3_to_f32(t.wscale[o * (in / 16) + col / 16]) * t.wscale2 * 1.0001;
      } else {      // E4M3: 2^-4 relative for normals, 2^-10 of the scale for subnormals
        float s = t.wscale2;
        if (t.wscale) std::memcpy(&s, t.wscale + 4 * o, 4);
        bound = (std::fabs(x[i]) * 0.0625 + s * 0.0009765625) * 1.0001;
      }
      bad += std::fabs(static_cast<double>(q[i]) - x[i]) > bound;
    }
    EXPECT_EQ(bad, 0) << name;
  }
  EXPECT_GT(n_quant, 10);

  // Only sanity-bounded here: a changed weight flips expert selections of this tiny random MoE, which moves the
  // logits far more than the weight error (DenseModel below bounds the logit change where nothing is routed).
  const std::vector<int32_t> tokens = {5, 17, 99, 3, 64, 127, 0, 42, 8, 77, 31};
  const double rel = relative_rms(logits_of(**a, tokens), logits_of(**b, tokens));
  std::printf("moe_f32 %s: relative RMS logit change vs F32 %.4f\n", e.type, rel);
  std::fflush(stdout);
  EXPECT_GT(rel, 0.0);
  EXPECT_LT(rel, 1.0);

  auto info = test::run_cli({"info", "-m", out});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find(cat("quantization:     ModelOpt ", modelopt_algo_name(e.algo))), std::string::npos) << info.out;
  EXPECT_NE(info.out.find(cat("moe.experts.up_proj ", e.type_name, " x16")), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("lm_head F32 x1"), std::string::npos) << info.out;
}

// dense_f32 (`M*-M-*-`): both Mamba layers feed an attention layer, so the MLPs are what gets quantized.
TEST_P(QuantizeRoundTrip, DenseModelLogitsStayClose) {
  const Expect e = GetParam();
  const std::string src = test::fixtures_dir() + "/dense_f32";
  test::TempDir tmp;
  auto r = test::run_cli({"quantize", "-m", src, "--type", e.type, "--out", tmp.file("q")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = HybridLM::load(src);
  auto b = HybridLM::load(tmp.file("q"));
  ASSERT_TRUE(a.is_ok() && b.is_ok()) << b.status().message();
  int n_quant = 0;
  for (const auto& [name, l] : linears((*b)->weights())) {
    const bool mlp = name.find(".mixer.up_proj.") != std::string::npos || name.find(".mixer.down_proj.") != std::string::npos;
    EXPECT_EQ(l->w.type_name(), mlp ? e.type_name : "F32") << name;
    n_quant += mlp;
  }
  EXPECT_EQ(n_quant, 6);
  const std::vector<int32_t> tokens = {5, 17, 99, 3, 64, 255, 0, 42, 8, 77, 31, 200, 128};
  const double rel = relative_rms(logits_of(**a, tokens), logits_of(**b, tokens));
  std::printf("dense_f32 %s: relative RMS logit change vs F32 %.4f\n", e.type, rel);
  EXPECT_GT(rel, 0.0);
  EXPECT_LT(rel, e.max_rel_rms);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantizeRoundTrip,
                         ::testing::Values(Expect{"fp8", ModelOptAlgo::Fp8, "FP8_E4M3", 0.06},
                                           Expect{"fp8_per_channel", ModelOptAlgo::Fp8PerChannel, "FP8_E4M3/channel", 0.06},
                                           Expect{"nvfp4", ModelOptAlgo::Nvfp4, "NVFP4", 0.25},
                                           Expect{"w4a16_nvfp4", ModelOptAlgo::W4A16Nvfp4, "NVFP4", 0.25}),
                         [](const auto& info) { return std::string(info.param.type); });

TEST(QuantizeModelOpt, DefaultExclusionsFollowTheReleases) {
  ModelConfig c;
  for (char ch : std::string("MEMEM*EMEM*")) {
    c.layers.push_back(ch == 'M' ? LayerKind::Mamba : ch == 'E' ? LayerKind::Moe : LayerKind::Attention);
  }
  const auto ex = modelopt_default_exclude(c, "backbone.");
  const std::vector<std::string> want = {"lm_head", "*mixer.conv1d*", "*mixer.gate", "backbone.layers.4.mixer.*", "backbone.layers.5.mixer.*",
                                         "backbone.layers.9.mixer.*", "backbone.layers.10.mixer.*"};
  EXPECT_EQ(ex, want);
}

TEST(QuantizeModelOpt, CopiesOtherFilesAndRefusesBadRequests) {
  test::TempDir tmp;
  const std::string src = tmp.file("src");
  std::filesystem::create_directories(src);
  for (const char* f : {"config.json", "model.safetensors"}) {
    std::filesystem::copy_file(test::fixtures_dir() + "/dense_bf16/" + f, src + "/" + f);
  }
  test::write_file(src + "/generation_config.json", "{\"eos_token_id\": 2}\n");
  auto r = test::run_cli({"quantize", "-m", src, "--type", "fp8", "--out", tmp.file("q")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(tmp.file("q/generation_config.json")), "{\"eos_token_id\": 2}\n");
  // Quantizing a quantized checkpoint, unknown types, writing over the source: exit 1 with one line.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"quantize", "-m", tmp.file("q"), "--type", "nvfp4", "--out", tmp.file("qq")},
           {"quantize", "-m", src, "--type", "fp4", "--out", tmp.file("x")},
           {"quantize", "-m", src, "--type", "nvfp4", "--out", src}}) {
    auto e = test::run_cli(args);
    EXPECT_EQ(e.exit_code, 1) << args[4];
    EXPECT_EQ(std::count(e.err.begin(), e.err.end(), '\n'), 1) << e.err;
  }
}

}  // namespace
}  // namespace nt
