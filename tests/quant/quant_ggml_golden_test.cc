// Our reference quantizers, dequantizers and dot products against vectors produced by ggml itself
// (tests/data/quant, written by tools/reference/ggml_golden.py through ggml's C library).
// Quantized bytes and dequantized floats must be identical; dot products identical too.
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "quant/ggml_type.h"
#include "quant/reference.h"

namespace nt {
namespace {

std::vector<uint8_t> read_file(const std::string& name) {
  std::ifstream f(std::string(NEMOTRON_SOURCE_DIR) + "/tests/data/quant/" + name, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

struct QuantGolden {
  uint32_t n_rows = 0, n_per_row = 0, row_bytes = 0;
  std::vector<float> input, dequantized;
  std::vector<uint8_t> quantized;
};

QuantGolden load_quant(const std::string& type) {
  std::vector<uint8_t> b = read_file(type + ".bin");
  QuantGolden g;
  if (b.size() < 16 || std::memcmp(b.data(), "NTQG", 4) != 0) return g;
  std::memcpy(&g.n_rows, b.data() + 4, 4);
  std::memcpy(&g.n_per_row, b.data() + 8, 4);
  std::memcpy(&g.row_bytes, b.data() + 12, 4);
  const size_t n = size_t{g.n_rows} * g.n_per_row, q = size_t{g.n_rows} * g.row_bytes;
  if (b.size() != 16 + n * 4 * 2 + q) return QuantGolden{};
  g.input.resize(n);
  g.quantized.resize(q);
  g.dequantized.resize(n);
  std::memcpy(g.input.data(), b.data() + 16, n * 4);
  std::memcpy(g.quantized.data(), b.data() + 16 + n * 4, q);
  std::memcpy(g.dequantized.data(), b.data() + 16 + n * 4 + q, n * 4);
  return g;
}

class GgmlGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(GgmlGolden, QuantizeMatchesGgmlBytesAndDequantizeMatchesGgmlFloats) {
  const std::string name = GetParam();
  GgmlType type;
  ASSERT_TRUE(ggml_type_from_name(name, &type));
  const QuantGolden g = load_quant(name);
  ASSERT_GT(g.n_rows, 0u) << "missing or malformed tests/data/quant/" << name << ".bin";
  ASSERT_EQ(ggml_row_size(type, g.n_per_row).value(), g.row_bytes);
  const bool can_quantize = ggml_type_traits(type).quantize != nullptr;
  std::vector<uint8_t> ours(g.row_bytes + 8);  // + slack so misaligned writes would show
  std::vector<float> deq(g.n_per_row);
  for (uint32_t r = 0; r < g.n_rows; ++r) {
    const uint8_t* expected = g.quantized.data() + size_t{r} * g.row_bytes;
    if (can_quantize) {
      ASSERT_TRUE(quantize_row(type, g.input.data() + size_t{r} * g.n_per_row, ours.data(), g.n_per_row).is_ok());
      for (uint32_t i = 0; i < g.row_bytes; ++i) {
        ASSERT_EQ(ours[i], expected[i]) << name << " row " << r << " byte " << i << " (block "
                                        << i / ggml_type_traits(type).type_size << ")";
      }
    }
    // Dequantize ggml's bytes (copied to an aligned buffer) and compare with ggml's floats.
    std::memcpy(ours.data(), expected, g.row_bytes);
    ASSERT_TRUE(dequantize_row(type, ours.data(), deq.data(), g.n_per_row).is_ok());
    for (uint32_t i = 0; i < g.n_per_row; ++i) {
      const float want = g.dequantized[size_t{r} * g.n_per_row + i];
      ASSERT_EQ(std::memcmp(&deq[i], &want, 4), 0) << name << " row " << r << " element " << i << ": " << deq[i]
                                                   << " vs ggml " << want;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, GgmlGolden,
                         ::testing::Values("q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K",
                                           "q6_K"));

struct DotGolden {
  uint32_t n_rows = 0, n = 0;
  std::vector<float> w, act, result;
};

DotGolden load_dot(const std::string& wtype) {
  std::vector<uint8_t> b = read_file("dot_" + wtype + ".bin");
  DotGolden g;
  if (b.size() < 12 || std::memcmp(b.data(), "NTQD", 4) != 0) return g;
  std::memcpy(&g.n_rows, b.data() + 4, 4);
  std::memcpy(&g.n, b.data() + 8, 4);
  const size_t n = size_t{g.n_rows} * g.n;
  if (b.size() != 12 + n * 8 + size_t{g.n_rows} * 4) return DotGolden{};
  g.w.resize(n);
  g.act.resize(n);
  g.result.resize(g.n_rows);
  std::memcpy(g.w.data(), b.data() + 12, n * 4);
  std::memcpy(g.act.data(), b.data() + 12 + n * 4, n * 4);
  std::memcpy(g.result.data(), b.data() + 12 + n * 8, g.n_rows * 4);
  return g;
}

template <typename WBlock, typename ABlock>
void check_dot(const std::string& wname, void (*qw)(const float*, WBlock*, int64_t),
               void (*qa)(const float*, ABlock*, int64_t), float (*dot)(int64_t, const WBlock*, const ABlock*),
               int block) {
  const DotGolden g = load_dot(wname);
  ASSERT_GT(g.n_rows, 0u) << "missing tests/data/quant/dot_" << wname << ".bin";
  std::vector<WBlock> wq(g.n / block);
  std::vector<ABlock> aq(g.n / (sizeof(ABlock) == sizeof(BlockQ8_K) ? kQK_K : kQK8_0));
  for (uint32_t r = 0; r < g.n_rows; ++r) {
    qw(g.w.data() + size_t{r} * g.n, wq.data(), g.n);
    qa(g.act.data() + size_t{r} * g.n, aq.data(), g.n);
    const float got = dot(g.n, wq.data(), aq.data());
    EXPECT_EQ(got, g.result[r]) << wname << " row " << r;
  }
}

TEST(GgmlGoldenDot, Q8_0xQ8_0) {
  check_dot<BlockQ8_0, BlockQ8_0>("q8_0", quant::quantize_row_q8_0, quant::quantize_row_q8_0,
                                  quant::vec_dot_q8_0_q8_0, kQK8_0);
}
TEST(GgmlGoldenDot, Q4_0xQ8_0) {
  check_dot<BlockQ4_0, BlockQ8_0>("q4_0", quant::quantize_row_q4_0, quant::quantize_row_q8_0,
                                  quant::vec_dot_q4_0_q8_0, kQK4_0);
}
TEST(GgmlGoldenDot, Q4_KxQ8_K) {
  check_dot<BlockQ4_K, BlockQ8_K>("q4_K", quant::quantize_row_q4_K, quant::quantize_row_q8_K,
                                  quant::vec_dot_q4_K_q8_K, kQK_K);
}
TEST(GgmlGoldenDot, Q6_KxQ8_K) {
  check_dot<BlockQ6_K, BlockQ8_K>("q6_K", quant::quantize_row_q6_K, quant::quantize_row_q8_K,
                                  quant::vec_dot_q6_K_q8_K, kQK_K);
}

}  // namespace
}  // namespace nt
