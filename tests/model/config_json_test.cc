// model_config_to_json is the inverse of parse_model_config: every shipped config and every fixture config (list
// intermediate sizes, layers_block_type, Infinity in time_step_limit, MoE with latent projections) reads back with
// every field equal, and fields the parser does not know are kept.
#include <filesystem>

#include <gtest/gtest.h>

#include "core/mapped_file.h"
#include "core/strings.h"
#include "model/config_json.h"
#include "test_util.h"

namespace nt {
namespace {

// Every field of a config, printed (independent of the writer under test).
std::string fields(const ModelConfig& c) {
  std::string s = cat(c.pattern(), " H", c.hidden_size, " V", c.vocab_size, " tie", c.tie_word_embeddings, " eps",
                      c.layer_norm_epsilon, " nh", c.num_attention_heads, " nkv", c.num_key_value_heads, " dh", c.head_dim,
                      " ab", c.attention_bias, " mb", c.mlp_bias, " nm", c.mamba_num_heads, " P", c.mamba_head_dim,
                      " N", c.ssm_state_size, " G", c.n_groups, " K", c.conv_kernel, " cb", c.use_conv_bias, " ub",
                      c.use_bias, " chunk", c.chunk_size, " dt[", c.time_step_limit_lo, ",", c.time_step_limit_hi, "] E",
                      c.n_routed_experts, " k", c.num_experts_per_tok, " Ie", c.moe_intermediate_size, " Is",
                      c.moe_shared_expert_intermediate_size, " ns", c.n_shared_experts, " ng", c.n_group, " tg",
                      c.topk_group, " norm", c.norm_topk_prob, " rs", c.routed_scaling_factor, " lat", c.moe_latent_size,
                      " bos", c.bos_token_id, " pad", c.pad_token_id, " ctx", c.max_position_embeddings, " dtype ",
                      c.torch_dtype, " I");
  for (int64_t w : c.intermediate_size) s += cat(" ", w);
  s += " eos";
  for (int64_t e : c.eos_token_ids) s += cat(" ", e);
  return s;
}

std::vector<std::string> config_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() + "/configs")) out.push_back(e.path().string());
  for (const std::string& f : test::fixture_cases()) out.push_back(test::fixtures_dir() + "/" + f + "/config.json");
  out.push_back(test::source_dir() + "/models/nemotron-brown-tiny/config.json");
  return out;
}

TEST(ConfigJson, ParsesBackToTheSameConfig) {
  int n = 0;
  for (const std::string& path : config_files()) {
    auto text = read_text_file(path);
    ASSERT_TRUE(text.is_ok()) << path;
    auto c = parse_model_config(*text, path);
    ASSERT_TRUE(c.is_ok()) << c.status().message();
    auto base = parse_json(*text, path);
    ASSERT_TRUE(base.is_ok());
    base->erase("quantization_config");
    const Json j = model_config_to_json(*c, *base);
    auto back = parse_model_config(j.dump(2), "written");
    ASSERT_TRUE(back.is_ok()) << path << ": " << back.status().message();
    EXPECT_EQ(fields(*back), fields(*c)) << path;
    EXPECT_FALSE(j.contains("layers_block_type")) << path;
    if (base->contains("architectures")) {
      EXPECT_EQ(j["architectures"], (*base)["architectures"]) << path;
    }
    ++n;
  }
  EXPECT_GT(n, 10);
}

TEST(ConfigJson, ChangedFieldsWinOverTheBase) {
  auto text = read_text_file(test::source_dir() + "/configs/Nemotron-H-8B.json");
  ASSERT_TRUE(text.is_ok());
  auto c = parse_model_config(*text);
  ASSERT_TRUE(c.is_ok());
  c->hidden_size = 256;
  c->intermediate_size = {64, 96};
  c->layers = {LayerKind::Mamba, LayerKind::Mlp, LayerKind::Attention, LayerKind::Mlp};
  c->eos_token_ids = {2, 11};
  Json base = *parse_json(*text, "config");
  base["rms_norm_eps"] = 0.5;  // an alias the parser would read if layer_norm_epsilon were missing
  base["rope_theta"] = 10000;  // unknown to the parser: kept
  const Json j = model_config_to_json(*c, base);
  EXPECT_EQ(j["rope_theta"], 10000);
  EXPECT_FALSE(j.contains("rms_norm_eps"));
  auto back = parse_model_config(j.dump());
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(fields(*back), fields(*c));
  EXPECT_EQ(back->pattern(), "M-*-");
  EXPECT_EQ(j["num_hidden_layers"], 4);
}

}  // namespace
}  // namespace nt
