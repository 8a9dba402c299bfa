// ModelOpt FP8 / NVFP4 weights (spec §13): exact value tables and row dequantization against tables and rows the
// independent Python reference computed (tests/fixtures/modelopt_*), rounding of the quantizer, which modules stay
// unquantized, and bad checkpoints (clear errors naming the tensor, expected and found).
// The golden logits of the two fixture cases are checked by tests/model/golden_test.cc like every fixture.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/npy.h"
#include "model/hybrid_lm.h"
#include "ops/linear.h"
#include "quant/modelopt.h"
#include "quant/modelopt_export.h"
#include "test_util.h"

namespace nt {
namespace {

std::vector<float> load_npy(const std::string& path) {
  auto a = read_npy(path);
  EXPECT_TRUE(a.is_ok()) << a.status().message();
  return a.is_ok() ? a->data : std::vector<float>{};
}

bool same_bits(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

Json golden_json(const std::string& dir) {
  auto t = read_text_file(dir + "/golden.json");
  EXPECT_TRUE(t.is_ok());
  return *parse_json(*t, "golden.json");
}

// Every Linear of a model by weight name.
std::map<std::string, const Linear*> linears_by_name(const ModelWeights& w) {
  std::map<std::string, const Linear*> m;
  auto add = [&](const Linear& l) { m[l.w.name] = &l; };
  add(w.lm_head);
  for (const auto& L : w.layers) {
    add(L.mamba.in_proj); add(L.mamba.out_proj);
    add(L.attn.q_proj); add(L.attn.k_proj); add(L.attn.v_proj); add(L.attn.o_proj);
    add(L.mlp.up_proj); add(L.mlp.down_proj);
    for (const auto& e : L.moe.experts) { add(e.up_proj); add(e.down_proj); }
    add(L.moe.shared.up_proj); add(L.moe.shared.down_proj);
  }
  m.erase("");
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// Value tables

TEST(ModelOptTables, E4M3MatchesReferenceTableBitExactly) {
  const auto table = load_npy(test::fixtures_dir() + "/modelopt_fp8/e4m3_table.npy");
  ASSERT_EQ(table.size(), 256u);
  for (int c = 0; c < 256; ++c) EXPECT_TRUE(same_bits(e4m3_to_f32(static_cast<uint8_t>(c)), table[c])) << "code " << c;
  // Anchors of the format: largest finite, smallest subnormal, NaN codes.
  EXPECT_EQ(e4m3_to_f32(0x7E), 448.0f);
  EXPECT_EQ(e4m3_to_f32(0x01), std::ldexp(1.0f, -9));
  EXPECT_EQ(e4m3_to_f32(0x08), std::ldexp(1.0f, -6));
  EXPECT_TRUE(std::isnan(e4m3_to_f32(0x7F)) && std::isnan(e4m3_to_f32(0xFF)));
}

TEST(ModelOptTables, E2M1MatchesReferenceTable) {
  const auto table = load_npy(test::fixtures_dir() + "/modelopt_nvfp4/e2m1_table.npy");
  ASSERT_EQ(table.size(), 16u);
  for (int c = 0; c < 16; ++c) EXPECT_TRUE(same_bits(e2m1_to_f32(static_cast<uint8_t>(c)), table[c])) << "code " << c;
}

// Brute-force nearest code (ties to the even code) over a value table: the definition of the rounding.
uint8_t nearest_by_search(const std::vector<float>& table, int n_pos, float x) {
  const float a = std::fabs(x);
  int best = 0;
  for (int c = 1; c < n_pos; ++c) {
    const float d = std::fabs(table[c] - a), db = std::fabs(table[best] - a);
    if (d < db || (d == db && (c % 2 == 0) && (best % 2 != 0))) best = c;
  }
  return static_cast<uint8_t>(best);
}

TEST(ModelOptTables, EncodersRoundToNearestEvenAndSaturate) {
  const auto e4m3 = load_npy(test::fixtures_dir() + "/modelopt_fp8/e4m3_table.npy");
  const auto e2m1 = load_npy(test::fixtures_dir() + "/modelopt_nvfp4/e2m1_table.npy");
  ASSERT_EQ(e4m3.size(), 256u);
  ASSERT_EQ(e2m1.size(), 16u);
  std::vector<float> xs;
  for (int c = 0; c < 126; ++c) {  // every value, every midpoint (ties), and points just around them
    const float lo = e4m3[c], hi = e4m3[c + 1], mid = (lo + hi) / 2;
    for (float x : {lo, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e9f), hi}) xs.push_back(x);
  }
  uint32_t s = 12345;
  for (int i = 0; i < 20000; ++i) {
    s = s * 1664525u + 1013904223u;
    xs.push_back(std::ldexp(static_cast<float>(s >> 8) / 16777216.0f, static_cast<int>(s % 20) - 12));
  }
  for (float x : xs) {
    if (x > 448.0f) continue;
    EXPECT_EQ(f32_to_e4m3(x), nearest_by_search(e4m3, 127, x)) << x;
    EXPECT_EQ(f32_to_e4m3(-x), x == 0 ? 0x80 : (nearest_by_search(e4m3, 127, x) | 0x80)) << -x;
  }
  EXPECT_EQ(f32_to_e4m3(1000.0f), 0x7E);
  EXPECT_EQ(f32_to_e4m3(-464.0f), 0xFE);
  for (float x = 0; x <= 8.0f; x += 0.03125f) {
    const uint8_t want = nearest_by_search(e2m1, 8, x);
    EXPECT_EQ(f32_to_e2m1(x), want) << x;
    EXPECT_EQ(f32_to_e2m1(-x), want ? (want | 8) : 0) << -x;
  }
  EXPECT_EQ(f32_to_e2m1(0.25f), 0);  // ties to even
  EXPECT_EQ(f32_to_e2m1(0.75f), 2);
  EXPECT_EQ(f32_to_e2m1(2.5f), 4);
  EXPECT_EQ(f32_to_e2m1(5.0f), 6);
}

// ---------------------------------------------------------------------------------------------------------------
// Row dequantization

// Every byte value and every valid block scale through convert_rows, against products of the reference tables.
TEST(ModelOptRows, Nvfp4AllCodesAndBlockScalesBitExact) {
  const auto e4m3 = load_npy(test::fixtures_dir() + "/modelopt_fp8/e4m3_table.npy");
  const auto e2m1 = load_npy(test::fixtures_dir() + "/modelopt_nvfp4/e2m1_table.npy");
  ASSERT_EQ(e4m3.size(), 256u);
  const int64_t out = 127, in = 512;  // 127 block-scale codes x 256 byte values per row
  std::vector<uint8_t> packed(static_cast<size_t>(out * in / 2)), bs(static_cast<size_t>(out * in / 16));
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in / 2; ++i) packed[static_cast<size_t>(o * in / 2 + i)] = static_cast<uint8_t>((i + 7 * o) & 255);
    for (int64_t b = 0; b < in / 16; ++b) bs[static_cast<size_t>(o * in / 16 + b)] = static_cast<uint8_t>((o + 5 * b) % 127);
  }
  for (float s2 : {1.0f, 0.0123456f, 3.3e-5f}) {
    TensorView t{"w", DType::U8, {out, in}, packed.data(), packed.size()};
    t.wq = WeightQuant::Nvfp4;
    t.wscale = bs.data();
    t.wscale2 = s2;
    std::vector<float> got(static_cast<size_t>(out * in));
    convert_rows(t, 0, out, got.data());
    int bad = 0;
    for (int64_t o = 0; o < out; ++o) {
      for (int64_t i = 0; i < in; ++i) {
        const uint8_t byte = packed[static_cast<size_t>(o * in / 2 + i / 2)];
        const uint8_t code = (i % 2 == 0) ? (byte & 15) : (byte >> 4);
        const double want = static_cast<double>(e2m1[code]) * e4m3[bs[static_cast<size_t>(o * in / 16 + i / 16)]] * s2;
        bad += !same_bits(got[static_cast<size_t>(o * in + i)], static_cast<float>(want));
      }
    }
    EXPECT_EQ(bad, 0) << "weight_scale_2 " << s2;
    // A row range in the middle gives the same values.
    std::vector<float> part(static_cast<size_t>(3 * in));
    convert_rows(t, 50, 3, part.data());
    EXPECT_EQ(0, std::memcmp(part.data(), got.data() + 50 * in, part.size() * 4));
  }
}

TEST(ModelOptRows, Fp8AllCodesPerTensorAndPerChannelBitExact) {
  const auto e4m3 = load_npy(test::fixtures_dir() + "/modelopt_fp8/e4m3_table.npy");
  ASSERT_EQ(e4m3.size(), 256u);
  const int64_t out = 5, in = 256;
  std::vector<uint8_t> codes(static_cast<size_t>(out * in));
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>((i * 3) & 255);
  const std::vector<float> channel = {0.5f, 1.0f / 3.0f, 7.25e-4f, 123.456f, 1e-7f};
  for (bool per_channel : {false, true}) {
    TensorView t{"w", DType::F8_E4M3, {out, in}, codes.data(), codes.size()};
    t.wq = WeightQuant::Fp8;
    t.wscale2 = 0.0039215f;
    if (per_channel) t.wscale = reinterpret_cast<const uint8_t*>(channel.data());
    std::vector<float> got(codes.size());
    convert_rows(t, 0, out, got.data());
    for (int64_t o = 0; o < out; ++o) {
      const double s = per_channel ? channel[static_cast<size_t>(o)] : t.wscale2;
      for (int64_t i = 0; i < in; ++i) {
        const size_t k = static_cast<size_t>(o * in + i);
        ASSERT_TRUE(same_bits(got[k], static_cast<float>(e4m3[codes[k]] * s))) << o << "," << i;
      }
    }
  }
}

// The fixtures' dequantized weights, as the reference computed them from the checkpoint, equal convert_rows.
class ModelOptFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelOptFixture, DequantizedRowsEqualReferenceBitExactly) {
  const std::string dir = test::fixtures_dir() + "/" + GetParam();
  auto m = HybridLM::load(dir);
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  const Json g = golden_json(dir);
  const auto lin = linears_by_name((*m)->weights());
  const std::string name = g["dequantized_tensor"].get<std::string>();
  ASSERT_TRUE(lin.count(name)) << name;
  const TensorView& t = lin.at(name)->w;
  EXPECT_NE(t.wq, WeightQuant::None);
  const auto want = load_npy(dir + "/dequantized.npy");
  ASSERT_EQ(want.size(), static_cast<size_t>(t.numel()));
  std::vector<float> got(want.size());
  convert_rows(t, 0, t.dim(0), got.data());
  int bad = 0;
  for (size_t i = 0; i < got.size(); ++i) bad += !same_bits(got[i], want[i]);
  EXPECT_EQ(bad, 0);
}

TEST_P(ModelOptFixture, QuantizedAndExcludedModulesHaveTheirTypes) {
  const std::string dir = test::fixtures_dir() + "/" + GetParam();
  auto m = HybridLM::load(dir);
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  const Json g = golden_json(dir);
  std::set<std::string> quantized;
  for (const auto& q : g["quantized_modules"]) quantized.insert(q.get<std::string>() + ".weight");
  const std::string algo = g["quant_algo"].get<std::string>();
  EXPECT_EQ(std::string(modelopt_algo_name((*m)->config().quant.algo)), algo);
  int n_quant = 0, n_plain = 0;
  for (const auto& [name, l] : linears_by_name((*m)->weights())) {
    if (quantized.count(name)) {
      EXPECT_EQ(l->w.type_name(), algo == "FP8" ? "FP8_E4M3" : "NVFP4") << name;
      ++n_quant;
    } else {
      EXPECT_EQ(l->w.type_name(), "BF16") << name;  // excluded modules stay in the checkpoint dtype
      ++n_plain;
    }
  }
  EXPECT_EQ(n_quant, static_cast<int>(quantized.size()));
  EXPECT_GT(n_plain, 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, ModelOptFixture, ::testing::Values("modelopt_fp8", "modelopt_nvfp4"));

// ---------------------------------------------------------------------------------------------------------------
// Config parsing

TEST(ModelOptConfig, ParsesBothLayoutsAndWildcards) {
  Json flat = {{"quant_method", "modelopt"}, {"quant_algo", "nvfp4"}, {"group_size", 16},
               {"ignore", Json::array({"lm_head", "model.layers.1?.mixer*", "*conv1d*"})}};
  auto c = parse_modelopt_config(&flat, nullptr);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(c->algo, ModelOptAlgo::Nvfp4);
  EXPECT_TRUE(c->excluded("lm_head"));
  EXPECT_TRUE(c->excluded("backbone.layers.12.mixer.in_proj"));  // other prefix spelling
  EXPECT_FALSE(c->excluded("backbone.layers.2.mixer.in_proj"));
  EXPECT_TRUE(c->excluded("backbone.layers.2.mixer.conv1d"));
  Json hf = {{"quantization", {{"quant_algo", "FP8_PER_CHANNEL_PER_TOKEN"}, {"exclude_modules", Json::array({"lm_head"})}}}};
  auto h = parse_modelopt_config(nullptr, &hf);
  ASSERT_TRUE(h.is_ok());
  EXPECT_EQ(h->algo, ModelOptAlgo::Fp8PerChannel);
  EXPECT_EQ(h->source, "hf_quant_config.json");
  Json w4 = {{"quant_method", "modelopt"}, {"quant_algo", "W4A16_NVFP4"}};
  EXPECT_EQ(parse_modelopt_config(&w4, nullptr)->algo, ModelOptAlgo::W4A16Nvfp4);
}

// ---------------------------------------------------------------------------------------------------------------
// Bad checkpoints: a fixture copy with one thing changed; load fails with one clear message.

struct OwnedTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

using TensorEdit = std::function<void(std::vector<OwnedTensor>&)>;
using JsonEdit = std::function<void(Json&)>;

OwnedTensor* find_t(std::vector<OwnedTensor>& ts, const std::string& name) {
  for (auto& t : ts) if (t.name == name) return &t;
  ADD_FAILURE() << "no tensor " << name;
  static OwnedTensor dummy;
  return &dummy;
}

OwnedTensor f32_scalar(const std::string& name, float v) {
  OwnedTensor t{name, DType::F32, {}, std::vector<uint8_t>(4)};
  std::memcpy(t.bytes.data(), &v, 4);
  return t;
}

// Copies fixture `src` to `dst` applying the edits (config.json and hf_quant_config.json: absent file = no edit).
void make_variant(const std::string& src, const std::string& dst, const TensorEdit& edit, const JsonEdit& cfg_edit = nullptr,
                  const JsonEdit& hf_edit = nullptr, bool drop_hf = false) {
  auto store = TensorStore::open(src);
  ASSERT_TRUE(store.is_ok());
  std::vector<OwnedTensor> ts;
  for (const auto& [name, t] : store->tensors()) ts.push_back({name, t.dtype, t.shape, std::vector<uint8_t>(t.data, t.data + t.nbytes)});
  if (edit) edit(ts);
  std::vector<TensorToWrite> w;
  for (const auto& t : ts) w.push_back({t.name, t.dtype, t.shape, t.bytes.data(), t.bytes.size()});
  ASSERT_TRUE(write_safetensors(dst + "/model.safetensors", w).is_ok());
  Json cfg = *parse_json(test::read_file(src + "/config.json"), "config.json");
  if (cfg_edit) cfg_edit(cfg);
  test::write_file(dst + "/config.json", cfg.dump());
  if (!drop_hf && std::filesystem::exists(src + "/hf_quant_config.json")) {
    Json hf = *parse_json(test::read_file(src + "/hf_quant_config.json"), "hf_quant_config.json");
    if (hf_edit) hf_edit(hf);
    test::write_file(dst + "/hf_quant_config.json", hf.dump());
  }
}

struct BadCase {
  const char* what;
  const char* fixture;
  TensorEdit edit;
  JsonEdit cfg_edit;
  JsonEdit hf_edit;
  bool drop_hf;
  std::vector<std::string> expect;  // substrings of the error message
};

const std::string kIn = "backbone.layers.0.mixer.in_proj";        // NVFP4 fixture: [164, 32] weight
const std::string kUp = "backbone.layers.2.mixer.up_proj";        // FP8 fixture: [96, 64] weight

std::vector<BadCase> bad_cases() {
  return {
      {"missing weight_scale_2", "modelopt_nvfp4",
       [](auto& ts) { std::erase_if(ts, [](const OwnedTensor& t) { return t.name == kIn + ".weight_scale_2"; }); }, nullptr, nullptr, false,
       {"missing tensor '" + kIn + ".weight_scale_2'"}},
      {"NaN weight_scale_2", "modelopt_nvfp4", [](auto& ts) { *find_t(ts, kIn + ".weight_scale_2") = f32_scalar(kIn + ".weight_scale_2", NAN); },
       nullptr, nullptr, false, {kIn + ".weight_scale_2", "finite positive"}},
      {"negative weight_scale_2", "modelopt_nvfp4", [](auto& ts) { *find_t(ts, kIn + ".weight_scale_2") = f32_scalar(kIn + ".weight_scale_2", -0.5f); },
       nullptr, nullptr, false, {kIn + ".weight_scale_2", "-0.5", "finite positive"}},
      {"weight_scale_2 not a scalar", "modelopt_nvfp4",
       [](auto& ts) { auto* t = find_t(ts, kIn + ".weight_scale_2"); t->shape = {2}; t->bytes.resize(8); }, nullptr, nullptr, false,
       {kIn + ".weight_scale_2", "shape [2]", "expected [] or [1]"}},
      {"block scales stored as U8", "modelopt_nvfp4", [](auto& ts) { find_t(ts, kIn + ".weight_scale")->dtype = DType::U8; }, nullptr, nullptr, false,
       {kIn + ".weight_scale", "dtype U8", "expected F8_E4M3"}},
      {"block scales of the wrong shape", "modelopt_nvfp4",
       [](auto& ts) { auto* t = find_t(ts, kIn + ".weight_scale"); t->shape = {164, 1}; t->bytes.resize(164); }, nullptr, nullptr, false,
       {kIn + ".weight_scale", "shape [164, 1]", "expected [164, 2]"}},
      {"NaN block scale", "modelopt_nvfp4", [](auto& ts) { find_t(ts, kIn + ".weight_scale")->bytes[5] = 0x7F; }, nullptr, nullptr, false,
       {kIn + ".weight_scale", "block [2, 1]", "0x7f"}},
      {"negative block scale", "modelopt_nvfp4", [](auto& ts) { find_t(ts, kIn + ".weight_scale")->bytes[0] = 0xB8; }, nullptr, nullptr, false,
       {kIn + ".weight_scale", "0xb8", "non-negative"}},
      {"packed size mismatch", "modelopt_nvfp4",
       [](auto& ts) { auto* t = find_t(ts, kIn + ".weight"); t->shape = {164, 32}; t->bytes.resize(164 * 32); }, nullptr, nullptr, false,
       {kIn + ".weight", "shape [164, 32]", "expected [164, 16]", "packed NVFP4"}},
      {"FP8 weight in an NVFP4 checkpoint", "modelopt_nvfp4", [](auto& ts) { find_t(ts, kIn + ".weight")->dtype = DType::F8_E4M3; }, nullptr, nullptr,
       false, {kIn + ".weight", "dtype F8_E4M3", "expected U8 (packed NVFP4)"}},
      {"unknown algorithm", "modelopt_nvfp4", nullptr, [](Json& c) { c["quantization_config"]["quant_algo"] = "INT4_AWQ"; }, nullptr, false,
       {"unsupported quant_algo 'INT4_AWQ'"}},
      {"other quant_method", "modelopt_nvfp4", nullptr, [](Json& c) { c["quantization_config"]["quant_method"] = "gptq"; }, nullptr, false,
       {"quant_method \"gptq\"", "expected \"modelopt\""}},
      {"hf_quant_config disagrees", "modelopt_nvfp4", nullptr, nullptr, [](Json& h) { h["quantization"]["quant_algo"] = "FP8"; }, false,
       {"NVFP4", "hf_quant_config.json says FP8"}},
      {"NVFP4 group size 32", "modelopt_nvfp4", nullptr, [](Json& c) { c["quantization_config"]["group_size"] = 32; }, nullptr, false,
       {"group_size must be 16, found 32"}},
      {"excluded module stored quantized", "modelopt_nvfp4", nullptr,
       [](Json& c) { c["quantization_config"]["ignore"].push_back("backbone.layers.0.mixer.in_*"); }, nullptr, false,
       {kIn + ".weight", "excluded from quantization"}},
      {"quantized weights without a ModelOpt description", "modelopt_nvfp4", nullptr, [](Json& c) { c.erase("quantization_config"); }, nullptr, true,
       {kIn + ".weight", "no ModelOpt description"}},
      {"NaN k_scale", "modelopt_nvfp4",
       [](auto& ts) { *find_t(ts, "backbone.layers.3.mixer.k_proj.k_scale") = f32_scalar("backbone.layers.3.mixer.k_proj.k_scale", NAN); }, nullptr,
       nullptr, false, {"k_proj.k_scale", "finite positive"}},
      {"FP8 scale of the wrong shape", "modelopt_fp8",
       [](auto& ts) { auto* t = find_t(ts, kUp + ".weight_scale"); t->shape = {2}; t->bytes.resize(8); }, nullptr, nullptr, false,
       {kUp + ".weight_scale", "shape [2]", "expected [] or [1]"}},
      {"FP8 scale zero", "modelopt_fp8", [](auto& ts) { *find_t(ts, kUp + ".weight_scale") = f32_scalar(kUp + ".weight_scale", 0.0f); }, nullptr,
       nullptr, false, {kUp + ".weight_scale", "finite positive"}},
      {"FP8 missing weight_scale", "modelopt_fp8",
       [](auto& ts) { std::erase_if(ts, [](const OwnedTensor& t) { return t.name == kUp + ".weight_scale"; }); }, nullptr, nullptr, false,
       {"missing tensor '" + kUp + ".weight_scale'"}},
      {"FP8 weight of the wrong shape", "modelopt_fp8",
       [](auto& ts) { auto* t = find_t(ts, kUp + ".weight"); t->shape = {96, 32}; t->bytes.resize(96 * 32); }, nullptr, nullptr, false,
       {kUp + ".weight", "shape [96, 32]", "expected [96, 64]"}},
      {"scale on an unquantized weight", "modelopt_fp8", [](auto& ts) { ts.push_back(f32_scalar("lm_head.weight_scale", 1.0f)); }, nullptr, nullptr,
       false, {"lm_head.weight_scale", "'lm_head.weight' is stored as BF16"}},
      {"NVFP4 weight in an FP8 checkpoint", "modelopt_fp8", [](auto& ts) { find_t(ts, kUp + ".weight")->dtype = DType::U8; }, nullptr, nullptr, false,
       {kUp + ".weight", "dtype U8", "expected F8_E4M3"}},
      {"unknown algorithm in hf_quant_config", "modelopt_fp8", nullptr, nullptr, [](Json& h) { h["quantization"]["quant_algo"] = "MXFP8"; }, false,
       {"hf_quant_config.json", "unsupported quant_algo 'MXFP8'"}},
  };
}

TEST(ModelOptBadInput, ClearErrorsFromLoadAndCli) {
  for (const auto& bc : bad_cases()) {
    SCOPED_TRACE(bc.what);
    test::TempDir tmp;
    make_variant(test::fixtures_dir() + "/" + bc.fixture, tmp.path(), bc.edit, bc.cfg_edit, bc.hf_edit, bc.drop_hf);
    auto m = HybridLM::load(tmp.path());
    ASSERT_FALSE(m.is_ok());
    for (const auto& s : bc.expect) EXPECT_NE(m.status().message().find(s), std::string::npos) << m.status().message() << "\n  missing: " << s;
    const auto r = test::run_cli({"logits", "-m", tmp.path(), "--tokens", "1,2,3", "--out", tmp.file("l.npy")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(bc.expect[0]), std::string::npos) << r.err;
  }
}

// The unmodified variant loads (the harness itself does not break checkpoints).
TEST(ModelOptBadInput, UnmodifiedCopyLoads) {
  for (const char* f : {"modelopt_fp8", "modelopt_nvfp4"}) {
    test::TempDir tmp;
    make_variant(test::fixtures_dir() + "/" + f, tmp.path(), nullptr);
    auto m = HybridLM::load(tmp.path());
    EXPECT_TRUE(m.is_ok()) << f << ": " << m.status().message();
  }
}

}  // namespace
}  // namespace nt
