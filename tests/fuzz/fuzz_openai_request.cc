// libFuzzer target: HTTP request bodies of the OpenAI API, through the same steps the server takes before
// generating — JSON (the server's depth limit) → validated request → chat prompt (the bundled model's chat
// template, tokenized) → context check — and the response side: tool calls parsed from text the request chose
// (both Nemotron formats, with the request's tools), serialized as the server would.
//
// Input: one mode byte (even: /v1/chat/completions, odd: /v1/completions), then the body.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/json.h"
#include "fuzz_util.h"
#include "runtime/text_model.h"
#include "server/http_server.h"
#include "server/openai_api.h"

namespace {

const nt::TextModel& model() {
  static const std::unique_ptr<nt::TextModel> m =
      nt::fuzz::must(nt::TextModel::load(nt::fuzz::source_path("models/nemotron-brown-tiny")), "model");
  return *m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool chat = (data[0] & 1) == 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const nt::server::ServerOptions server;  // the server's defaults (body size, JSON depth)
  if (text.size() > server.max_body_bytes) return 0;
  nt::JsonLimits jl;
  jl.max_depth = server.max_json_depth;
  auto body = nt::parse_json(text, "request body", jl);
  if (!body.is_ok()) return 0;
  nt::server::ApiLimits limits;
  limits.model_name = "nemotron-brown-tiny";
  limits.max_context = 4096;
  nt::server::ApiRequest req;
  if (auto e = nt::server::parse_request(*body, chat, limits, &req)) {
    (void)nt::server::dump_json(nt::server::error_json(*e));
    return 0;
  }
  int64_t prompt_tokens = 0;
  if (chat) {
    auto p = model().chat_prompt(req.template_request);
    if (!p.is_ok()) return 0;
    prompt_tokens = static_cast<int64_t>(p->tokens.size());
  } else if (req.prompt_is_ids) {
    prompt_tokens = static_cast<int64_t>(req.prompt_ids.size());
  } else {
    auto ids = model().text_prompt(req.prompt_text);
    if (!ids.is_ok()) return 0;
    prompt_tokens = static_cast<int64_t>(ids->size());
  }
  if (auto e = nt::server::check_context(prompt_tokens, req, limits)) {
    (void)nt::server::dump_json(nt::server::error_json(*e));
    return 0;
  }
  // The response side: pretend the model wrote the request's last message (or prompt) text.
  nt::GenerateResult r;
  if (chat) {
    const auto& msgs = req.template_request["messages"];
    r.content = msgs.back()["content"].get<std::string>();
  } else {
    r.content = req.prompt_text;
  }
  r.prompt_tokens = prompt_tokens;
  nt::server::ResponseInfo info{"chatcmpl-fuzz", limits.model_name, 0};
  if (chat) {
    nt::server::ChatMessage m = nt::server::finish_chat_message(r, req.tools, /*id_seed=*/1);
    (void)nt::server::dump_json(nt::server::chat_completion_json(info, m, r));
  } else {
    (void)nt::server::dump_json(nt::server::completion_json(info, r));
  }
  return 0;
}
