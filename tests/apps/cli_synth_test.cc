// `nemotron synth --tokenizer DIR`: a random-weight model that carries a real tokenizer (embedded in GGUF, copied
// into a Hugging Face directory), so text commands and the server can drive it; and the clear errors for a
// tokenizer that cannot be used, an unknown type, a type the output path cannot hold, an unwritable output.
#include <algorithm>

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

TEST(CliSynth, DirectoryCarriesTheTokenizer) {
  test::TempDir tmp;
  const std::string out = tmp.file("fp8");
  auto w = test::run_cli({"synth", "--config", config_8b(), "--type", "fp8", "--scale", "0.05", "--tokenizer", bundled_dir(),
                          "--out", out});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_NE(w.err.find("ModelOpt FP8: "), std::string::npos) << w.err;
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
    EXPECT_EQ(test::read_file(out + "/" + f), test::read_file(bundled_dir() + "/" + f)) << f;
  }
  const std::string text = "The quick brown fox, said Mr. Smith in 1961.";
  auto a = test::run_cli({"tokenize", "-m", out, "--text", text});
  auto b = test::run_cli({"tokenize", "-m", bundled_dir(), "--text", text});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  auto r = test::run_cli({"run", "-m", out, "-p", text, "-n", "4", "--temp", "0"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto info = test::run_cli({"info", "-m", out});
  EXPECT_NE(info.out.find("quantization:     ModelOpt FP8"), std::string::npos) << info.out;
}

// Exit 1, one line on stderr naming what was expected, and no model written.
TEST(CliSynth, BadRequestsAreClearErrors) {
  test::TempDir tmp;
  test::write_file(tmp.file("file"), "x");
  struct Bad {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Bad> cases = {
      {{"--type", "fp4", "--out", tmp.file("a")}, "unknown --type 'fp4': expected q8_0, q4_0"},
      {{"--type", "nvfp4", "--out", tmp.file("b.gguf")}, "--type nvfp4 writes a Hugging Face directory (ModelOpt layout), but --out"},
      {{"--type", "fp8", "--out", tmp.file("file/sub")}, "cannot create the output directory " + tmp.file("file/sub")},
      {{"--type", "bf16", "--out", tmp.file("file")}, "cannot create the output directory " + tmp.file("file")},
      {{"--type", "fp8", "--max-shard-mb", "0", "--out", tmp.file("c")}, "--max-shard-mb must be at least 1, found 0"},
  };
  for (const Bad& c : cases) {
    std::vector<std::string> args = {"synth", "--config", config_8b(), "--scale", "0.05"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = test::run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << c.message;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  for (const char* f : {"a", "b.gguf", "c"}) EXPECT_FALSE(file_exists(tmp.file(f))) << f;
  EXPECT_EQ(test::read_file(tmp.file("file")), "x");

  // A tokenizer larger than the vocabulary: refused before the directory is written.
  auto cfg_text = read_text_file(config_8b());
  ASSERT_TRUE(cfg_text.is_ok());
  Json cfg = *parse_json(*cfg_text, "config");
  cfg["vocab_size"] = 1000;
  test::write_file(tmp.file("small.json"), cfg.dump());
  auto r = test::run_cli({"synth", "--config", tmp.file("small.json"), "--type", "nvfp4", "--scale", "0.05", "--tokenizer",
                          bundled_dir(), "--out", tmp.file("d")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the tokenizer has 4096 tokens but the model's vocab_size is"), std::string::npos) << r.err;
  EXPECT_FALSE(file_exists(tmp.file("d")));
}

}  // namespace
}  // namespace nt
