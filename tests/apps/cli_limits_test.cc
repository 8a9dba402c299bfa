// Oversized input through the CLI (docs/SECURITY.md): a 10 MB prompt file is refused with one clear line once
// it is tokenized (the model's context, max_position_embeddings, is the default limit), never prefilled.
#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace nt {
namespace {

TEST(CliLimits, TenMegabytePromptIsRefused) {
  test::TempDir dir;
  std::string text;
  const std::string line = "The jury said that the election was conducted well, and that it was over.\n";
  while (text.size() < (size_t{10} << 20)) text += line;
  test::write_file(dir.file("prompt.txt"), text);
  auto r = test::run_cli({"run", "-f", dir.file("prompt.txt"), "-n", "1", "--temp", "0"});
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the context limit is 4096"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out.substr(0, 200);
}

TEST(CliLimits, ExplicitContextStillApplies) {
  auto r = test::run_cli({"run", "-p", "The jury said that the city", "-n", "1", "--ctx", "3"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("the context limit is 3"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nt
