// GGUF model files: written from every fixture by our writer and loaded back, the GGUF path must give the
// same logits as the safetensors path (F32: ≤ 1e-6; BF16 from the BF16 fixture: ≤ 1e-6); quantized files
// stay within the stated tolerances; layout conversions (Q/K head permutation, A = -exp(A_log), conv and
// norm reshapes, stacked experts) match llama.cpp's definitions; bad files give clear errors.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf_export.h"
#include "formats/gguf_model.h"
#include "formats/gguf_synth.h"
#include "model/hybrid_lm.h"
#include "ops/linear.h"
#include "test_util.h"
#include "model/model_test_util.h"

namespace nt {
namespace {

std::vector<int32_t> golden_tokens(const std::string& dir) {
  auto text = read_text_file(dir + "/golden.json");
  EXPECT_TRUE(text.is_ok());
  auto j = parse_json(*text, "golden.json");
  EXPECT_TRUE(j.is_ok());
  return (*j)["tokens"].get<std::vector<int32_t>>();
}

using test::logits_of;

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  float m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

// ||a - b|| / ||a - mean(a)||: the quantization error relative to the spread of the reference logits.
float relative_rms(const std::vector<float>& ref, const std::vector<float>& b) {
  double mean = 0, num = 0, den = 0;
  for (float v : ref) mean += v;
  mean /= static_cast<double>(ref.size());
  for (size_t i = 0; i < ref.size() && i < b.size(); ++i) {
    num += (double{ref[i]} - b[i]) * (double{ref[i]} - b[i]);
    den += (double{ref[i]} - mean) * (double{ref[i]} - mean);
  }
  return static_cast<float>(std::sqrt(num / std::max(den, 1e-30)));
}

std::unique_ptr<HybridLM> load_ok(const std::string& path) {
  auto m = HybridLM::load(path);
  EXPECT_TRUE(m.is_ok()) << m.status().message();
  return m.is_ok() ? std::move(m).value() : nullptr;
}

std::string write_gguf(const HybridLM& m, GgufPreset p, const std::string& path) {
  GgufExportOptions o;
  o.preset = p;
  Status s = export_gguf(path, m.config(), m.weights(), o);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return path;
}

// GGUF carries no chunk_size (the SSD chunk length only changes summation order), so a GGUF-loaded model uses
// the default 128. For a bit-exact comparison the safetensors side is loaded with the same chunk_size.
std::unique_ptr<HybridLM> load_with_default_chunk(const std::string& dir, const test::TempDir& tmp) {
  const std::string copy = tmp.path() + "/hf";
  std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
  auto cfg = *parse_json(test::read_file(copy + "/config.json"), "config.json");
  cfg.erase("mamba_chunk_size");
  cfg["chunk_size"] = 128;
  test::write_file(copy + "/config.json", cfg.dump());
  return load_ok(copy);
}

class GgufFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufFixtureTest, F32GgufGivesIdenticalLogits) {
  const std::string dir = test::fixtures_dir() + "/" + GetParam();
  auto hf = load_ok(dir);
  ASSERT_TRUE(hf);
  test::TempDir tmp;
  const std::string path = write_gguf(*hf, GgufPreset::F32, tmp.path() + "/m.gguf");
  auto gg = load_ok(path);
  ASSERT_TRUE(gg);
  EXPECT_EQ(gg->config().pattern(), hf->config().pattern());
  const auto tokens = golden_tokens(dir);
  auto same_chunk = load_with_default_chunk(dir, tmp);
  ASSERT_TRUE(same_chunk);
  if (GetParam().rfind("modelopt", 0) == 0) {
    // ModelOpt FP8 / NVFP4 weights have kernels of their own (exact codes decoded in registers, the row's constant
    // scale applied to the finished sum) while the F32 export runs the fp32 kernel on the dequantized values: the
    // same weights, summed in another order. Bit-identical on the exact reference route, within fp32 rounding on
    // the fast one.
    {
      ScopedLinearKernels exact(LinearKernels::kReference);
      EXPECT_EQ(max_abs_diff(logits_of(*same_chunk, tokens), logits_of(*gg, tokens)), 0.0f);
    }
    EXPECT_LE(max_abs_diff(logits_of(*same_chunk, tokens), logits_of(*gg, tokens)), 1e-5f);
  } else {
    EXPECT_EQ(max_abs_diff(logits_of(*same_chunk, tokens), logits_of(*gg, tokens)), 0.0f);  // bit-identical
  }
  EXPECT_LE(max_abs_diff(logits_of(*hf, tokens), logits_of(*gg, tokens)), 1e-5f);          // other chunking
}

// A quantized GGUF computes exactly what its dequantized weights compute: re-exporting the loaded quantized
// model as F32 (every row dequantized) and loading that gives bit-identical logits on the exact reference route
// of linear() (the fast route quantizes activations for integer dot products, so it is compared separately, within
// the same sanity bound as the weight quantization). This pins the block layouts, the load path and the
// quant-aware linear together. The error against the unquantized model is reported and only sanity-bounded: these
// tiny random models amplify weight noise, so no tight bound is principled here.
TEST_P(GgufFixtureTest, QuantizedGgufEqualsItsDequantizedWeights) {
  const std::string dir = test::fixtures_dir() + "/" + GetParam();
  test::TempDir tmp;
  auto hf = load_with_default_chunk(dir, tmp);
  ASSERT_TRUE(hf);
  const auto tokens = golden_tokens(dir);
  const auto ref = logits_of(*hf, tokens);
  float q8 = 0, q4 = 0;
  for (GgufPreset p : {GgufPreset::Q8_0, GgufPreset::Q6_K, GgufPreset::Q4_K_M, GgufPreset::Q4_0}) {
    const std::string name(gguf_preset_name(p));
    auto gq = load_ok(write_gguf(*hf, p, cat(tmp.path(), "/", name, ".gguf")));
    ASSERT_TRUE(gq);
    auto gd = load_ok(write_gguf(*gq, GgufPreset::F32, cat(tmp.path(), "/", name, "-dequant.gguf")));
    ASSERT_TRUE(gd);
    std::vector<float> lq, ld;
    {
      ScopedLinearKernels exact(LinearKernels::kReference);
      lq = logits_of(*gq, tokens);
      ld = logits_of(*gd, tokens);
    }
    EXPECT_EQ(max_abs_diff(lq, ld), 0.0f) << name;
    const float fast_rel = relative_rms(lq, logits_of(*gq, tokens));
    std::printf("%s %s: fast route vs exact route, relative RMS logit difference %.4f\n", GetParam().c_str(),
                name.c_str(), fast_rel);
    // MoE fixtures route each token to its top-k experts: a small activation change can flip a choice, a discrete
    // jump that these tiny random models amplify, so they get the loose sanity bound of the weight quantization.
    const bool moe = GetParam().rfind("moe", 0) == 0;
    EXPECT_LT(fast_rel, moe ? 0.5f : 0.05f) << name;
    const float rel = relative_rms(ref, lq);
    std::printf("%s %s: relative RMS logit error %.4f\n", GetParam().c_str(), name.c_str(), rel);
    EXPECT_GT(rel, 0.0f) << name << ": quantization should change the logits a little";
    EXPECT_LT(rel, 1.0f) << name;
    if (p == GgufPreset::Q8_0) q8 = rel;
    if (p == GgufPreset::Q4_0) q4 = rel;
  }
  EXPECT_LT(q8, 0.05f);  // 8-bit weights: a few percent at most
  EXPECT_LT(q8, q4);     // more bits, less error
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GgufFixtureTest, ::testing::ValuesIn(test::fixture_cases()));

TEST(GgufModel, Bf16GgufEqualsBf16Safetensors) {
  const std::string dir = test::fixtures_dir() + "/dense_bf16";
  auto hf = load_ok(dir);
  ASSERT_TRUE(hf);
  test::TempDir tmp;
  auto gg = load_ok(write_gguf(*hf, GgufPreset::BF16, tmp.path() + "/m.gguf"));
  ASSERT_TRUE(gg);
  EXPECT_EQ(gg->weights().layers[0].mamba.in_proj.w.dtype, DType::BF16);
  const auto tokens = golden_tokens(dir);
  auto same_chunk = load_with_default_chunk(dir, tmp);
  ASSERT_TRUE(same_chunk);
  EXPECT_EQ(max_abs_diff(logits_of(*same_chunk, tokens), logits_of(*gg, tokens)), 0.0f);  // bit-identical
}

// The file holds llama.cpp's layouts: checked against the definitions, not against our reader.
TEST(GgufModel, FileLayoutsFollowLlamaCpp) {
  const std::string dir = test::fixtures_dir() + "/dense_f32";
  auto hf = load_ok(dir);
  ASSERT_TRUE(hf);
  const ModelConfig& c = hf->config();
  test::TempDir tmp;
  const std::string path = write_gguf(*hf, GgufPreset::F32, tmp.path() + "/m.gguf");
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ(*f->get_string("general.architecture"), "nemotron_h");
  const int64_t d = c.head_dim, H = c.hidden_size;
  // attn_q row 2i+h of each head = HF row h·d/2+i (LlamaModel.permute).
  const size_t attn = 1;  // pattern M*-M-*-
  ASSERT_EQ(c.layers[attn], LayerKind::Attention);
  const TensorView& q = hf->weights().layers[attn].attn.q_proj.w;
  const GgufTensor* gq = f->find_tensor("blk.1.attn_q.weight");
  ASSERT_TRUE(gq);
  EXPECT_EQ(gq->ne, (std::vector<int64_t>{H, c.num_attention_heads * d}));
  std::vector<float> hf_row(static_cast<size_t>(H));
  for (int64_t head = 0; head < c.num_attention_heads; ++head) {
    for (int64_t i = 0; i < d / 2; ++i) {
      for (int64_t h = 0; h < 2; ++h) {
        convert_rows(q, head * d + h * (d / 2) + i, 1, hf_row.data());
        const float* g = reinterpret_cast<const float*>(gq->data) + (head * d + 2 * i + h) * H;
        ASSERT_EQ(std::memcmp(g, hf_row.data(), static_cast<size_t>(H) * 4), 0) << head << " " << i << " " << h;
      }
    }
  }
  // ssm_a = -exp(A_log) as {1, n_m}; ssm_norm {d_in/G, G}; conv {K, d_conv}.
  const GgufTensor* a = f->find_tensor("blk.0.ssm_a");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->ne, (std::vector<int64_t>{1, c.mamba_num_heads}));
  const TensorView* a_log = hf->store().find("backbone.layers.0.mixer.A_log");
  ASSERT_TRUE(a_log);
  std::vector<float> al(static_cast<size_t>(c.mamba_num_heads));
  convert_rows(*a_log, 0, 1, al.data());
  for (int64_t i = 0; i < c.mamba_num_heads; ++i) EXPECT_EQ(reinterpret_cast<const float*>(a->data)[i], -std::exp(al[static_cast<size_t>(i)]));
  EXPECT_EQ(f->find_tensor("blk.0.ssm_norm.weight")->ne, (std::vector<int64_t>{c.d_inner() / c.n_groups, c.n_groups}));
  EXPECT_EQ(f->find_tensor("blk.0.ssm_conv1d.weight")->ne, (std::vector<int64_t>{c.conv_kernel, c.d_conv()}));
  EXPECT_EQ(*f->get_int_array("nemotron_h.attention.head_count_kv"), (std::vector<int64_t>{0, 2, 0, 0, 0, 2, 0}));
  EXPECT_EQ(*f->get_int_array("nemotron_h.feed_forward_length"), (std::vector<int64_t>{0, 0, 96, 0, 96, 0, 96}));
  // Loaded back, per-head Q equals the HF rows (the permutation is undone, not just q·k-invariant).
  auto gg = load_ok(path);
  ASSERT_TRUE(gg);
  std::vector<float> back(static_cast<size_t>(H));
  for (int64_t r = 0; r < q.dim(0); ++r) {
    convert_rows(q, r, 1, hf_row.data());
    convert_rows(gg->weights().layers[attn].attn.q_proj.w, r, 1, back.data());
    ASSERT_EQ(hf_row, back) << r;
  }
}

TEST(GgufModel, Q4KMTypesFollowLlamaQuantizeRules) {
  // H = 64 rows are too short for K-quants: llama-quantize falls back (Q4_K → Q5_0, Q6_K → Q8_0).
  auto hf = load_ok(test::fixtures_dir() + "/dense_f32");
  ASSERT_TRUE(hf);
  test::TempDir tmp;
  auto f = GgufFile::open(write_gguf(*hf, GgufPreset::Q4_K_M, tmp.path() + "/m.gguf"));
  ASSERT_TRUE(f.is_ok());
  EXPECT_EQ(f->find_tensor("output.weight")->type, GgmlType::Q8_0);
  EXPECT_EQ(f->find_tensor("token_embd.weight")->type, GgmlType::Q5_0);
  EXPECT_EQ(f->find_tensor("blk.0.ssm_in.weight")->type, GgmlType::Q5_0);
  EXPECT_EQ(f->find_tensor("blk.0.ssm_conv1d.weight")->type, GgmlType::F32);
  EXPECT_EQ(f->find_tensor("blk.0.ssm_a")->type, GgmlType::F32);
  EXPECT_EQ(f->find_tensor("blk.0.ssm_norm.weight")->type, GgmlType::F32);
  // llama-quantize's use_more_bits(i, n) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2 in integer arithmetic;
  // with n = 2 attention layers it is false for i = 0 (layer 1: Q4_K → Q5_0) and true for i = 1 (layer 5:
  // Q6_K → Q8_0).
  EXPECT_EQ(f->find_tensor("blk.1.attn_v.weight")->type, GgmlType::Q5_0);
  EXPECT_EQ(f->find_tensor("blk.5.attn_v.weight")->type, GgmlType::Q8_0);
}

// Rewrites a GGUF file, optionally dropping a tensor or replacing a metadata value.
Status rewrite(const std::string& src, const std::string& dst, const std::string& drop_tensor,
               const std::string& key = "", const GgufValue* value = nullptr) {
  NT_ASSIGN_OR_RETURN(GgufFile f, GgufFile::open(src));
  NT_ASSIGN_OR_RETURN(auto w, GgufWriter::create(dst));
  for (const GgufKv& kv : f.kvs()) {
    if (kv.key == "general.alignment") continue;
    if (kv.key == key && value) { NT_RETURN_IF_ERROR(w->add(kv.key, *value)); continue; }
    NT_ASSIGN_OR_RETURN(GgufValue v, f.get_value(kv.key));
    NT_RETURN_IF_ERROR(w->add(kv.key, v));
  }
  for (const GgufTensor& t : f.tensors()) if (t.name != drop_tensor) NT_RETURN_IF_ERROR(w->add_tensor(t.name, t.type, t.ne));
  for (const GgufTensor& t : f.tensors()) if (t.name != drop_tensor) NT_RETURN_IF_ERROR(w->write_tensor_data(t.data, t.nbytes));
  return w->finish();
}

TEST(GgufModel, MetadataAndTensorsMustAgree) {
  auto hf = load_ok(test::fixtures_dir() + "/dense_f32");
  ASSERT_TRUE(hf);
  test::TempDir tmp;
  const std::string good = write_gguf(*hf, GgufPreset::F32, tmp.path() + "/good.gguf");
  const std::string bad = tmp.path() + "/bad.gguf";
  ASSERT_TRUE(rewrite(good, bad, "blk.1.attn_q.weight").is_ok());
  auto m = HybridLM::load(bad);
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("layer 1: expected the tensors of exactly one mixer"), std::string::npos) << m.status().message();
  EXPECT_NE(m.status().message().find("found none"), std::string::npos) << m.status().message();

  // head_count_kv all zero (a known bad converter output): the attention layer's tensors contradict it.
  const GgufValue zeros = GgufValue::i32_array({0, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(rewrite(good, bad, "", "nemotron_h.attention.head_count_kv", &zeros).is_ok());
  m = HybridLM::load(bad);
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("layer 1: metadata says mamba"), std::string::npos) << m.status().message();

  // A missing tensor the config needs.
  ASSERT_TRUE(rewrite(good, bad, "blk.0.ssm_d").is_ok());
  m = HybridLM::load(bad);
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("backbone.layers.0.mixer.D"), std::string::npos) << m.status().message();
}

TEST(GgufModel, UnsupportedTensorTypeIsNamed) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/q2k.gguf";
  {
    auto w = GgufWriter::create(path);
    ASSERT_TRUE(w.is_ok());
    ASSERT_TRUE((*w)->add("general.architecture", GgufValue::string("nemotron_h")).is_ok());
    ASSERT_TRUE((*w)->add_tensor("blk.0.ssm_in.weight", GgmlType::Q2_K, {256, 1}).is_ok());
    std::vector<uint8_t> zeros(ggml_type_traits(GgmlType::Q2_K).type_size, 0);
    ASSERT_TRUE((*w)->write_tensor_data(zeros.data(), zeros.size()).is_ok());
    ASSERT_TRUE((*w)->finish().is_ok());
  }
  auto m = HybridLM::load(path);
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("unsupported tensor type q2_K in tensor 'blk.0.ssm_in.weight'"), std::string::npos)
      << m.status().message();
}

TEST(GgufModel, OtherArchitecturesAreRejected) {
  // Written by real ggml; a valid GGUF but not a Nemotron model.
  auto m = HybridLM::load(test::source_dir() + "/tests/data/gguf/ggml_written.gguf");
  ASSERT_FALSE(m.is_ok());
  EXPECT_NE(m.status().message().find("not found"), std::string::npos) << m.status().message();
}

}  // namespace
}  // namespace nt

namespace nt {
namespace {

// The shipped configs, synthesized at a tiny scale, load and run; Q4_0 stays close to the F32 file.
TEST(GgufSynth, ShippedConfigsAtTinyScale) {
  for (const char* name : {"Nemotron-H-8B", "NVIDIA-Nemotron-Nano-9B-v2", "NVIDIA-Nemotron-3-Nano-30B-A3B"}) {
    auto text = read_text_file(test::source_dir() + "/configs/" + name + ".json");
    ASSERT_TRUE(text.is_ok()) << name;
    auto cfg = parse_model_config(*text, name);
    ASSERT_TRUE(cfg.is_ok()) << cfg.status().message();
    const ModelConfig c = shrink_config(*cfg, 1.0 / 64);
    test::TempDir tmp;
    std::vector<float> ref;
    for (GgufPreset p : {GgufPreset::F32, GgufPreset::Q4_0}) {
      const std::string path = tmp.path() + "/s.gguf";
      Status s = synth_gguf(path, c, p, 7);
      ASSERT_TRUE(s.is_ok()) << s.message();
      auto m = load_ok(path);
      ASSERT_TRUE(m);
      EXPECT_EQ(m->config().pattern(), cfg->pattern()) << name;
      const auto logits = logits_of(*m, {1, 5, 9, 2, 7});
      for (float v : logits) ASSERT_TRUE(std::isfinite(v)) << name;
      if (p == GgufPreset::F32) ref = logits;
      else EXPECT_LT(relative_rms(ref, logits), 1.0f) << name;  // measured 0.52-0.67 on these random models
    }
  }
}

// K-quants need rows of 256: a synthesized model with H = 256 exercises Q4_K / Q6_K themselves.
TEST(GgufSynth, KQuantsWithinTolerance) {
  ModelConfig c;
  c.layers = {LayerKind::Mamba, LayerKind::Attention, LayerKind::Mlp, LayerKind::Moe};
  c.hidden_size = 256; c.vocab_size = 512;
  c.num_attention_heads = 4; c.num_key_value_heads = 2; c.head_dim = 64;
  c.intermediate_size = {512};
  c.mamba_num_heads = 8; c.mamba_head_dim = 32; c.ssm_state_size = 16; c.n_groups = 2;
  c.n_routed_experts = 4; c.num_experts_per_tok = 2; c.moe_intermediate_size = 256; c.moe_shared_expert_intermediate_size = 256;
  test::TempDir tmp;
  ASSERT_TRUE(synth_gguf(tmp.path() + "/f32.gguf", c, GgufPreset::F32, 3).is_ok());
  auto ref_m = load_ok(tmp.path() + "/f32.gguf");
  ASSERT_TRUE(ref_m);
  const std::vector<int32_t> toks = {3, 100, 7, 400, 12, 9};
  const auto ref = logits_of(*ref_m, toks);
  // Relative RMS logit error; measured 0.045 (Q6_K) and 0.175 (Q4_K_M), bounds at about twice that.
  for (auto [p, tol] : {std::pair{GgufPreset::Q6_K, 0.1f}, std::pair{GgufPreset::Q4_K_M, 0.35f}}) {
    const std::string path = cat(tmp.path(), "/", gguf_preset_name(p), ".gguf");
    ASSERT_TRUE(synth_gguf(path, c, p, 3).is_ok());
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f.is_ok());
    EXPECT_EQ(f->find_tensor("blk.0.ssm_in.weight")->type, p == GgufPreset::Q6_K ? GgmlType::Q6_K : GgmlType::Q4_K);
    EXPECT_EQ(f->find_tensor("output.weight")->type, GgmlType::Q6_K);
    auto m = load_ok(path);
    ASSERT_TRUE(m);
    EXPECT_LE(relative_rms(ref, logits_of(*m, toks)), tol) << gguf_preset_name(p);
  }
}

}  // namespace
}  // namespace nt
