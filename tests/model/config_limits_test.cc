// Size limits of config.json (config.h, docs/SECURITY.md): values beyond them are refused with the field, the value
// and the limit, before any size is derived from them; the shipped configs are far inside them.
#include <gtest/gtest.h>

#include <string>

#include "core/mapped_file.h"
#include "model/config.h"
#include "test_util.h"

namespace nt {
namespace {

std::string base_config() {
  return *read_text_file(test::source_dir() + "/models/nemotron-brown-tiny/config.json");
}

// The bundled config with one field replaced.
Result<ModelConfig> with(const std::string& key, const Json& value) {
  Json j = *parse_json(base_config(), "config.json");
  j[key] = value;
  return parse_model_config(j.dump(), "config.json");
}

TEST(ConfigLimits, ShippedConfigsAreInside) {
  for (const char* f : {"configs/Nemotron-H-8B.json", "configs/NVIDIA-Nemotron-Nano-9B-v2.json",
                        "configs/NVIDIA-Nemotron-3-Nano-30B-A3B.json", "models/nemotron-brown-tiny/config.json"}) {
    auto text = read_text_file(test::source_dir() + "/" + f);
    ASSERT_TRUE(text.is_ok());
    auto c = parse_model_config(*text, f);
    EXPECT_TRUE(c.is_ok()) << c.status().message();
  }
}

TEST(ConfigLimits, HugeDimensionsAreRefused) {
  // Products of these used to overflow int64 in the derived sizes (d_inner, d_in_proj, weight element counts).
  struct Case {
    const char* key;
    int64_t value;
    const char* expect;
  };
  const Case cases[] = {
      {"hidden_size", int64_t{1} << 40, "field 'hidden_size' is 1099511627776, more than the limit of 16777216"},
      {"mamba_num_heads", int64_t{1} << 62, "field 'mamba_num_heads'"},
      {"mamba_head_dim", int64_t{1} << 25, "field 'mamba_head_dim'"},
      {"vocab_size", INT64_MAX, "field 'vocab_size'"},
      {"chunk_size", int64_t{1} << 30, "field 'chunk_size'"},
      {"intermediate_size", int64_t{1} << 33, "field 'intermediate_size'"},
      {"n_routed_experts", 100000, "field 'n_routed_experts' is 100000, more than the limit of 4096"},
  };
  for (const Case& c : cases) {
    auto r = with(c.key, c.value);
    ASSERT_FALSE(r.is_ok()) << c.key;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
}

TEST(ConfigLimits, WeightElementCountIsBounded) {
  // Each dimension within the limit, their product not: vocab 2^24 x hidden 2^24.
  Json j = *parse_json(base_config(), "config.json");
  j["vocab_size"] = int64_t{1} << 24;
  j["hidden_size"] = int64_t{1} << 24;
  auto r = parse_model_config(j.dump(), "config.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("the embedding (vocab_size x hidden_size) would have"), std::string::npos)
      << r.status().message();
}

TEST(ConfigLimits, TooManyLayersAreRefused) {
  Json j = *parse_json(base_config(), "config.json");
  j.erase("num_hidden_layers");
  j["hybrid_override_pattern"] = std::string(kMaxConfigLayers + 1, 'M');
  auto r = parse_model_config(j.dump(), "config.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("4097 layers, more than the limit of 4096"), std::string::npos)
      << r.status().message();
  j["hybrid_override_pattern"] = std::string(kMaxConfigLayers, 'M');
  EXPECT_TRUE(parse_model_config(j.dump(), "config.json").is_ok());
}

TEST(ConfigLimits, GiganticConfigFileIsRefusedBeforeParsing) {
  test::TempDir dir;
  std::string text = base_config();
  text.insert(text.rfind('}'), ", \"padding\": \"" + std::string(size_t{17} << 20, 'x') + "\"");
  test::write_file(dir.file("config.json"), text);
  auto r = load_model_config(dir.path());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("limit is 16777216"), std::string::npos) << r.status().message();
}

TEST(ConfigLimits, DeeplyNestedConfigIsRefused) {
  const std::string deep = "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  auto r = parse_model_config(deep, "config.json");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("nesting deeper than the limit of 256"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace nt
