// Resource limits of the OpenAI request layer (docs/SECURITY.md): oversized or deeply nested parts of a request
// are refused with a 400 before anything is built from them.
#include <gtest/gtest.h>

#include <string>

#include "core/json.h"
#include "server/openai_api.h"

namespace nt::server {
namespace {

std::optional<ApiError> parse_chat(const Json& body, ApiRequest* out) {
  ApiLimits l;
  l.model_name = "tiny";
  l.max_context = 1000;
  return parse_request(body, /*chat=*/true, l, out);
}

Json assistant_call(const std::string& arguments) {
  return {{"messages",
           Json::array({{{"role", "user"}, {"content", "x"}},
                        {{"role", "assistant"},
                         {"content", nullptr},
                         {"tool_calls", Json::array({{{"id", "c1"},
                                                      {"type", "function"},
                                                      {"function", {{"name", "f"}, {"arguments", arguments}}}}})}}})}};
}

// Tool-call arguments arrive as a JSON text inside a string, out of reach of the body's nesting limit. Nested
// 200,000 deep they used to be parsed without a limit and then copied recursively (a stack overflow).
TEST(OpenAiLimits, DeeplyNestedToolArgumentsAreRefused) {
  const size_t depth = 200000;
  const std::string deep = "{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  ApiRequest r;
  auto e = parse_chat(assistant_call(deep), &r);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->http_status, 400);
  EXPECT_EQ(e->param, "messages[1].tool_calls[0].function.arguments");
  EXPECT_NE(e->message.find("nesting deeper than the limit of 64"), std::string::npos) << e->message;
}

TEST(OpenAiLimits, ModeratelyNestedToolArgumentsAreAccepted) {
  const std::string ok = "{\"a\":" + std::string(40, '[') + std::string(40, ']') + "}";
  ApiRequest r;
  EXPECT_FALSE(parse_chat(assistant_call(ok), &r).has_value());
}

TEST(OpenAiLimits, HugeCountsAreRefused) {
  Json base = {{"messages", Json::array({{{"role", "user"}, {"content", "x"}}})}};
  struct Case {
    const char* key;
    Json value;
  };
  const Case cases[] = {
      {"max_tokens", Json(uint64_t{1} << 40)},
      {"max_completion_tokens", Json(int64_t{-5})},
      {"n", Json(1000000)},
      {"stop", Json(std::vector<std::string>(1000, "s"))},
      {"max_thinking_tokens", Json(int64_t{1} << 40)},
      {"top_k", Json(int64_t{1} << 40)},
  };
  for (const Case& c : cases) {
    Json body = base;
    body[c.key] = c.value;
    ApiRequest r;
    auto e = parse_chat(body, &r);
    ASSERT_TRUE(e.has_value()) << c.key;
    EXPECT_EQ(e->http_status, 400) << c.key;
    EXPECT_EQ(e->param, c.key);
  }
}

}  // namespace
}  // namespace nt::server
