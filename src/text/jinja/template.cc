#include "text/jinja/template.h"

#include "core/strings.h"
#include "text/jinja/builtins.h"
#include "text/jinja/lexer.h"
#include "text/jinja/parser.h"

namespace nt::jinja {

Result<Template> Template::parse(std::string_view text) {
  NT_ASSIGN_OR_RETURN(std::vector<Token> tokens, tokenize(text));
  NT_ASSIGN_OR_RETURN(NodeList program, jinja::parse(tokens));
  Template t;
  t.program_ = std::make_shared<const NodeList>(std::move(program));
  return t;
}

Result<std::string> Template::render(const nlohmann::ordered_json& context, const RenderOptions& options) const {
  if (!context.is_object()) return Status::error("template variables must be a JSON object");
  auto base = std::make_shared<Env>();
  install_extension_globals(base.get());
  auto root = std::make_shared<Env>(base);
  install_reference_globals(root.get());
  Value vars = value_from_json(context);  // applies JavaScript's key order to the top level too
  for (const auto& [name, value] : vars.dict->items) {
    // The reference declares variables next to its globals and refuses to redeclare one.
    if (root->vars.count(name)) return Status::error(cat("template variable '", name, "' clashes with a built-in global"));
    root->set(name, value);
  }
  Interpreter interpreter(options);
  return interpreter.run(*program_, root);
}

Result<std::string> Template::render(const Json& context, const RenderOptions& options) const {
  // Through text, so that no exception can escape: invalid UTF-8 is replaced rather than thrown on.
  std::string text = context.dump(-1, ' ', false, Json::error_handler_t::replace);
  NT_ASSIGN_OR_RETURN(auto ordered, parse_ordered_json(text, "template variables"));
  return render(ordered, options);
}

Result<nlohmann::ordered_json> parse_ordered_json(std::string_view text, std::string_view what, size_t max_depth) {
  bool too_deep = false;
  auto cb = [&](int depth, nlohmann::ordered_json::parse_event_t event, nlohmann::ordered_json&) {
    if ((event == nlohmann::ordered_json::parse_event_t::object_start ||
         event == nlohmann::ordered_json::parse_event_t::array_start) &&
        static_cast<size_t>(depth) >= max_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/false);
  if (too_deep) return Status::error(cat(what, ": JSON nesting deeper than the limit of ", max_depth));
  if (j.is_discarded()) {
    try {
      nlohmann::ordered_json probe = nlohmann::ordered_json::parse(text.begin(), text.end());
      (void)probe;
    } catch (const nlohmann::ordered_json::exception& e) {
      return Status::error(cat(what, ": invalid JSON: ", e.what()));
    }
    return Status::error(cat(what, ": invalid JSON"));
  }
  return j;
}

}  // namespace nt::jinja
