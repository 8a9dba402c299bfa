// libFuzzer target: chat-template rendering — the Jinja lexer, parser and interpreter on arbitrary template
// source, and the official Nemotron templates on arbitrary messages.
//
// Input: one mode byte, then
//   'N' / 'V': a request JSON ({"messages": [...], "tools": ..., ...}) rendered with the Nemotron 3 / Nano v2
//              template (parsed once);
//   anything else: TEMPLATE \0 REQUEST-JSON (no \0: the whole rest is the template and a fixed conversation is
//              the context).
// Rendering runs under the interpreter's output / loop / call-depth limits (smaller than the defaults so that a
// single input stays fast); exceeding one must be an error, never a crash, hang or unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "fuzz_util.h"
#include "text/chat_template.h"
#include "text/jinja/template.h"

namespace {

using nt::jinja::Template;

nt::ChatTemplateSource source_with(std::string text) {
  nt::ChatTemplateSource s;
  s.text = std::move(text);
  s.special_tokens = {{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"}};
  return s;
}

const Template& official(char mode) {
  static const Template nemotron3 = nt::fuzz::must(
      Template::parse(nt::fuzz::must(nt::read_text_file(nt::fuzz::source_path(
                                          "tests/data/templates/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16.jinja")),
                                      "template file")),
      "Nemotron 3 template");
  static const Template nano2 = nt::fuzz::must(
      Template::parse(nt::fuzz::must(
          nt::read_text_file(nt::fuzz::source_path("tests/data/templates/NVIDIA-Nemotron-Nano-v2.jinja")),
          "template file")),
      "Nano v2 template");
  return mode == 'N' ? nemotron3 : nano2;
}

nt::jinja::RenderOptions options() {
  nt::jinja::RenderOptions o;
  o.max_output_bytes = size_t{1} << 20;
  o.max_loop_iterations = 20000;
  o.max_call_depth = 50;
  o.now_unix_seconds = 0;  // deterministic strftime_now()
  return o;
}

void render(const Template& t, std::string_view request_text) {
  auto request = nt::jinja::parse_ordered_json(request_text, "request");
  if (!request.is_ok()) return;
  auto ctx = nt::chat_template_context(source_with(""), *request);
  if (!ctx.is_ok()) return;
  auto out = t.render(*ctx, options());
  if (out.is_ok() && out->size() > options().max_output_bytes) nt::fuzz::fail("output beyond max_output_bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char mode = static_cast<char>(data[0]);
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode == 'N' || mode == 'V') {
    render(official(mode), rest);
    return 0;
  }
  const size_t nul = rest.find('\0');
  const std::string_view source = rest.substr(0, nul);
  auto t = Template::parse(source);
  if (!t.is_ok()) return 0;
  if (nul == std::string_view::npos) {
    render(*t, R"({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                   {"role": "assistant", "content": "Hello", "reasoning_content": "greet"},
                   {"role": "user", "content": "Weather?"}], "add_generation_prompt": true,
                   "tools": [{"type": "function", "function": {"name": "get", "parameters": {"type": "object",
                   "properties": {"city": {"type": "string"}}}}}]})");
  } else {
    render(*t, rest.substr(nul + 1));
  }
  return 0;
}
