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

TEST(CliLimits, OversizedChatMessageIsRefused) {
  // One 1 MB line on stdin: far beyond the bundled model's 4096-token context, refused before any prefill.
  std::string message;
  while (message.size() < (size_t{1} << 20)) message += "The jury said that the election was over. ";
  auto r = test::run_cli({"chat", "--quiet", "--no-think"}, message + "\n");
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.exit_code, 1) << r.err.substr(0, 300);
  EXPECT_NE(r.err.find("the context limit is 4096"), std::string::npos) << r.err.substr(0, 300);
}

}  // namespace
}  // namespace nt
