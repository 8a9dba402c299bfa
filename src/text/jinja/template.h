// Chat-template rendering: parse a Jinja template once, render it with variables from JSON.
// The output is byte-identical to the reference renderer used by Hugging Face tooling in JavaScript
// (npm @huggingface/jinja: `new Template(src).render(ctx)`) on the templates models ship; see interpreter.h for
// the semantics and the extensions.
//
//   NT_ASSIGN_OR_RETURN(auto tmpl, jinja::Template::parse(text));
//   NT_ASSIGN_OR_RETURN(std::string prompt, tmpl.render(context));  // context: {"messages": [...], ...}
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json.h"
#include "core/status.h"
#include "text/jinja/interpreter.h"

namespace nt::jinja {

class Template {
 public:
  // Fails with "template line N: ..." on a malformed template or an unsupported construct.
  static Result<Template> parse(std::string_view text);

  // `context` must be a JSON object; its members become template variables. Key order matters (tojson keeps
  // it), so requests should be parsed with parse_ordered_json rather than into nt::Json, which sorts keys.
  Result<std::string> render(const nlohmann::ordered_json& context, const RenderOptions& options = {}) const;
  Result<std::string> render(const Json& context, const RenderOptions& options = {}) const;

 private:
  std::shared_ptr<const NodeList> program_;
};

// JSON text -> ordered JSON (object keys keep their order), with a nesting limit; `what` names the input.
Result<nlohmann::ordered_json> parse_ordered_json(std::string_view text, std::string_view what, size_t max_depth = 256);

}  // namespace nt::jinja
