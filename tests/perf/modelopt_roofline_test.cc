// `nemotron bench` on ModelOpt checkpoints: decode reads every stored tensor once (the embedding table one row),
// NVFP4 block scales and per-channel FP8 scales included; scalar scales are not counted. The checkpoints are the
// 8B shape synthesized at 1/32 with F32 for everything unquantized, so the load-time fp32 vectors have their
// stored size.
#include <gtest/gtest.h>

#include <string>

#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/hf_synth.h"
#include "formats/synth_weights.h"
#include "model/hybrid_lm.h"
#include "perf/model_roofline.h"
#include "quant/modelopt_export.h"
#include "test_util.h"

namespace nt {
namespace {

TEST(ModelRoofline, ModelOptDecodeBytesAreEveryTensorButTheEmbeddingTableAndScalars) {
  auto text = read_text_file(test::source_dir() + "/configs/Nemotron-H-8B.json");
  ASSERT_TRUE(text.is_ok());
  auto c = parse_model_config(*text);
  ASSERT_TRUE(c.is_ok());
  for (const char* type : {"nvfp4", "fp8_per_channel", "fp8"}) {
    HfSynthOptions o;
    ASSERT_TRUE(modelopt_algo_from_type(type, &o.algo));
    o.dtype = DType::F32;
    test::TempDir tmp;
    ASSERT_TRUE(synth_hf(tmp.path(), shrink_config(*c, 1.0 / 32), o).is_ok());
    auto lm = HybridLM::load(tmp.path());
    ASSERT_TRUE(lm) << lm.status().message();
    double expected = 0;
    for (const auto& [name, t] : (*lm)->store().tensors()) {
      if (t.rank() == 0) continue;  // weight_scale (per tensor), weight_scale_2, input_scale
      expected += ends_with(name, "embeddings.weight") ? static_cast<double>(t.nbytes) / static_cast<double>(t.dim(0))
                                                       : static_cast<double>(t.nbytes);
    }
    EXPECT_DOUBLE_EQ(perf::decode_bytes(**lm).weights, expected) << type;
  }
}

}  // namespace
}  // namespace nt
