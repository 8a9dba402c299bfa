// MoE router: selection by biased sigmoid scores, weights from unbiased ones, group limiting, scaling.
#include "ops/moe_router.h"

#include <cmath>

#include <gtest/gtest.h>

namespace nt {
namespace {

float sig(float x) { return 1.0f / (1.0f + std::exp(-x)); }

TEST(Router, BiasSelectsButDoesNotWeight) {
  std::vector<float> logits = {2.0f, 1.0f, 0.0f, -1.0f}, bias = {0.0f, 0.0f, 0.0f, 5.0f};
  Routing r = route_token({4, 2, 1, 1, true, 2.5f}, logits.data(), bias.data());
  ASSERT_EQ(r.experts, (std::vector<int32_t>{3, 0}));
  const float s3 = sig(-1.0f), s0 = sig(2.0f);
  EXPECT_NEAR(r.weights[0], s3 / (s3 + s0) * 2.5f, 1e-6);
  EXPECT_NEAR(r.weights[1], s0 / (s3 + s0) * 2.5f, 1e-6);
}

TEST(Router, NoRenormalization) {
  std::vector<float> logits = {0.5f, -0.5f, 3.0f}, bias(3, 0.0f);
  Routing r = route_token({3, 2, 1, 1, false, 1.0f}, logits.data(), bias.data());
  ASSERT_EQ(r.experts, (std::vector<int32_t>{2, 0}));
  EXPECT_NEAR(r.weights[0], sig(3.0f), 1e-7);
  EXPECT_NEAR(r.weights[1], sig(0.5f), 1e-7);
}

TEST(Router, GroupLimitedTopK) {
  // Two groups of 4. Group 0 holds the single best expert (0) but group 1 has the better top-2 sum,
  // so with topk_group = 1 only group 1's experts are eligible.
  std::vector<float> logits = {4.0f, -4.0f, -4.0f, -4.0f, 2.0f, 2.0f, 1.5f, -3.0f}, bias(8, 0.0f);
  Routing limited = route_token({8, 2, 2, 1, true, 1.0f}, logits.data(), bias.data());
  EXPECT_EQ(limited.experts, (std::vector<int32_t>{4, 5}));
  Routing free = route_token({8, 2, 1, 1, true, 1.0f}, logits.data(), bias.data());
  EXPECT_EQ(free.experts, (std::vector<int32_t>{0, 4}));
}

}  // namespace
}  // namespace nt
