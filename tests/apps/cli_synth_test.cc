// `nemotron synth --tokenizer DIR`: a random-weight model that carries a real tokenizer, so text commands and
// the server can drive it; and the clear errors when the tokenizer cannot be embedded.
#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "test_util.h"

namespace nt {
namespace {

std::string bundled_dir() { return test::source_dir() + "/models/nemotron-brown-tiny"; }
std::string config_8b() { return test::source_dir() + "/configs/Nemotron-H-8B.json"; }

TEST(CliSynth, TokenizerIsEmbeddedAndTokenizesAsTheSourceDirectory) {
  test::TempDir tmp;
  const std::string out = tmp.file("m.gguf");
  auto w = test::run_cli({"synth", "--config", config_8b(), "--type", "q8_0", "--scale", "0.05", "--tokenizer",
                          bundled_dir(), "--out", out});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const std::string text = "The quick brown fox, said Mr. Smith in 1961.";
  auto a = test::run_cli({"tokenize", "-m", out, "--text", text});
  auto b = test::run_cli({"tokenize", "-m", bundled_dir(), "--text", text});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  auto r = test::run_cli({"run", "-m", out, "-p", text, "-n", "4", "--temp", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliSynth, WithoutTokenizerTextCommandsExplain) {
  test::TempDir tmp;
  const std::string out = tmp.file("m.gguf");
  ASSERT_EQ(test::run_cli({"synth", "--config", config_8b(), "--type", "q8_0", "--scale", "0.05", "--out", out}).exit_code, 0);
  auto r = test::run_cli({"run", "-m", out, "-p", "hello", "-n", "2"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("tokenizer"), std::string::npos) << r.err;
}

TEST(CliSynth, TokenizerErrors) {
  test::TempDir tmp;
  auto missing = test::run_cli({"synth", "--config", config_8b(), "--type", "q8_0", "--scale", "0.05", "--tokenizer",
                                tmp.path(), "--out", tmp.file("a.gguf")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("expected a directory with tokenizer.json"), std::string::npos) << missing.err;
  EXPECT_FALSE(file_exists(tmp.file("a.gguf")));

  // A vocabulary smaller than the tokenizer's: refused before anything is written.
  auto cfg_text = read_text_file(config_8b());
  ASSERT_TRUE(cfg_text.is_ok());
  Json cfg = *parse_json(*cfg_text, "config");
  cfg["vocab_size"] = 1000;
  const std::string small = tmp.file("small.json");
  test::write_file(small, cfg.dump());
  auto r = test::run_cli({"synth", "--config", small, "--type", "q8_0", "--scale", "0.05", "--tokenizer", bundled_dir(),
                          "--out", tmp.file("b.gguf")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the tokenizer has 4096 tokens but the model's vocab_size is"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(tmp.file("b.gguf")));
}

}  // namespace
}  // namespace nt
