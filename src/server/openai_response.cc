// Response bodies of the OpenAI API (the declarations are in server/openai_api.h).
#include <string_view>

#include "core/strings.h"
#include "server/openai_api.h"

namespace nt::server {

namespace {
bool has(std::string_view text, std::string_view tag) { return text.find(tag) != std::string_view::npos; }
}  // namespace

const char* openai_finish_reason(FinishReason r) { return r == FinishReason::Length ? "length" : "stop"; }

ChatMessage finish_chat_message(const GenerateResult& r, const Json& tools, uint64_t id_seed) {
  ChatMessage m;
  m.content = r.content;
  m.reasoning = r.reasoning;
  m.finish_reason = openai_finish_reason(r.finish);
  if (tools.is_array() && !tools.empty()) {
    ToolCallOptions opts;
    opts.tools = &tools;
    opts.id_seed = id_seed;
    // Nano v2 writes <TOOLCALL>[...]</TOOLCALL>; Nemotron 3 writes <tool_call><function=...> blocks.
    ToolCallParse p;
    if (has(r.content, "<TOOLCALL>")) {
      p = parse_tool_calls_json(r.content, opts);
    } else if (has(r.content, "<tool_call>") || has(r.content, "<function=")) {
      p = parse_tool_calls_xml(r.content, opts);
    }
    if (!p.tool_calls.empty()) {
      m.content = p.content;
      m.tool_calls = std::move(p.tool_calls);
      m.finish_reason = "tool_calls";
    }
  }
  return m;
}

Json usage_json(const GenerateResult& r) {
  const int64_t completion = static_cast<int64_t>(r.tokens.size());
  return {{"prompt_tokens", r.prompt_tokens},
          {"completion_tokens", completion},
          {"total_tokens", r.prompt_tokens + completion},
          {"prompt_tokens_details", {{"cached_tokens", r.reused_tokens}}}};
}

Json chat_completion_json(const ResponseInfo& info, const ChatMessage& m, const GenerateResult& r) {
  Json message = {{"role", "assistant"}};
  message["content"] = (m.content.empty() && !m.tool_calls.empty()) ? Json(nullptr) : Json(m.content);
  if (!m.reasoning.empty()) message["reasoning_content"] = m.reasoning;
  if (!m.tool_calls.empty()) message["tool_calls"] = tool_calls_to_openai(m.tool_calls);
  Json choice = {{"index", 0}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", m.finish_reason}};
  return {{"id", info.id},           {"object", "chat.completion"}, {"created", info.created},
          {"model", info.model},     {"choices", Json::array({choice})}, {"usage", usage_json(r)},
          {"system_fingerprint", nullptr}};
}

Json chat_chunk_json(const ResponseInfo& info, Json delta, const std::string& finish_reason) {
  Json choice = {{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
  choice["finish_reason"] = finish_reason.empty() ? Json(nullptr) : Json(finish_reason);
  return {{"id", info.id},       {"object", "chat.completion.chunk"}, {"created", info.created},
          {"model", info.model}, {"choices", Json::array({choice})},  {"system_fingerprint", nullptr}};
}

Json completion_json(const ResponseInfo& info, const GenerateResult& r) {
  Json choice = {{"index", 0}, {"text", r.content}, {"logprobs", nullptr},
                 {"finish_reason", openai_finish_reason(r.finish)}};
  return {{"id", info.id},       {"object", "text_completion"},     {"created", info.created},
          {"model", info.model}, {"choices", Json::array({choice})}, {"usage", usage_json(r)}};
}

Json completion_chunk_json(const ResponseInfo& info, const std::string& text, const std::string& finish_reason) {
  Json choice = {{"index", 0}, {"text", text}, {"logprobs", nullptr}};
  choice["finish_reason"] = finish_reason.empty() ? Json(nullptr) : Json(finish_reason);
  return {{"id", info.id},
          {"object", "text_completion"},
          {"created", info.created},
          {"model", info.model},
          {"choices", Json::array({choice})}};
}

Json usage_chunk_json(const ResponseInfo& info, bool chat, const GenerateResult& r) {
  return {{"id", info.id},
          {"object", chat ? "chat.completion.chunk" : "text_completion"},
          {"created", info.created},
          {"model", info.model},
          {"choices", Json::array()},
          {"usage", usage_json(r)}};
}

std::string dump_json(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string sse_event(const Json& j) { return cat("data: ", dump_json(j), "\n\n"); }

}  // namespace nt::server
