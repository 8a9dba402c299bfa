// The OpenAI HTTP API as data: request JSON → validated ApiRequest, results → response JSON. No sockets here
// (server/http_server.cc does the HTTP), so every rule is unit-testable.
//
// Validation follows OpenAI's behaviour where it is defined: a body that is not a JSON object, a field of the
// wrong type or out of range, missing `messages` / `prompt`, `n` other than 1, or max_tokens beyond the context is
// a 400 with {"error": {"message", "type": "invalid_request_error", "param", "code"}}. A `model` naming anything but
// the served model is a 404 with code "model_not_found" (OpenAI's answer for an unknown model); `model` may be
// omitted. Extensions accepted besides OpenAI's fields: top_k, min_p, repetition_penalty, ignore_eos,
// enable_thinking (also as chat_template_kwargs.enable_thinking, vLLM's spelling) and max_thinking_tokens
// (the thinking budget; also thinking_budget).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json.h"
#include "runtime/generation.h"
#include "sampling/tool_calls.h"

namespace nt::server {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string code;       // "" → null
  std::string param;      // "" → null
};

Json error_json(const ApiError& e);

struct ApiLimits {
  std::string model_name;
  int64_t max_context = 4096;
};

struct ApiRequest {
  bool chat = true;
  bool stream = false;
  bool include_usage = false;               // stream_options.include_usage
  GenerateOptions gen;                      // sampling, stop, thinking budget (eos ids are the server's)
  bool max_tokens_given = false;
  nlohmann::ordered_json template_request;  // chat: {"messages", "tools"?, "enable_thinking"?} for the template
  Json tools;                               // chat: the request's tools array (null when none)
  // completions: a text prompt or token ids
  std::string prompt_text;
  std::vector<int32_t> prompt_ids;
  bool prompt_is_ids = false;
};

// Parses and validates a /v1/chat/completions (chat = true) or /v1/completions body.
std::optional<ApiError> parse_request(const Json& body, bool chat, const ApiLimits& limits, ApiRequest* out);

// The prompt's length against the context: a prompt that leaves no room, or prompt + max_tokens beyond the
// context, is a 400 "context_length_exceeded".
std::optional<ApiError> check_context(int64_t prompt_tokens, const ApiRequest& req, const ApiLimits& limits);

struct ResponseInfo {
  std::string id;     // "chatcmpl-…" / "cmpl-…"
  std::string model;
  int64_t created = 0;
};

// The final assistant message of a chat: tool calls parsed from the content (both Nemotron formats) when the
// request declared tools; finish_reason "tool_calls" when there are any.
struct ChatMessage {
  std::string content;
  std::string reasoning;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;
};
ChatMessage finish_chat_message(const GenerateResult& r, const Json& tools, uint64_t id_seed);
const char* openai_finish_reason(FinishReason r);  // stop / length (cancelled reads as stop)

Json usage_json(const GenerateResult& r);
Json chat_completion_json(const ResponseInfo& info, const ChatMessage& m, const GenerateResult& r);
// One streamed chat chunk: `delta` ({"role"}, {"content"}, {"reasoning_content"}, {"tool_calls"} or {}),
// finish_reason empty → null.
Json chat_chunk_json(const ResponseInfo& info, Json delta, const std::string& finish_reason);
Json completion_json(const ResponseInfo& info, const GenerateResult& r);
Json completion_chunk_json(const ResponseInfo& info, const std::string& text, const std::string& finish_reason);
// The final usage-only chunk of a stream with stream_options.include_usage.
Json usage_chunk_json(const ResponseInfo& info, bool chat, const GenerateResult& r);

// "data: <json>\n\n"
std::string sse_event(const Json& j);
// Serializes JSON for a response; invalid UTF-8 in strings is replaced (never throws).
std::string dump_json(const Json& j);

}  // namespace nt::server
