// The tokenize / detokenize commands end to end: output formats, --jsonl, bad input.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

struct CliResult {
  int rc;
  std::string out;
};

CliResult run_cli(const std::string& args) {
  std::string cmd = std::string(NEMOTRON_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

class CliTokenize : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nt_cli_tok_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    // A byte-level tokenizer over the ASCII letters used below, "Ġ" (space) and one merge.
    std::ofstream(dir_ / "tokenizer.json") << R"({
      "added_tokens": [{"id": 9, "content": "<s>", "special": true}],
      "normalizer": null,
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
      "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}}]},
      "decoder": {"type": "ByteLevel"},
      "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "ï": 4, "¿": 5, "½": 6, "Ċ": 7},
                "merges": ["a b"]}})";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string m() const { return "-m " + dir_.string(); }
  fs::path dir_;
};

TEST_F(CliTokenize, TextAndDetokenize) {
  CliResult r = run_cli("tokenize " + m() + " --text 'ab ab'");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "[9,3,2,3]\n");
  r = run_cli("tokenize " + m() + " --text 'ab ab' --no-special-tokens");
  EXPECT_EQ(r.out, "[3,2,3]\n");
  r = run_cli("detokenize " + m() + " --ids 3,2,3,7");
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "ab ab\n");  // the text exactly: here it ends with the decoded newline
  r = run_cli("detokenize " + m() + " --ids 9,3 --skip-special-tokens");
  EXPECT_EQ(r.out, "ab");
}

TEST_F(CliTokenize, JsonlLines) {
  // Line 2 holds a lone surrogate escape; U+FFFD's bytes EF BF BD are ï ¿ ½ in the byte-level alphabet.
  std::ofstream(dir_ / "in.jsonl") << "\"ab\"\n\"a\\ud800\"\n\"\"\n";
  CliResult r = run_cli("tokenize " + m() + " --jsonl " + (dir_ / "in.jsonl").string());
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "[9,3]\n[9,0,4,5,6]\n[9]\n");
  std::ofstream(dir_ / "bad.jsonl") << "\"ab\"\nnot json\n";
  r = run_cli("tokenize " + m() + " --jsonl " + (dir_ / "bad.jsonl").string());
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.out.find("line 2"), std::string::npos) << r.out;
}

TEST_F(CliTokenize, BadInputIsAnErrorNotACrash) {
  CliResult r = run_cli("detokenize " + m() + " --ids 3,99999");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("99999"), std::string::npos) << r.out;
  r = run_cli("detokenize " + m() + " --ids 3,x");
  EXPECT_EQ(r.rc, 1);
  std::ofstream(dir_ / "tokenizer.json") << "{\"model\": {\"type\": \"BPE\", \"vocab\": [";
  r = run_cli("tokenize " + m() + " --text a");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("tokenizer.json"), std::string::npos) << r.out;
  r = run_cli("tokenize -m " + (dir_ / "missing").string() + " --text a");
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("no tokenizer.json"), std::string::npos) << r.out;
}

}  // namespace
