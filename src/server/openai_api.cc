#include "server/openai_api.h"

#include <cmath>

#include "core/strings.h"
#include "text/jinja/template.h"

namespace nt::server {

namespace {

// Nesting limit for JSON that arrives inside a string (tool call arguments); the body itself is limited by the
// server (ServerOptions::max_json_depth).
constexpr size_t kMaxArgumentsDepth = 64;

ApiError bad(const std::string& param, const std::string& message, const std::string& code = "invalid_value") {
  ApiError e;
  e.message = message;
  e.param = param;
  e.code = code;
  return e;
}

ApiError wrong_type(const std::string& param, const char* expected, const Json& v) {
  return bad(param, cat("'", param, "' must be ", expected, "; got ", json_type_name(v)), "invalid_type");
}

// Reads an optional number field within [lo, hi]. Returns an error, or nullopt (the field absent or null
// leaves *out untouched).
std::optional<ApiError> get_number(const Json& body, const char* key, double lo, double hi, double* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) return wrong_type(key, "a number", *it);
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi) {
    return bad(key, cat("'", key, "' must be in [", lo, ", ", hi, "]; got ", v));
  }
  *out = v;
  return std::nullopt;
}

std::optional<ApiError> get_int(const Json& body, const char* key, int64_t lo, int64_t hi, int64_t* out,
                                bool* given = nullptr) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() && !it->is_number_unsigned()) return wrong_type(key, "an integer", *it);
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return bad(key, cat("'", key, "' is out of range"));
  }
  const int64_t v = it->get<int64_t>();
  if (v < lo || v > hi) return bad(key, cat("'", key, "' must be in [", lo, ", ", hi, "]; got ", v));
  *out = v;
  if (given) *given = true;
  return std::nullopt;
}

std::optional<ApiError> get_bool(const Json& body, const char* key, bool* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return wrong_type(key, "a boolean", *it);
  *out = it->get<bool>();
  return std::nullopt;
}

// Text of a message's content: a string, null, or an array of {"type": "text", "text": ...} parts.
std::optional<ApiError> content_text(const Json& content, const std::string& param, std::string* out) {
  if (content.is_null()) return std::nullopt;
  if (content.is_string()) {
    *out = content.get<std::string>();
    return std::nullopt;
  }
  if (!content.is_array()) return wrong_type(param, "a string or an array of content parts", content);
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    const std::string p = cat(param, "[", i, "]");
    if (!part.is_object()) return wrong_type(p, "an object", part);
    auto type = part.find("type");
    if (type == part.end() || !type->is_string() || *type != "text") {
      return bad(p + ".type", "only content parts of type 'text' are supported");
    }
    auto text = part.find("text");
    if (text == part.end() || !text->is_string()) return bad(p + ".text", "a text part needs a string 'text'");
    *out += text->get<std::string>();
  }
  return std::nullopt;
}

// An assistant tool call as the template wants it: arguments as an object (OpenAI sends a JSON string).
std::optional<ApiError> template_tool_call(const Json& call, const std::string& param, nlohmann::ordered_json* out) {
  if (!call.is_object()) return wrong_type(param, "an object", call);
  auto fn = call.find("function");
  if (fn == call.end() || !fn->is_object()) return bad(param + ".function", "a tool call needs a 'function' object");
  auto name = fn->find("name");
  if (name == fn->end() || !name->is_string()) return bad(param + ".function.name", "a tool call needs a string name");
  nlohmann::ordered_json args = nlohmann::ordered_json::object();
  auto a = fn->find("arguments");
  if (a != fn->end() && a->is_string()) {
    // A JSON text inside a string escapes the body's nesting limit: parse it under the same limit, or a deeply
    // nested value would later exhaust the stack when copied, rendered or serialized.
    auto parsed = jinja::parse_ordered_json(a->get<std::string>(), param + ".function.arguments", kMaxArgumentsDepth);
    if (!parsed.is_ok() && starts_with(parsed.status().message(), param + ".function.arguments: JSON nesting")) {
      return bad(param + ".function.arguments", parsed.status().message());
    }
    if (!parsed.is_ok() || !parsed->is_object()) {
      return bad(param + ".function.arguments", "tool call arguments must be a JSON object (as a string)");
    }
    args = std::move(parsed).value();
  } else if (a != fn->end() && a->is_object()) {
    args = nlohmann::ordered_json::parse(a->dump());
  } else if (a != fn->end() && !a->is_null()) {
    return wrong_type(param + ".function.arguments", "a string", *a);
  }
  *out = {{"type", "function"}, {"function", {{"name", name->get<std::string>()}, {"arguments", args}}}};
  if (auto id = call.find("id"); id != call.end() && id->is_string()) (*out)["id"] = id->get<std::string>();
  return std::nullopt;
}

std::optional<ApiError> parse_messages(const Json& body, nlohmann::ordered_json* out) {
  auto it = body.find("messages");
  if (it == body.end()) return bad("messages", "'messages' is required", "missing_required_parameter");
  if (!it->is_array()) return wrong_type("messages", "an array", *it);
  if (it->empty()) return bad("messages", "'messages' must hold at least one message");
  *out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& m = (*it)[i];
    const std::string p = cat("messages[", i, "]");
    if (!m.is_object()) return wrong_type(p, "an object", m);
    auto role = m.find("role");
    if (role == m.end() || !role->is_string()) return bad(p + ".role", "each message needs a string 'role'");
    std::string r = role->get<std::string>();
    if (r == "developer") r = "system";
    if (r != "system" && r != "user" && r != "assistant" && r != "tool") {
      return bad(p + ".role", cat("unknown role '", r, "' (system, developer, user, assistant, tool)"));
    }
    std::string text;
    auto content = m.find("content");
    if (content == m.end() && r != "assistant") return bad(p + ".content", "the message has no 'content'");
    if (content != m.end()) {
      if (auto e = content_text(*content, p + ".content", &text)) return e;
    }
    nlohmann::ordered_json msg = {{"role", r}, {"content", text}};
    if (auto rc = m.find("reasoning_content"); rc != m.end() && rc->is_string()) msg["reasoning_content"] = *rc;
    if (auto tc = m.find("tool_calls"); tc != m.end() && !tc->is_null()) {
      if (!tc->is_array()) return wrong_type(p + ".tool_calls", "an array", *tc);
      nlohmann::ordered_json calls = nlohmann::ordered_json::array();
      for (size_t k = 0; k < tc->size(); ++k) {
        nlohmann::ordered_json c;
        if (auto e = template_tool_call((*tc)[k], cat(p, ".tool_calls[", k, "]"), &c)) return e;
        calls.push_back(std::move(c));
      }
      msg["tool_calls"] = std::move(calls);
    }
    if (auto id = m.find("tool_call_id"); id != m.end() && id->is_string()) msg["tool_call_id"] = *id;
    out->push_back(std::move(msg));
  }
  return std::nullopt;
}

std::optional<ApiError> parse_tools(const Json& body, Json* tools) {
  auto it = body.find("tools");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) return wrong_type("tools", "an array", *it);
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& t = (*it)[i];
    const std::string p = cat("tools[", i, "]");
    if (!t.is_object()) return wrong_type(p, "an object", t);
    auto type = t.find("type");
    if (type != t.end() && (!type->is_string() || *type != "function")) {
      return bad(p + ".type", "only tools of type 'function' are supported");
    }
    auto fn = t.find("function");
    if (fn == t.end() || !fn->is_object()) return bad(p + ".function", "a tool needs a 'function' object");
    auto name = fn->find("name");
    if (name == fn->end() || !name->is_string() || name->get<std::string>().empty()) {
      return bad(p + ".function.name", "a function needs a non-empty string 'name'");
    }
    if (auto params = fn->find("parameters"); params != fn->end() && !params->is_object()) {
      return wrong_type(p + ".function.parameters", "an object", *params);
    }
  }
  if (auto choice = body.find("tool_choice"); choice != body.end() && choice->is_string() && *choice == "none") {
    return std::nullopt;  // tools are not offered to the model
  }
  *tools = *it;
  return std::nullopt;
}

std::optional<ApiError> parse_stop(const Json& body, std::vector<std::string>* stop) {
  auto it = body.find("stop");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) stop->push_back(it->get<std::string>());
    return std::nullopt;
  }
  if (!it->is_array()) return wrong_type("stop", "a string or an array of strings", *it);
  if (it->size() > 4) return bad("stop", cat("at most 4 stop sequences are allowed; got ", it->size()));
  for (const Json& s : *it) {
    if (!s.is_string()) return wrong_type("stop", "an array of strings", s);
    if (!s.get<std::string>().empty()) stop->push_back(s.get<std::string>());
  }
  return std::nullopt;
}

std::optional<ApiError> parse_prompt(const Json& body, ApiRequest* out) {
  auto it = body.find("prompt");
  if (it == body.end()) return bad("prompt", "'prompt' is required", "missing_required_parameter");
  const Json* p = &*it;
  // A batch of one prompt is accepted; several prompts per request are not supported.
  if (p->is_array() && p->size() == 1 && ((*p)[0].is_string() || (*p)[0].is_array())) p = &(*p)[0];
  if (p->is_string()) {
    out->prompt_text = p->get<std::string>();
    if (out->prompt_text.empty()) return bad("prompt", "'prompt' is empty");
    return std::nullopt;
  }
  if (!p->is_array() || p->empty()) return wrong_type("prompt", "a non-empty string or array of token ids", *p);
  for (const Json& id : *p) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
      return bad("prompt", "a token-id prompt must hold non-negative integers (one prompt per request)");
    }
    out->prompt_ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  out->prompt_is_ids = true;
  return std::nullopt;
}

std::optional<ApiError> parse_sampling(const Json& body, bool chat, const ApiLimits& limits, ApiRequest* out) {
  SamplingParams& s = out->gen.sampling;
  double temperature = 1.0, top_p = 1.0, min_p = 0.0, rep = 1.0, freq = 0.0, pres = 0.0;
  if (auto e = get_number(body, "temperature", 0.0, 2.0, &temperature)) return e;
  if (auto e = get_number(body, "top_p", 0.0, 1.0, &top_p)) return e;
  if (top_p <= 0.0) return bad("top_p", "'top_p' must be greater than 0");
  if (auto e = get_number(body, "min_p", 0.0, 1.0, &min_p)) return e;
  if (auto e = get_number(body, "repetition_penalty", 0.01, 100.0, &rep)) return e;
  if (auto e = get_number(body, "frequency_penalty", -2.0, 2.0, &freq)) return e;
  if (auto e = get_number(body, "presence_penalty", -2.0, 2.0, &pres)) return e;
  int64_t top_k = 0, seed = 0, n = 1;
  if (auto e = get_int(body, "top_k", -1, INT32_MAX, &top_k)) return e;
  if (auto e = get_int(body, "seed", INT64_MIN, INT64_MAX, &seed)) return e;
  if (auto e = get_int(body, "n", 1, 1, &n)) return e;
  s.temperature = static_cast<float>(temperature);
  s.top_p = static_cast<float>(top_p);
  s.min_p = static_cast<float>(min_p);
  s.repetition_penalty = static_cast<float>(rep);
  s.frequency_penalty = static_cast<float>(freq);
  s.presence_penalty = static_cast<float>(pres);
  s.top_k = top_k < 0 ? 0 : static_cast<int32_t>(top_k);
  s.seed = static_cast<uint64_t>(seed);
  // max_completion_tokens replaces max_tokens in newer clients; either is accepted.
  int64_t max_tokens = chat ? 0 : 16;  // OpenAI's completions default is 16; chat runs to the context
  const int64_t cap = std::max<int64_t>(1, limits.max_context);
  auto range_msg = [&](const char* key) {
    return bad(key, cat("'", key, "' must be between 1 and the context size ", cap));
  };
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer() && !it->is_number_unsigned()) return wrong_type(key, "an integer", *it);
    // nlohmann stores non-negative integers as unsigned: compare in the type the value is held in.
    if (it->is_number_unsigned() ? (it->get<uint64_t>() < 1 || it->get<uint64_t>() > static_cast<uint64_t>(cap))
                                 : (it->get<int64_t>() < 1 || it->get<int64_t>() > cap)) {
      return range_msg(key);
    }
    max_tokens = it->get<int64_t>();
    out->max_tokens_given = true;
  }
  s.max_tokens = static_cast<int32_t>(max_tokens);
  if (Status v = validate(s); !v.is_ok()) return bad("", v.message());
  bool ignore_eos = false;
  if (auto e = get_bool(body, "ignore_eos", &ignore_eos)) return e;
  out->gen.ignore_eos = ignore_eos;
  return parse_stop(body, &out->gen.stop);
}

// Thinking on/off (enable_thinking, or chat_template_kwargs.enable_thinking) and the thinking budget.
std::optional<ApiError> parse_thinking(const Json& body, ApiRequest* out) {
  std::optional<bool> thinking;
  if (auto kw = body.find("chat_template_kwargs"); kw != body.end() && !kw->is_null()) {
    if (!kw->is_object()) return wrong_type("chat_template_kwargs", "an object", *kw);
    bool v = false;
    if (auto e = get_bool(*kw, "enable_thinking", &v)) return e;
    if (kw->contains("enable_thinking")) thinking = v;
  }
  if (body.contains("enable_thinking")) {
    bool v = false;
    if (auto e = get_bool(body, "enable_thinking", &v)) return e;
    thinking = v;
  }
  if (thinking) out->template_request["enable_thinking"] = *thinking;
  int64_t budget = -1;
  for (const char* key : {"max_thinking_tokens", "thinking_budget"}) {
    if (auto e = get_int(body, key, -1, INT32_MAX, &budget)) return e;
  }
  out->gen.budget.max_reasoning_tokens = static_cast<int32_t>(budget);
  return std::nullopt;
}

}  // namespace

Json error_json(const ApiError& e) {
  Json err = {{"message", e.message}, {"type", e.type}};
  err["param"] = e.param.empty() ? Json(nullptr) : Json(e.param);
  err["code"] = e.code.empty() ? Json(nullptr) : Json(e.code);
  return {{"error", err}};
}

std::optional<ApiError> parse_request(const Json& body, bool chat, const ApiLimits& limits, ApiRequest* out) {
  if (!body.is_object()) return wrong_type("body", "a JSON object", body);
  out->chat = chat;
  if (auto m = body.find("model"); m != body.end() && !m->is_null()) {
    if (!m->is_string()) return wrong_type("model", "a string", *m);
    if (m->get<std::string>() != limits.model_name) {
      ApiError e = bad("model", cat("the model '", m->get<std::string>(), "' does not exist; this server serves '",
                                    limits.model_name, "'"), "model_not_found");
      e.http_status = 404;
      return e;
    }
  }
  if (auto e = get_bool(body, "stream", &out->stream)) return e;
  if (auto so = body.find("stream_options"); so != body.end() && !so->is_null()) {
    if (!so->is_object()) return wrong_type("stream_options", "an object", *so);
    if (auto e = get_bool(*so, "include_usage", &out->include_usage)) return e;
  }
  if (auto e = parse_sampling(body, chat, limits, out)) return e;
  if (!chat) return parse_prompt(body, out);
  out->template_request = nlohmann::ordered_json::object();
  nlohmann::ordered_json messages;
  if (auto e = parse_messages(body, &messages)) return e;
  out->template_request["messages"] = std::move(messages);
  if (auto e = parse_tools(body, &out->tools)) return e;
  if (!out->tools.is_null()) out->template_request["tools"] = nlohmann::ordered_json::parse(out->tools.dump());
  if (auto e = parse_thinking(body, out)) return e;
  out->gen.split_reasoning = true;
  return std::nullopt;
}

std::optional<ApiError> check_context(int64_t prompt_tokens, const ApiRequest& req, const ApiLimits& limits) {
  const int64_t ctx = limits.max_context;
  if (ctx <= 0) return std::nullopt;
  if (prompt_tokens >= ctx) {
    return bad("messages", cat("the prompt has ", prompt_tokens, " tokens; this model's context is ", ctx,
                               " tokens and must leave room for at least one generated token"),
               "context_length_exceeded");
  }
  if (req.max_tokens_given && prompt_tokens + req.gen.sampling.max_tokens > ctx) {
    return bad("max_tokens", cat("the prompt (", prompt_tokens, " tokens) plus max_tokens (", req.gen.sampling.max_tokens,
                                 ") exceeds the context of ", ctx, " tokens"),
               "context_length_exceeded");
  }
  return std::nullopt;
}

}  // namespace nt::server
