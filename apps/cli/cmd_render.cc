// nemotron render: renders a chat template for a request and writes exactly the rendered bytes.
//   nemotron render --template FILE.jinja --request REQ.json [--out OUT.txt]
//   nemotron render --model DIR --request REQ.json [--out OUT.txt]
// With --template the request JSON is the whole set of template variables (messages, tools,
// add_generation_prompt, bos_token, ...). With --model the model directory's own template is used and the
// request is completed with the variables transformers adds (special tokens, tools/documents = none, ...).
#include <cstdio>
#include <string>

#include "cli.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf_tokenizer.h"
#include "text/chat_template.h"
#include "text/jinja/template.h"

namespace nt::cli {

namespace {

Status write_output(const std::string& path, const std::string& text) {
  FILE* f = path.empty() ? stdout : std::fopen(path.c_str(), "wb");
  if (!f) return Status::error(cat("cannot open '", path, "' for writing"));
  size_t written = std::fwrite(text.data(), 1, text.size(), f);
  bool ok = written == text.size();
  if (f != stdout) ok = std::fclose(f) == 0 && ok;
  else ok = std::fflush(f) == 0 && ok;
  if (!ok) return Status::error(cat("failed writing '", path.empty() ? "stdout" : path, "'"));
  return Status::ok();
}

Status run_render(const Args& args) {
  const std::string template_path = args.get({"--template", "-t"});
  const std::string model_dir = args.get({"--model", "-m"});
  const std::string request_path = args.get({"--request", "-r"});
  if (template_path.empty() == model_dir.empty()) return Status::error("give exactly one of --template FILE or --model DIR");
  if (request_path.empty()) return Status::error("missing --request REQ.json");

  NT_ASSIGN_OR_RETURN(std::string request_text, read_text_file(request_path));
  NT_ASSIGN_OR_RETURN(auto request, jinja::parse_ordered_json(request_text, request_path));
  if (!request.is_object()) return Status::error(cat(request_path, ": expected a JSON object"));

  std::string template_text;
  nlohmann::ordered_json context = request;
  if (!template_path.empty()) {
    NT_ASSIGN_OR_RETURN(template_text, read_text_file(template_path));
  } else {
    NT_ASSIGN_OR_RETURN(ChatTemplateSource src, load_model_chat_template(model_dir));
    template_text = std::move(src.text);
    NT_ASSIGN_OR_RETURN(context, chat_template_context(src, request));
  }
  const std::string what = template_path.empty() ? model_dir : template_path;
  auto tmpl = jinja::Template::parse(template_text);
  if (!tmpl.is_ok()) return tmpl.status().with_context(what);

  jinja::RenderOptions options;
  if (args.has("--now")) {
    NT_ASSIGN_OR_RETURN(long long now, args.get_int({"--now"}, 0));
    options.now_unix_seconds = now;
  }
  auto text = tmpl->render(context, options);
  if (!text.is_ok()) return text.status().with_context(cat("rendering ", what));
  return write_output(args.get({"--out", "-o"}), *text);
}

}  // namespace

int cmd_render(int argc, char** argv) {
  Args args({"--template", "-t", "--model", "-m", "--request", "-r", "--out", "-o", "--now"}, {});
  Status st = args.parse(argc, argv);
  if (st.is_ok() && !args.positional().empty()) st = Status::error(cat("unexpected argument '", args.positional()[0], "'"));
  if (st.is_ok()) st = run_render(args);
  return st.is_ok() ? 0 : fail("render", st);
}

}  // namespace nt::cli
