// Export with several threads writes the same bytes as with one: rows are produced and quantized in parallel,
// but every row's result and the write order are fixed.
#include <gtest/gtest.h>

#include "core/mapped_file.h"
#include "formats/gguf_synth.h"
#include "model/config.h"
#include "test_util.h"

namespace nt {
namespace {

TEST(GgufExportThreads, SameBytesWithOneAndThreeThreads) {
  auto text = read_text_file(test::source_dir() + "/configs/NVIDIA-Nemotron-3-Nano-30B-A3B.json");
  ASSERT_TRUE(text.is_ok());
  auto cfg = parse_model_config(*text, "30B-A3B");
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().message();
  const ModelConfig c = shrink_config(*cfg, 1.0 / 64);
  test::TempDir tmp;
  for (GgufPreset p : {GgufPreset::Q4_0, GgufPreset::Q8_0}) {
    ASSERT_TRUE(synth_gguf(tmp.file("one.gguf"), c, p, 11, 1).is_ok());
    ASSERT_TRUE(synth_gguf(tmp.file("three.gguf"), c, p, 11, 3).is_ok());
    const std::string a = test::read_file(tmp.file("one.gguf")), b = test::read_file(tmp.file("three.gguf"));
    ASSERT_GT(a.size(), 10000u);
    EXPECT_TRUE(a == b) << "preset " << static_cast<int>(p);
  }
}

}  // namespace
}  // namespace nt
