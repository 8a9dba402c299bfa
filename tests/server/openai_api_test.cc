// The OpenAI request/response layer without sockets: validation, limits, tool calls in both Nemotron formats,
// reasoning split into reasoning_content, usage and the SSE framing.
#include "server/openai_api.h"

#include <gtest/gtest.h>

namespace nt::server {
namespace {

ApiLimits limits() {
  ApiLimits l;
  l.model_name = "tiny";
  l.max_context = 1000;
  return l;
}

std::optional<ApiError> parse(const std::string& text, ApiRequest* out, bool chat = true) {
  auto j = parse_json(text, "test");
  EXPECT_TRUE(j.is_ok()) << text;
  return parse_request(*j, chat, limits(), out);
}

TEST(OpenAiApi, ParsesAChatRequest) {
  ApiRequest r;
  auto e = parse(R"({"model": "tiny", "messages": [{"role": "developer", "content": "sys"},
      {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
      "max_completion_tokens": 7, "temperature": 0.5, "top_p": 0.9, "seed": 3, "stop": "END", "stream": true,
      "stream_options": {"include_usage": true}, "chat_template_kwargs": {"enable_thinking": false},
      "max_thinking_tokens": 12})", &r);
  ASSERT_FALSE(e) << e->message;
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.gen.sampling.max_tokens, 7);
  EXPECT_FLOAT_EQ(r.gen.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.gen.sampling.top_p, 0.9f);
  EXPECT_EQ(r.gen.sampling.seed, 3u);
  EXPECT_EQ(r.gen.stop, std::vector<std::string>{"END"});
  EXPECT_EQ(r.gen.budget.max_reasoning_tokens, 12);
  EXPECT_TRUE(r.gen.split_reasoning);
  const auto& msgs = r.template_request["messages"];
  EXPECT_EQ(msgs[0]["role"], "system");
  EXPECT_EQ(msgs[1]["content"], "ab");
  EXPECT_EQ(r.template_request["enable_thinking"], false);
}

TEST(OpenAiApi, RejectsBadRequestsWithOpenAiErrors) {
  struct Case {
    const char* body;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {R"([1])", 400, "invalid_type"},
      {R"({})", 400, "missing_required_parameter"},
      {R"({"messages": {}})", 400, "invalid_type"},
      {R"({"messages": []})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user"}]})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": 1}]})", 400, "invalid_type"},
      {R"({"messages": [{"role": "user", "content": "x"}], "model": "other"})", 404, "model_not_found"},
      {R"({"messages": [{"role": "user", "content": "x"}], "model": 5})", 400, "invalid_type"},
      {R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 1001})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 18446744073709551615})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": "x"}], "temperature": -1})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": "x"}], "top_p": 0})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": "x"}], "n": 2})", 400, "invalid_value"},
      {R"({"messages": [{"role": "user", "content": "x"}], "stop": [1]})", 400, "invalid_type"},
      {R"({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {}}]})", 400,
       "invalid_value"},
      {R"({"messages": [{"role": "assistant", "content": null, "tool_calls": [{"function": {"name": "f",
          "arguments": "not json"}}]}]})", 400, "invalid_value"},
  };
  for (const Case& c : cases) {
    ApiRequest r;
    auto e = parse(c.body, &r);
    ASSERT_TRUE(e.has_value()) << c.body;
    EXPECT_EQ(e->http_status, c.status) << c.body;
    EXPECT_EQ(e->code, c.code) << c.body;
    Json j = error_json(*e);
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  }
  ApiRequest r;
  EXPECT_TRUE(parse(R"({"prompt": {}})", &r, /*chat=*/false));
  EXPECT_FALSE(parse(R"({"prompt": ["one"]})", &r, /*chat=*/false));
  EXPECT_EQ(r.prompt_text, "one");
  EXPECT_EQ(r.gen.sampling.max_tokens, 16);  // OpenAI's completions default
}

TEST(OpenAiApi, ContextChecks) {
  ApiRequest r;
  ASSERT_FALSE(parse(R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 100})", &r));
  EXPECT_FALSE(check_context(900, r, limits()));
  auto e = check_context(901, r, limits());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "context_length_exceeded");
  ApiRequest unbounded;
  ASSERT_FALSE(parse(R"({"messages": [{"role": "user", "content": "x"}]})", &unbounded));
  EXPECT_FALSE(check_context(999, unbounded, limits()));
  EXPECT_TRUE(check_context(1000, unbounded, limits()));
}

Json weather_tools() {
  return Json::parse(R"([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
      "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}}}])");
}

TEST(OpenAiApi, ToolCallsFromTheXmlFormat) {
  GenerateResult r;
  r.content = "Let me check.\n<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n"
              "<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>";
  r.tokens = {1, 2, 3};
  r.prompt_tokens = 10;
  ChatMessage m = finish_chat_message(r, weather_tools(), 1);
  ASSERT_EQ(m.tool_calls.size(), 1u);
  EXPECT_EQ(m.finish_reason, "tool_calls");
  EXPECT_EQ(m.content, "Let me check.");
  EXPECT_EQ(m.tool_calls[0].name, "get_weather");
  EXPECT_EQ(Json::parse(m.tool_calls[0].arguments), Json::parse(R"({"city": "Paris", "days": 3})"));
  Json resp = chat_completion_json({"chatcmpl-1", "tiny", 5}, m, r);
  EXPECT_EQ(resp["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_EQ(resp["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(resp["choices"][0]["message"]["tool_calls"][0]["type"], "function");
  EXPECT_EQ(resp["usage"]["total_tokens"], 13);
}

TEST(OpenAiApi, ToolCallsFromTheJsonFormat) {
  GenerateResult r;
  r.content = R"(<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Oslo"}}]</TOOLCALL>)";
  ChatMessage m = finish_chat_message(r, weather_tools(), 1);
  ASSERT_EQ(m.tool_calls.size(), 1u);
  EXPECT_EQ(m.content, "");
  EXPECT_EQ(Json::parse(m.tool_calls[0].arguments), Json::parse(R"({"city": "Oslo"})"));
  Json resp = chat_completion_json({"chatcmpl-1", "tiny", 5}, m, r);
  EXPECT_TRUE(resp["choices"][0]["message"]["content"].is_null());
}

TEST(OpenAiApi, NoToolsMeansNoToolParsing) {
  GenerateResult r;
  r.content = "<tool_call>\n<function=get_weather>\n</function>\n</tool_call>";
  r.finish = FinishReason::Length;
  ChatMessage m = finish_chat_message(r, Json(), 1);
  EXPECT_TRUE(m.tool_calls.empty());
  EXPECT_EQ(m.content, r.content);
  EXPECT_EQ(m.finish_reason, "length");
}

TEST(OpenAiApi, ReasoningAndSseFraming) {
  GenerateResult r;
  r.content = "answer";
  r.reasoning = "thoughts";
  r.reused_tokens = 4;
  ChatMessage m = finish_chat_message(r, Json(), 0);
  Json resp = chat_completion_json({"chatcmpl-1", "tiny", 5}, m, r);
  EXPECT_EQ(resp["choices"][0]["message"]["reasoning_content"], "thoughts");
  EXPECT_EQ(resp["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
  Json chunk = chat_chunk_json({"chatcmpl-1", "tiny", 5}, {{"content", "a"}}, "");
  EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  const std::string ev = sse_event(chunk);
  EXPECT_EQ(ev.rfind("data: {", 0), 0u);
  EXPECT_EQ(ev.substr(ev.size() - 2), "\n\n");
  EXPECT_EQ(dump_json(Json(std::string("\xff"))), "\"\xEF\xBF\xBD\"");  // invalid UTF-8 never throws
}

}  // namespace
}  // namespace nt::server
