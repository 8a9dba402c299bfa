// Tool-call parsers for the two Nemotron chat formats, turning the final answer text into OpenAI `tool_calls`.
//
//  Nano v2 (JSON):      <TOOLCALL>[{"name": "f", "arguments": {...}}, ...]</TOOLCALL>
//  Nemotron 3 (XML, the Qwen3-Coder format):
//      <tool_call>\n<function=NAME>\n<parameter=ARG>\nVALUE\n</parameter>\n...</function>\n</tool_call>
//
// Malformed model output never fails: whatever cannot be parsed stays in `content` and yields no tool call.
//
// JSON format (as the model card's nemotron_json parser for vLLM): the text between <TOOLCALL> and </TOOLCALL> (or
// the end of the text when the closing tag is missing) must be a JSON array of objects with a string "name";
// "arguments" is serialized to a JSON string (an object is dumped, a string is kept as it is, a missing one becomes
// "{}"). If the array does not parse, or any element lacks a name, the whole text stays content. Content is the text
// outside the tool-call block (before and after), whitespace-trimmed.
//
// XML format (as vLLM's qwen3_coder parser): several <tool_call> blocks; a missing </tool_call>, </function> or
// </parameter> is tolerated at the end of the text or before the next tag; without any <tool_call> tag, bare
// <function=...> blocks are accepted. One leading and one trailing newline of a value are removed. Value types follow
// the tool's JSON schema when `tools` (the request's OpenAI tools array) declares the parameter, as vLLM does:
//   - the text "null" (any case) → null, whatever the type;
//   - string / str / text / varchar / char / enum → the text;
//   - int* / uint* / long* / short* / unsigned* → an integer if the text is one, else the text;
//   - num* / float* → a number (an integral value is written as an integer), else the text;
//   - boolean / bool / binary → true iff the text is "true" (any case), else false;
//   - anything else (object, array, ...) → the text parsed as JSON, else the text.
// A parameter the schema does not declare (or any parameter when no schema is given) is kept as a string, as vLLM
// does; set `untyped_as_json` to parse such values as JSON when they are valid JSON (numbers, booleans, objects).
// vLLM's further fallback to Python's ast.literal_eval is not reproduced. If a <function=...> block has no '>' or
// an empty name, the whole text stays content (vLLM's parser raises there and returns the text unchanged).
// Content is the text before the first tool call (trailing whitespace trimmed) plus any text after the last one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"

namespace nt {

struct ToolCall {
  std::string id;         // "call_" + 24 hex digits
  std::string name;
  std::string arguments;  // a JSON text (an object in well-formed output)
};

struct ToolCallParse {
  std::string content;
  std::vector<ToolCall> tool_calls;
};

struct ToolCallOptions {
  const Json* tools = nullptr;   // the request's OpenAI `tools` array (for XML parameter types); may be null
  bool untyped_as_json = false;  // XML: parse undeclared parameter values as JSON when they are valid JSON
  uint64_t id_seed = 0;          // tool-call ids are a fixed function of (id_seed, index), for reproducible output
};

ToolCallParse parse_tool_calls_json(std::string_view text, const ToolCallOptions& options = {});
ToolCallParse parse_tool_calls_xml(std::string_view text, const ToolCallOptions& options = {});

// [{"id", "type": "function", "function": {"name", "arguments"}}] as in an OpenAI chat completion message.
Json tool_calls_to_openai(const std::vector<ToolCall>& calls);

}  // namespace nt
