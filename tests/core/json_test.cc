#include "core/json.h"

#include <cmath>

#include <gtest/gtest.h>

namespace nt {
namespace {

TEST(Json, AcceptsPythonInfinity) {
  auto j = parse_json(R"({"time_step_limit": [0.0, Infinity], "s": "Infinity is a word", "n": -Infinity})", "t");
  ASSERT_TRUE(j.is_ok()) << j.status().message();
  double v = 0;
  ASSERT_TRUE(json_number((*j)["time_step_limit"][1], &v));
  EXPECT_TRUE(std::isinf(v) && v > 0);
  EXPECT_EQ((*j)["s"].get<std::string>(), "Infinity is a word");
  ASSERT_TRUE(json_number((*j)["n"], &v));
  EXPECT_TRUE(std::isinf(v) && v < 0);
}

TEST(Json, AcceptsTransformers5FloatObject) {
  auto j = parse_json(R"({"l": [0.0, {"__float__": "Infinity"}]})", "t");
  ASSERT_TRUE(j.is_ok());
  double v = 0;
  ASSERT_TRUE(json_number((*j)["l"][1], &v));
  EXPECT_TRUE(std::isinf(v));
}

TEST(Json, ReportsSyntaxErrorWithName) {
  auto j = parse_json("{\"a\": [1, 2", "config.json");
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("config.json"), std::string::npos);
}

TEST(Json, RejectsDeepNesting) {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  auto j = parse_json(deep, "deep");
  ASSERT_FALSE(j.is_ok());
  EXPECT_NE(j.status().message().find("nesting"), std::string::npos);
}

}  // namespace
}  // namespace nt
