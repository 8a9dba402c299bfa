// Text in, text out on the embedded model, end to end through the CLI: the greedy continuation of the golden
// prompt (computed by the independent reference in float64), tokenization, and chat turns that reuse state.
#include <regex>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "test_util.h"

namespace nt {
namespace {

std::string model_dir() { return test::source_dir() + "/models/nemotron-brown-tiny"; }

Json golden() { return *parse_json(*read_text_file(model_dir() + "/golden.json"), "golden.json"); }

TEST(EmbeddedModel, GreedyTextMatchesReference) {
  Json g = golden();
  auto r = test::run_cli({"run", "-m", model_dir(), "-p", g["prompt"].get<std::string>(), "-n",
                          std::to_string(g["n"].get<int>()), "--temp", "0", "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, g["text"].get<std::string>() + "\n");
}

TEST(EmbeddedModel, DefaultModelIsEmbedded) {
  Json g = golden();
  auto r = test::run_cli({"run", "-p", g["prompt"].get<std::string>(), "-n", "4", "--temp", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 2), g["text"].get<std::string>().substr(0, 2));
}

TEST(EmbeddedModel, TokenizeMatchesGoldenIds) {
  Json g = golden();
  auto r = test::run_cli({"tokenize", "-m", model_dir(), "--text", g["prompt"].get<std::string>()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out), g["prompt_ids"]);
}

TEST(EmbeddedModel, SeededSamplingIsReproducible) {
  std::vector<std::string> args = {"run", "-m", model_dir(), "-p", "The jury", "-n", "16", "--temp", "0.9",
                                   "--top-k", "40", "--seed", "7"};
  auto a = test::run_cli(args), b = test::run_cli(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  args.back() = "8";
  auto c = test::run_cli(args);
  EXPECT_NE(a.out, c.out);
}

TEST(EmbeddedModel, StopStringEndsGeneration) {
  Json g = golden();
  // The greedy text is ".\nThe first time, and ..."; stopping at "first" leaves ".\nThe ".
  auto r = test::run_cli({"run", "-m", model_dir(), "-p", g["prompt"].get<std::string>(), "-n", "24", "--temp", "0",
                          "--stop", "first"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, ".\nThe \n");
}

// Parses "[turn: P prompt tokens, R reused, C computed ...; G generated; ...]" lines from chat's stderr.
struct Turn { long prompt, reused, computed, generated; };
std::vector<Turn> turns(const std::string& err) {
  std::vector<Turn> out;
  std::regex re(R"(\[turn: (\d+) prompt tokens, (\d+) reused, (\d+) computed in [0-9.]+ s; (\d+) generated)");
  for (std::sregex_iterator it(err.begin(), err.end(), re), end; it != end; ++it) {
    out.push_back({std::stol((*it)[1]), std::stol((*it)[2]), std::stol((*it)[3]), std::stol((*it)[4])});
  }
  return out;
}

class ChatReuse : public ::testing::TestWithParam<const char*> {};

TEST_P(ChatReuse, NextTurnCostsOnlyItsNewTokens) {
  auto r = test::run_cli({"chat", "-m", model_dir(), GetParam(), "-n", "12", "--temp", "0", "--system",
                          "You are a helpful assistant who answers in plain English."},
                         "Tell me about the jury.\nWhat did the mayor say?\nAnd then?\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto t = turns(r.err);
  ASSERT_EQ(t.size(), 3u) << r.err;
  EXPECT_EQ(t[0].reused, 0);
  for (size_t i = 1; i < t.size(); ++i) {
    // The new turn re-reads at most the previous answer, the end-of-turn markers and the new message (<= 30
    // tokens of template and text here), never the conversation before it.
    EXPECT_GT(t[i].reused, t[i - 1].prompt - 8) << r.err;
    EXPECT_LE(t[i].computed, t[i - 1].generated + 30) << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Thinking, ChatReuse, ::testing::Values("--think", "--no-think"),
                         [](const auto& info) { return std::string(info.param).substr(2) == "think" ? "On" : "Off"; });

TEST(EmbeddedModel, RenderUsesModelTemplate) {
  test::TempDir tmp;
  test::write_file(tmp.file("req.json"), R"({"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true, "enable_thinking": false})");
  auto r = test::run_cli({"render", "--model", model_dir(), "--request", tmp.file("req.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "<|im_start|>system\n<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think></think>");
}

}  // namespace
}  // namespace nt
