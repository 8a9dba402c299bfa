// Bad input to the model commands: one clear line on stderr and a non-zero exit, never a crash.
#include <gtest/gtest.h>

#include <cstring>

#include "core/json.h"
#include "core/mapped_file.h"
#include "test_util.h"

namespace nt {
namespace {

// A copy of the dense_f32 fixture that a test may damage.
class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::copy(test::fixtures_dir() + "/dense_f32", tmp_.path(), std::filesystem::copy_options::recursive);
  }
  std::string weights() const { return tmp_.file("model.safetensors"); }
  Json config() const { return *parse_json(*read_text_file(tmp_.file("config.json")), "config"); }
  void set_config(const Json& j) { test::write_file(tmp_.file("config.json"), j.dump(2)); }

  // Replaces the safetensors JSON header (keeping the data section).
  void rewrite_header(const std::function<void(Json&)>& edit) {
    std::string bytes = test::read_file(weights());
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    Json h = Json::parse(bytes.substr(8, n));
    edit(h);
    std::string nh = h.dump();
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((nh.size() >> (8 * i)) & 0xff);
    test::write_file(weights(), out + nh + bytes.substr(8 + n));
  }

  // Runs `logits` on the damaged copy; expects failure with one stderr line containing `needle`.
  void expect_clean_failure(const std::string& needle, const std::string& tokens = "1,2,3") {
    auto r = test::run_cli({"logits", "-m", tmp_.path(), "--tokens", tokens, "--out", tmp_.file("o.npy")});
    EXPECT_EQ(r.signal, 0) << "crashed: " << r.err;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "expected one line, got: " << r.err;
  }

  test::TempDir tmp_;
};

TEST_F(BadInputTest, MissingDirectory) {
  std::filesystem::remove_all(tmp_.path());
  expect_clean_failure("no config.json");
}

TEST_F(BadInputTest, MissingWeights) {
  std::filesystem::remove(weights());
  expect_clean_failure("found 0 .safetensors files");
}

TEST_F(BadInputTest, TruncatedSafetensors) {
  std::string b = test::read_file(weights());
  test::write_file(weights(), b.substr(0, b.size() / 2));
  expect_clean_failure("truncated");
}

TEST_F(BadInputTest, TinyFile) {
  test::write_file(weights(), "abc");
  expect_clean_failure("too short");
}

TEST_F(BadInputTest, HugeHeaderLength) {
  std::string b = test::read_file(weights());
  for (int i = 0; i < 8; ++i) b[i] = '\x7f';
  test::write_file(weights(), b);
  expect_clean_failure("header length");
}

TEST_F(BadInputTest, BrokenHeaderJson) {
  std::string b = test::read_file(weights());
  b[8] = '[';
  b[9] = '{';
  test::write_file(weights(), b);
  expect_clean_failure("invalid JSON");
}

TEST_F(BadInputTest, OffsetsOutOfRange) {
  rewrite_header([](Json& h) {
    auto& e = h["backbone.norm_f.weight"]["data_offsets"];
    e[1] = e[1].get<uint64_t>() + (uint64_t{1} << 40);
  });
  expect_clean_failure("beyond the data section");
}

TEST_F(BadInputTest, DtypeSizeMismatch) {
  rewrite_header([](Json& h) { h["backbone.norm_f.weight"]["dtype"] = "BF16"; });
  expect_clean_failure("needs");
}

TEST_F(BadInputTest, UnknownDtype) {
  rewrite_header([](Json& h) { h["backbone.norm_f.weight"]["dtype"] = "Q9"; });
  expect_clean_failure("unsupported dtype 'Q9'");
}

TEST_F(BadInputTest, ConfigContradictsTensorShapes) {
  Json c = config();
  c["hidden_size"] = c["hidden_size"].get<int>() * 2;
  set_config(c);
  expect_clean_failure("expected [");
}

TEST_F(BadInputTest, ConfigHasFewerLayersThanCheckpoint) {
  Json c = config();
  std::string p = c["hybrid_override_pattern"];
  c["hybrid_override_pattern"] = p.substr(0, p.size() - 1);
  c.erase("num_hidden_layers");
  set_config(c);
  expect_clean_failure("unexpected tensor");
}

TEST_F(BadInputTest, ConfigHasMoreLayersThanCheckpoint) {
  Json c = config();
  c["hybrid_override_pattern"] = c["hybrid_override_pattern"].get<std::string>() + "-";
  c.erase("num_hidden_layers");
  set_config(c);
  expect_clean_failure("missing tensor");
}

TEST_F(BadInputTest, ConfigWrongLayerKind) {
  Json c = config();
  std::string p = c["hybrid_override_pattern"];
  p[0] = p[0] == 'M' ? '-' : 'M';
  c["hybrid_override_pattern"] = p;
  set_config(c);
  expect_clean_failure("layer 0");
}

TEST_F(BadInputTest, ConfigInvalidJson) {
  test::write_file(tmp_.file("config.json"), "{\"hidden_size\": 64,");
  expect_clean_failure("invalid JSON");
}

TEST_F(BadInputTest, ConfigWrongFieldType) {
  Json c = config();
  c["hidden_size"] = "wide";
  set_config(c);
  expect_clean_failure("field 'hidden_size' must be an integer");
}

TEST_F(BadInputTest, ConfigUnknownLayerChar) {
  Json c = config();
  c["hybrid_override_pattern"] = "MX";
  c.erase("num_hidden_layers");
  set_config(c);
  expect_clean_failure("has kind 'X'");
}

TEST_F(BadInputTest, ConfigLayerCountMismatch) {
  Json c = config();
  c["num_hidden_layers"] = 99;
  set_config(c);
  expect_clean_failure("num_hidden_layers is 99");
}

TEST_F(BadInputTest, TokenIdBeyondVocab) {
  const int vocab = config()["vocab_size"];
  expect_clean_failure("out of range: vocab_size is", "1," + std::to_string(vocab));
}

TEST_F(BadInputTest, MalformedTokenList) {
  expect_clean_failure("expected comma-separated integer ids", "1,x,3");
  expect_clean_failure("out of range", "1,-4");
}

TEST_F(BadInputTest, ShardIndexNamesMissingTensor) {
  Json idx = {{"weight_map", {{"backbone.norm_f.weight", "model.safetensors"}, {"backbone.ghost.weight", "model.safetensors"}}}};
  test::write_file(tmp_.file("model.safetensors.index.json"), idx.dump());
  expect_clean_failure("backbone.ghost.weight");
}

TEST_F(BadInputTest, UnknownOptionAndMissingArguments) {
  auto r = test::run_cli({"logits", "-m", tmp_.path(), "--bogus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown option '--bogus'"), std::string::npos);
  r = test::run_cli({"logits", "-m", tmp_.path(), "--tokens", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing --out"), std::string::npos);
  r = test::run_cli({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace nt
