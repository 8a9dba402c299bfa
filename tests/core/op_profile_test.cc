// Op names of the profile: a weight's role, the same for every layer and every routed expert.
#include <gtest/gtest.h>

#include "core/op_profile.h"

namespace nt {
namespace {

TEST(OpProfile, WeightRoleDropsLayerAndExpertIndex) {
  EXPECT_EQ(prof::weight_role("blk.12.ssm_in.weight"), "ssm_in");
  EXPECT_EQ(prof::weight_role("backbone.layers.12.mixer.in_proj.weight"), "mixer.in_proj");
  EXPECT_EQ(prof::weight_role("backbone.layers.3.mixer.experts.up_proj[17]"), "mixer.experts.up_proj");
  EXPECT_EQ(prof::weight_role("backbone.layers.3.mixer.experts.5.down_proj.weight"), "down_proj");
  EXPECT_EQ(prof::weight_role("lm_head.weight"), "lm_head");
  EXPECT_EQ(prof::weight_role("odd[x]"), "odd[x]");
  EXPECT_EQ(prof::weight_role("[]"), "[]");
}

}  // namespace
}  // namespace nt
