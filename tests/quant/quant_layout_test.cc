// Known-answer block layouts (hand-computed bytes / values), the traits table, row-length checks,
// and quantize -> dequantize error bounds on random data.
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/dtype.h"
#include "quant/ggml_type.h"
#include "quant/reference.h"

namespace nt {
namespace {

TEST(GgmlTypes, IdsAndSizesAreGgmls) {
  struct Want { uint32_t id; const char* name; int64_t block; size_t bytes; };
  // From ggml.h / ggml-common.h.
  const Want want[] = {{0, "f32", 1, 4},      {1, "f16", 1, 2},       {2, "q4_0", 32, 18},   {3, "q4_1", 32, 20},
                       {6, "q5_0", 32, 22},   {7, "q5_1", 32, 24},    {8, "q8_0", 32, 34},   {9, "q8_1", 32, 36},
                       {10, "q2_K", 256, 84}, {11, "q3_K", 256, 110}, {12, "q4_K", 256, 144}, {13, "q5_K", 256, 176},
                       {14, "q6_K", 256, 210}, {15, "q8_K", 256, 292}, {30, "bf16", 1, 2}};
  for (const auto& w : want) {
    const GgmlTypeTraits* t = ggml_type_traits(w.id);
    ASSERT_NE(t, nullptr) << w.name;
    EXPECT_EQ(t->name, w.name);
    EXPECT_EQ(t->block_size, w.block);
    EXPECT_EQ(t->type_size, w.bytes);
    EXPECT_EQ(t->is_quantized, w.block > 1);
  }
  for (uint32_t unknown : {4u, 5u, 16u, 29u, 31u, 1000u}) EXPECT_EQ(ggml_type_traits(unknown), nullptr) << unknown;
  EXPECT_EQ(ggml_type_traits(GgmlType::Q8_1).dequantize, nullptr);  // activation-only: unsupported for loading
  GgmlType t;
  EXPECT_TRUE(ggml_type_from_name("Q4_K", &t));
  EXPECT_EQ(t, GgmlType::Q4_K);
}

TEST(GgmlTypes, RowLengthMustBeAMultipleOfTheBlockSize) {
  EXPECT_EQ(ggml_row_size(GgmlType::Q4_K, 512).value(), 288u);
  EXPECT_EQ(ggml_row_size(GgmlType::F16, 7).value(), 14u);
  auto bad = ggml_row_size(GgmlType::Q4_K, 100);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("not a multiple of the q4_K block size 256"), std::string::npos)
      << bad.status().message();
  std::vector<float> x(64, 1.0f), y(64);
  std::vector<uint8_t> q(1024);
  EXPECT_FALSE(quantize_row(GgmlType::Q4_0, x.data(), q.data(), 33).is_ok());
  EXPECT_FALSE(quantize_row(GgmlType::Q8_0, x.data(), q.data(), -32).is_ok());
  EXPECT_FALSE(dequantize_row(GgmlType::Q6_K, q.data(), y.data(), 64).is_ok());
  EXPECT_FALSE(dequantize_row(GgmlType::Q8_1, q.data(), y.data(), 32).is_ok());  // no dequantizer
  x[5] = NAN;
  Status st = quantize_row(GgmlType::Q8_0, x.data(), q.data(), 64);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("non-finite value at index 5"), std::string::npos);
}

// x = [-8, -7, ..., 7, 7, 6, ..., -8]: the first -8 is the signed max, so d = -8 / -8 = 1 and
// q = trunc(x + 8.5): j for the first half, 15 - j for the second. Byte j = q[j] | q[j+16] << 4.
TEST(BlockLayout, Q4_0HandComputed) {
  float x[32];
  for (int j = 0; j < 16; ++j) {
    x[j] = static_cast<float>(j - 8);
    x[16 + j] = static_cast<float>(7 - j);
  }
  BlockQ4_0 b;
  quant::quantize_row_q4_0(x, &b, 32);
  const uint8_t want[18] = {0x00, 0x3C, 0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x96,
                            0x87, 0x78, 0x69, 0x5A, 0x4B, 0x3C, 0x2D, 0x1E, 0x0F};
  EXPECT_EQ(std::memcmp(&b, want, 18), 0);
  float y[32];
  quant::dequantize_row_q4_0(&b, y, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], x[j]) << j;
}

// amax = 127 -> d = 1 (fp16 0x3C00); q = roundf(x): -63.5 rounds away from zero to -64 (0xC0).
TEST(BlockLayout, Q8_0HandComputed) {
  float x[32] = {127.0f, -63.5f, 0.49f, 2.5f};
  BlockQ8_0 b;
  quant::quantize_row_q8_0(x, &b, 32);
  const uint8_t want[6] = {0x00, 0x3C, 0x7F, 0xC0, 0x00, 0x03};
  EXPECT_EQ(std::memcmp(&b, want, 6), 0);
}

// Q5_0 with d = 1: element 0 = -16 (q 0), element 1 = 15 (q 31: nibble F, high bit 1 -> qh bit 1),
// element 17 = 0 (q 16: nibble 0, high bit 1 -> qh bit 17).
TEST(BlockLayout, Q5_0HandComputed) {
  BlockQ5_0 b{};
  b.d = 0x3C00;
  b.qs[1] = 0x0F;
  const uint32_t qh = (1u << 1) | (1u << 17);
  std::memcpy(b.qh, &qh, 4);
  float y[32];
  quant::dequantize_row_q5_0(&b, y, 32);
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[1], 15.0f);
  EXPECT_EQ(y[17], 0.0f);
  EXPECT_EQ(y[16], -16.0f);
}

// Q4_K: sub-block 0 scale 5 / min 3, sub-block 1 scale 7 / min 2 (bytes 0..7 low 6 bits);
// sub-block 4 scale 42 = 0b10'1010 (low nibble in byte 8, top bits in byte 0 bits 6-7) and
// min 17 = 0b01'0001 (high nibble of byte 8, top bits in byte 4 bits 6-7). d = 1, dmin = 0.5.
TEST(BlockLayout, Q4_KHandComputed) {
  BlockQ4_K b{};
  b.d = 0x3C00;
  b.dmin = 0x3800;
  b.scales[0] = 5 | (2 << 6);
  b.scales[1] = 7;
  b.scales[4] = 3 | (1 << 6);
  b.scales[5] = 2;
  b.scales[8] = 0x1A;
  b.qs[0] = 0x4F;   // element 0: 15 (sub-block 0); element 32: 4 (sub-block 1)
  b.qs[64] = 0x03;  // element 128: 3 (sub-block 4)
  float y[256];
  quant::dequantize_row_q4_K(&b, y, 256);
  EXPECT_EQ(y[0], 5 * 15 - 0.5f * 3);
  EXPECT_EQ(y[1], -0.5f * 3);
  EXPECT_EQ(y[32], 7 * 4 - 0.5f * 2);
  EXPECT_EQ(y[128], 42 * 3 - 0.5f * 17);
  EXPECT_EQ(y[129], -0.5f * 17);
  EXPECT_EQ(y[64], 0.0f);  // sub-block 2: scale 0, min 0
}

// Q6_K: d = 0.5, scales[j] = j + 1 except scales[3] = -2. Element e of the first 128 uses ql[e % 32
// (+32 for e%64 >= 32)], nibble e < 64 ? low : high, and qh[e % 32] bits 2*(e / 32).
TEST(BlockLayout, Q6_KHandComputed) {
  BlockQ6_K b{};
  b.d = 0x3800;
  for (int j = 0; j < 16; ++j) b.scales[j] = static_cast<int8_t>(j + 1);
  b.scales[3] = -2;
  b.ql[0] = 0x21;      // element 0: low 4 bits 1; element 64: low 4 bits 2
  b.qh[0] = 0xE4;      // 0b11'10'01'00: element 0 hi 0, element 32 hi 1, element 64 hi 2, element 96 hi 3
  b.ql[64 + 5] = 0x0F; // second half: element 128 + 5 low bits 15
  b.ql[32 + 20] = 0x70;// element 96 + 20 low bits 7 (high nibble of ql[52]); element 32 + 20 low 0
  float y[256];
  quant::dequantize_row_q6_K(&b, y, 256);
  EXPECT_EQ(y[0], 0.5f * 1 * (1 - 32));
  EXPECT_EQ(y[32], 0.5f * 3 * (16 - 32));
  EXPECT_EQ(y[64], 0.5f * 5 * (34 - 32));
  EXPECT_EQ(y[96], 0.5f * 7 * (48 - 32));
  EXPECT_EQ(y[1], 0.5f * 1 * -32);
  EXPECT_EQ(y[48], 0.5f * -2 * -32);  // sub-block 3 has the negative scale
  EXPECT_EQ(y[133], 0.5f * 9 * (15 - 32));
  EXPECT_EQ(y[116], 0.5f * 8 * (7 - 32));
  EXPECT_EQ(y[52], 0.5f * -2 * -32);  // element 32 + 20 is in sub-block 3 too
}

// --- error bounds on random data -------------------------------------------------------------------

struct Bound {
  GgmlType type;
  double max_err_per_block_scale;  // max |x - x'| <= this * (block amax), per 32-element block
  double rel_rmse;                 // RMSE / RMS of the whole row
};

class QuantErrorBound : public ::testing::TestWithParam<Bound> {};

// Bounds: Q8_0 d = amax/127, error <= d/2 plus fp16 rounding of d (127 * 2^-11 d) -> 0.0045 amax.
// Q4_0 d = amax/8, error <= d (the level +8 is clamped to 7) -> 0.126 amax; Q5_0 d = amax/16 -> 0.063.
// Q4_1 / Q5_1: d = range/15 (31), error <= d/2 + fp16 rounding: range <= 2 amax -> 0.068 / 0.034 amax.
// K-quants have no closed form (searched scales, 6-bit scale codes): bounds are generous multiples of
// their measured errors on N(0,1) data (Q4_K ~0.2 amax, Q5_K ~0.1, Q6_K ~0.05 per 32 elements).
TEST_P(QuantErrorBound, GaussianRows) {
  const Bound b = GetParam();
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t n = 4096;
  std::vector<float> x(n), y(n);
  for (auto& v : x) v = normal(rng);
  std::vector<uint8_t> q(ggml_row_size(b.type, n).value() + 8);
  ASSERT_TRUE(quantize_row(b.type, x.data(), q.data(), n).is_ok());
  ASSERT_TRUE(dequantize_row(b.type, q.data(), y.data(), n).is_ok());
  double se = 0, sx = 0;
  for (int64_t blk = 0; blk < n / 32; ++blk) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[blk * 32 + j]));
    for (int j = 0; j < 32; ++j) {
      const double e = std::fabs(static_cast<double>(x[blk * 32 + j]) - y[blk * 32 + j]);
      EXPECT_LE(e, b.max_err_per_block_scale * amax) << ggml_type_name(b.type) << " element " << blk * 32 + j;
      se += e * e;
      sx += static_cast<double>(x[blk * 32 + j]) * x[blk * 32 + j];
    }
  }
  EXPECT_LE(std::sqrt(se / sx), b.rel_rmse) << ggml_type_name(b.type);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantErrorBound,
                         ::testing::Values(Bound{GgmlType::Q8_0, 0.0045, 0.006}, Bound{GgmlType::Q4_0, 0.126, 0.12},
                                           Bound{GgmlType::Q5_0, 0.063, 0.06}, Bound{GgmlType::Q4_1, 0.068, 0.09},
                                           Bound{GgmlType::Q5_1, 0.034, 0.045}, Bound{GgmlType::Q4_K, 0.35, 0.10},
                                           Bound{GgmlType::Q5_K, 0.18, 0.05}, Bound{GgmlType::Q6_K, 0.09, 0.025},
                                           Bound{GgmlType::F16, 0.0005, 0.0004},
                                           Bound{GgmlType::BF16, 0.004, 0.003}),
                         [](const ::testing::TestParamInfo<Bound>& info) {
                           return std::string(ggml_type_name(info.param.type));
                         });

TEST(QuantErrorBound, AllZeroAndConstantBlocksAreExact) {
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q4_K,
                     GgmlType::Q5_K, GgmlType::Q6_K}) {
    std::vector<float> x(256, 0.0f), y(256, 1.0f);
    std::vector<uint8_t> q(ggml_row_size(t, 256).value());
    ASSERT_TRUE(quantize_row(t, x.data(), q.data(), 256).is_ok());
    ASSERT_TRUE(dequantize_row(t, q.data(), y.data(), 256).is_ok());
    for (float v : y) ASSERT_EQ(v, 0.0f) << ggml_type_name(t);
  }
}

}  // namespace
}  // namespace nt
