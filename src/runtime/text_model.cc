#include "runtime/text_model.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf_model.h"
#include "formats/gguf_tokenizer.h"
#include "sampling/stop.h"

namespace nt {

namespace {

Result<Json> optional_json(const std::string& path) {
  if (!file_exists(path)) return Json();
  NT_ASSIGN_OR_RETURN(std::string text, read_text_file(path, size_t{16} << 20));
  return parse_json(text, path);
}

}  // namespace

Result<std::unique_ptr<TextModel>> TextModel::load(const std::string& model_dir, const LoadOptions& opts) {
  if (is_gguf_file(model_dir)) return load_gguf(model_dir, opts);
  std::unique_ptr<TextModel> m(new TextModel());
  m->dir_ = model_dir;
  NT_ASSIGN_OR_RETURN(m->lm_, HybridLM::load(model_dir, opts));
  auto tok = text::Tokenizer::load(model_dir);
  if (!tok) return tok.status().with_context(cat(model_dir, ": tokenizer"));
  m->tokenizer_ = std::move(tok).value();
  if (static_cast<int64_t>(m->tokenizer_.vocab_size()) > m->lm_->config().vocab_size) {
    return Status::error(cat(model_dir, ": the tokenizer has ", m->tokenizer_.vocab_size(),
                             " tokens but the model's vocab_size is ", m->lm_->config().vocab_size));
  }
  NT_ASSIGN_OR_RETURN(Json gen, optional_json(model_dir + "/generation_config.json"));
  NT_ASSIGN_OR_RETURN(Json cfg, optional_json(model_dir + "/config.json"));
  std::optional<int32_t> tok_eos;
  if (m->tokenizer_.eos_id() >= 0) tok_eos = m->tokenizer_.eos_id();
  NT_ASSIGN_OR_RETURN(m->eos_ids_, collect_eos_ids(gen.is_null() ? nullptr : &gen, cfg.is_null() ? nullptr : &cfg, tok_eos));
  auto src = load_chat_template(model_dir);
  if (src.is_ok()) {
    auto t = jinja::Template::parse(src->text);
    if (!t) return t.status().with_context(cat(src->origin, ": chat template"));
    m->template_ = std::move(t).value();
    m->source_ = std::move(src).value();
  }
  return m;
}

// A GGUF file: the tokenizer, end-of-generation ids and chat template all come from its metadata.
Result<std::unique_ptr<TextModel>> TextModel::load_gguf(const std::string& path, const LoadOptions& opts) {
  std::unique_ptr<TextModel> m(new TextModel());
  m->dir_ = path;
  NT_ASSIGN_OR_RETURN(m->lm_, HybridLM::load(path, opts));
  NT_ASSIGN_OR_RETURN(GgufFile f, GgufFile::open(path));
  NT_ASSIGN_OR_RETURN(text::GgufVocab vocab, read_gguf_vocab(f, path));
  NT_ASSIGN_OR_RETURN(m->tokenizer_, text::tokenizer_from_gguf_vocab(vocab));
  if (static_cast<int64_t>(m->tokenizer_.vocab_size()) > m->lm_->config().vocab_size) {
    return Status::error(cat(path, ": the tokenizer has ", m->tokenizer_.vocab_size(),
                             " tokens but the model's vocab_size is ", m->lm_->config().vocab_size));
  }
  m->eos_ids_ = m->tokenizer_.eos_ids();
  NT_ASSIGN_OR_RETURN(std::optional<ChatTemplateSource> src, chat_template_from_gguf(f, vocab, path));
  if (src) {
    auto t = jinja::Template::parse(src->text);
    if (!t) return t.status().with_context(cat(src->origin, ": chat template"));
    m->template_ = std::move(t).value();
    m->source_ = std::move(*src);
  }
  return m;
}

Result<ChatPrompt> TextModel::chat_prompt(const nlohmann::ordered_json& request) const {
  if (!template_) return Status::error(cat(dir_, ": the model has no chat template (chat_template.jinja or tokenizer_config.json)"));
  nlohmann::ordered_json req = request;
  if (!req.contains("add_generation_prompt")) req["add_generation_prompt"] = true;
  NT_ASSIGN_OR_RETURN(nlohmann::ordered_json ctx, chat_template_context(*source_, req));
  ChatPrompt p;
  NT_ASSIGN_OR_RETURN(p.text, template_->render(ctx));
  // apply_chat_template(tokenize=True) encodes without adding special tokens: the template writes them.
  NT_ASSIGN_OR_RETURN(p.tokens, tokenizer_.encode(p.text, /*add_special_tokens=*/false));
  std::string_view tail(p.text);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.remove_suffix(1);
  p.opened_think = ends_with(tail, "<think>");
  // The conversation without the generation prompt: its tokens, if they prefix the prompt's.
  req["add_generation_prompt"] = false;
  NT_ASSIGN_OR_RETURN(nlohmann::ordered_json ctx0, chat_template_context(*source_, req));
  auto text0 = template_->render(ctx0);
  if (text0.is_ok() && !text0->empty() && p.text.compare(0, text0->size(), *text0) == 0) {
    auto ids0 = tokenizer_.encode(*text0, /*add_special_tokens=*/false);
    if (ids0.is_ok() && ids0->size() < p.tokens.size() && std::equal(ids0->begin(), ids0->end(), p.tokens.begin())) {
      p.conversation_len = static_cast<int64_t>(ids0->size());
    }
  }
  return p;
}

Result<std::vector<int32_t>> TextModel::text_prompt(const std::string& text) const {
  return tokenizer_.encode(text, /*add_special_tokens=*/true);
}

std::string default_model_dir() {
  constexpr const char* kName = "models/nemotron-brown-tiny";
  if (const char* env = std::getenv("NEMOTRON_MODEL"); env && *env) return env;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    std::string dir(exe);
    dir = dir.substr(0, dir.rfind('/'));  // .../build/bin
    for (const char* up : {"/../..", "/..", "/../share/nemotron"}) {
      std::string candidate = dir + up + "/" + kName;
      if (file_exists(candidate + "/config.json")) return candidate;
    }
  }
  return kName;  // relative to the working directory (the repository root)
}

}  // namespace nt
