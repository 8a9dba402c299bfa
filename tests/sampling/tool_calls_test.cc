// Tool-call parsing. Expected `arguments` strings are written in the format of Python's
// json.dumps(..., ensure_ascii=False) (", " and ": " separators, key order kept), which is what vLLM's parsers return.
#include "sampling/tool_calls.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace nt {
namespace {

// ---- Nano v2: <TOOLCALL>[...]</TOOLCALL> ----

TEST(ToolCallsJson, SingleCallWithNestedArguments) {
  auto r = parse_tool_calls_json(
      R"(<TOOLCALL>[{"name": "get_weather", "arguments": {"city": "Paris", "opts": {"units": "C", "days": [1, 2]}, "a": true}}]</TOOLCALL>)");
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"city": "Paris", "opts": {"units": "C", "days": [1, 2]}, "a": true})");
  EXPECT_EQ(r.content, "");
  EXPECT_EQ(r.tool_calls[0].id.substr(0, 5), "call_");
  EXPECT_EQ(r.tool_calls[0].id.size(), 29u);
}

TEST(ToolCallsJson, MultipleCallsAndContent) {
  auto r = parse_tool_calls_json(
      "Let me check both.\n<TOOLCALL>[{\"name\": \"a\", \"arguments\": {\"x\": 1}}, "
      "{\"name\": \"b\", \"arguments\": {}}]</TOOLCALL>\n");
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].name, "a");
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"x": 1})");
  EXPECT_EQ(r.tool_calls[1].name, "b");
  EXPECT_EQ(r.tool_calls[1].arguments, "{}");
  EXPECT_EQ(r.content, "Let me check both.");
  EXPECT_NE(r.tool_calls[0].id, r.tool_calls[1].id);
}

TEST(ToolCallsJson, ArgumentVariants) {
  auto r = parse_tool_calls_json(
      R"(<TOOLCALL>[{"name": "s", "arguments": "{\"q\": 1}"}, {"name": "m"}, {"name": "u", "arguments": {"q": "café ☕"}}]</TOOLCALL>)");
  ASSERT_EQ(r.tool_calls.size(), 3u);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"q": 1})");  // a string is kept as written
  EXPECT_EQ(r.tool_calls[1].arguments, "{}");           // missing
  EXPECT_EQ(r.tool_calls[2].arguments, "{\"q\": \"caf\xC3\xA9 \xE2\x98\x95\"}");  // no \u escapes
}

TEST(ToolCallsJson, SingleObjectAndUnclosedTag) {
  auto r = parse_tool_calls_json(R"(<TOOLCALL>{"name": "f", "arguments": {"k": [1, {"z": null}]}})");
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"k": [1, {"z": null}]})");
}

TEST(ToolCallsJson, MalformedStaysContent) {
  for (const std::string& text : {
           std::string("<TOOLCALL>[{\"name\": \"f\", \"arguments\": {\"k\": 1}]</TOOLCALL>"),  // broken JSON
           std::string("<TOOLCALL>[{\"arguments\": {}}]</TOOLCALL>"),                         // no name
           std::string("<TOOLCALL>[{\"name\": 5}]</TOOLCALL>"),                               // name not a string
           std::string("<TOOLCALL>[\"f\"]</TOOLCALL>"),                                       // not an object
           std::string("<TOOLCALL>[{\"name\": \"f\"}, {\"nam\": \"g\"}]</TOOLCALL>"),          // one bad element
           std::string("<TOOLCALL>"),                                                         // empty
           std::string("plain text without tools"),
           std::string("<TOOLCALL>") + std::string(500, '[') + std::string(500, ']') + "</TOOLCALL>",  // too deep
       }) {
    auto r = parse_tool_calls_json(text);
    EXPECT_TRUE(r.tool_calls.empty()) << text;
    EXPECT_EQ(r.content, text);
  }
}

TEST(ToolCallsJson, IdsAreReproducible) {
  const std::string text = R"(<TOOLCALL>[{"name": "a"}, {"name": "b"}]</TOOLCALL>)";
  ToolCallOptions o;
  o.id_seed = 77;
  auto r1 = parse_tool_calls_json(text, o);
  auto r2 = parse_tool_calls_json(text, o);
  o.id_seed = 78;
  auto r3 = parse_tool_calls_json(text, o);
  EXPECT_EQ(r1.tool_calls[0].id, r2.tool_calls[0].id);
  EXPECT_NE(r1.tool_calls[0].id, r3.tool_calls[0].id);
}

// ---- Nemotron 3: <tool_call><function=...><parameter=...> ----

const char* kTools = R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {
     "city": {"type": "string"}, "days": {"type": "integer"}, "temp": {"type": "number"}, "exact": {"type": "number"},
     "metric": {"type": "boolean"}, "opts": {"type": "object"}, "tags": {"type": "array"}, "note": {"type": "string"},
     "plain": {"description": "no type"}, "when": {"type": "string", "enum": ["a"]}}}}},
  {"type": "function", "function": {"name": "noop"}}
])";

TEST(ToolCallsXml, TypesFollowTheSchema) {
  Json tools = Json::parse(kTools);
  ToolCallOptions o;
  o.tools = &tools;
  const std::string text =
      "I'll look it up.\n"
      "<tool_call>\n<function=get_weather>\n"
      "<parameter=city>\nNew York\n</parameter>\n"
      "<parameter=days>\n3\n</parameter>\n"
      "<parameter=temp>\n21.5\n</parameter>\n"
      "<parameter=exact>\n20.0\n</parameter>\n"
      "<parameter=metric>\nTrue\n</parameter>\n"
      "<parameter=opts>\n{\"a\": [1, 2], \"b\": {\"c\": \"d\"}}\n</parameter>\n"
      "<parameter=tags>\n[\"x\", \"y\"]\n</parameter>\n"
      "<parameter=note>\n42\n</parameter>\n"
      "<parameter=plain>\n7\n</parameter>\n"
      "<parameter=extra>\n{\"k\": 1}\n</parameter>\n"
      "<parameter=when>\nnull\n</parameter>\n"
      "</function>\n</tool_call>";
  auto r = parse_tool_calls_xml(text, o);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.tool_calls[0].arguments,
            R"({"city": "New York", "days": 3, "temp": 21.5, "exact": 20, "metric": true, )"
            R"("opts": {"a": [1, 2], "b": {"c": "d"}}, "tags": ["x", "y"], "note": "42", "plain": "7", )"
            R"("extra": "{\"k\": 1}", "when": null})");
  EXPECT_EQ(r.content, "I'll look it up.");
}

TEST(ToolCallsXml, BadTypedValuesDegradeAsVllmDoes) {
  Json tools = Json::parse(kTools);
  ToolCallOptions o;
  o.tools = &tools;
  auto r = parse_tool_calls_xml(
      "<tool_call>\n<function=get_weather>\n<parameter=days>\n3.5\n</parameter>\n<parameter=temp>\nwarm\n</parameter>\n"
      "<parameter=metric>\nyes\n</parameter>\n<parameter=opts>\n{broken\n</parameter>\n</function>\n</tool_call>",
      o);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"days": "3.5", "temp": "warm", "metric": false, "opts": "{broken"})");
}

TEST(ToolCallsXml, WithoutSchemaValuesAreStrings) {
  const std::string text = "<tool_call>\n<function=f>\n<parameter=n>\n5\n</parameter>\n<parameter=o>\n{\"a\": 1}\n"
                           "</parameter>\n<parameter=z>\nNULL\n</parameter>\n</function>\n</tool_call>";
  auto r = parse_tool_calls_xml(text);
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"n": "5", "o": "{\"a\": 1}", "z": null})");
  ToolCallOptions o;
  o.untyped_as_json = true;
  r = parse_tool_calls_xml(text, o);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"n": 5, "o": {"a": 1}, "z": null})");
}

TEST(ToolCallsXml, MultipleCallsAndMultilineValues) {
  auto r = parse_tool_calls_xml(
      "<tool_call>\n<function=write>\n<parameter=text>\nline 1\nline 2\n\n</parameter>\n</function>\n</tool_call>\n"
      "<tool_call>\n<function=noop>\n</function>\n</tool_call>\ntrailing words");
  ASSERT_EQ(r.tool_calls.size(), 2u);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"text": "line 1\nline 2\n"})");  // one newline removed at each end
  EXPECT_EQ(r.tool_calls[1].name, "noop");
  EXPECT_EQ(r.tool_calls[1].arguments, "{}");
  EXPECT_EQ(r.content, "trailing words");
}

TEST(ToolCallsXml, ToleratesMissingClosingTags) {
  // Generation stopped before the closing tags (e.g. EOS right after the value).
  auto r = parse_tool_calls_xml("<tool_call>\n<function=f>\n<parameter=a>\n1\n<parameter=b>\n2");
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].arguments, R"({"a": "1", "b": "2"})");
  // Bare <function=...> without <tool_call>.
  r = parse_tool_calls_xml("text <function=g>\n<parameter=x>\ny\n</parameter>\n</function>");
  ASSERT_EQ(r.tool_calls.size(), 1u);
  EXPECT_EQ(r.tool_calls[0].name, "g");
  EXPECT_EQ(r.content, "text");
}

TEST(ToolCallsXml, MalformedStaysContent) {
  for (const std::string& text : {
           std::string("<tool_call>\n<function=f\n<parameter"),          // name never closed
           std::string("<tool_call>\n<function=>\n</function>"),          // empty name
           std::string("<tool_call>\n<function=f>\n<parameter=x\n</function>\n</tool_call>"),  // param name unclosed
           std::string("<tool_call>\nno function here\n</tool_call>"),
           std::string("just text"),
           std::string(""),
       }) {
    auto r = parse_tool_calls_xml(text);
    EXPECT_TRUE(r.tool_calls.empty()) << text;
    EXPECT_EQ(r.content, text);
  }
}

TEST(ToolCalls, OpenAiShape) {
  auto r = parse_tool_calls_json(R"(<TOOLCALL>[{"name": "f", "arguments": {"a": 1}}]</TOOLCALL>)");
  Json j = tool_calls_to_openai(r.tool_calls);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["type"], "function");
  EXPECT_EQ(j[0]["id"], r.tool_calls[0].id);
  EXPECT_EQ(j[0]["function"]["name"], "f");
  ASSERT_TRUE(j[0]["function"]["arguments"].is_string());
  EXPECT_EQ(Json::parse(j[0]["function"]["arguments"].get<std::string>()), Json::parse(R"({"a": 1})"));
}

TEST(ToolCalls, ArbitraryBytesNeverCrash) {
  // Random fragments of both formats glued together; the parsers must return without throwing.
  const std::vector<std::string> parts = {"<tool_call>", "</tool_call>", "<function=", "</function>", "<parameter=",
                                          "</parameter>", ">", "\n", "{", "}", "[", "]", "\"", "<TOOLCALL>",
                                          "</TOOLCALL>", "name", ":", ",", "\xFF", "\xC3", "null", "1e999"};
  uint64_t x = 12345;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text;
    int n = static_cast<int>(x % 24);
    for (int i = 0; i < n; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      text += parts[(x >> 33) % parts.size()];
    }
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    Json tools = Json::parse(kTools);
    ToolCallOptions o;
    o.tools = &tools;
    o.untyped_as_json = iter % 2;
    auto a = parse_tool_calls_xml(text, o);
    auto b = parse_tool_calls_json(text, o);
    for (const auto& c : a.tool_calls) EXPECT_FALSE(c.name.empty());
    for (const auto& c : b.tool_calls) EXPECT_FALSE(c.name.empty());
    (void)tool_calls_to_openai(a.tool_calls).dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

}  // namespace
}  // namespace nt
