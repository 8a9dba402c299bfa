// A model directory ready for text: the hybrid LM, its tokenizer, its chat template and its end-of-sequence
// ids (generation_config.json, config.json and the tokenizer's eos token, deduplicated).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "model/hybrid_lm.h"
#include "text/chat_template.h"
#include "text/jinja/template.h"
#include "text/tokenizer.h"

namespace nt {

struct ChatPrompt {
  std::string text;                 // the rendered template
  std::vector<int32_t> tokens;      // its ids (special tokens come from the template, none are added)
  bool opened_think = false;        // the generation prompt ends inside <think> (reasoning on)
  // Tokens of the conversation alone (rendered without the generation prompt) when they are a prefix of
  // `tokens`, else 0. The next turn's prompt extends this prefix whatever the template does to the answer
  // (e.g. dropping its reasoning), so a snapshot here makes the next turn cost only its new tokens.
  int64_t conversation_len = 0;
};

class TextModel {
 public:
  // `model_dir`: a Hugging Face model directory, or a GGUF file (tokenizer and chat template from its
  // tokenizer.* metadata, end-of-generation ids as llama.cpp collects them).
  static Result<std::unique_ptr<TextModel>> load(const std::string& model_dir, const LoadOptions& opts = {});

  const HybridLM& lm() const { return *lm_; }
  const text::Tokenizer& tokenizer() const { return tokenizer_; }
  const std::vector<int32_t>& eos_ids() const { return eos_ids_; }
  bool has_chat_template() const { return template_.has_value(); }
  const std::string& dir() const { return dir_; }

  // Renders `request` ({"messages": [...], "tools": [...], "enable_thinking": ..., ...}) with the model's chat
  // template, adding the generation prompt, and tokenizes it.
  Result<ChatPrompt> chat_prompt(const nlohmann::ordered_json& request) const;

  // Plain-text prompt: tokenized as Hugging Face's encode does (special tokens such as BOS added).
  Result<std::vector<int32_t>> text_prompt(const std::string& text) const;

 private:
  static Result<std::unique_ptr<TextModel>> load_gguf(const std::string& path, const LoadOptions& opts);

  std::string dir_;
  std::unique_ptr<HybridLM> lm_;
  text::Tokenizer tokenizer_;
  std::optional<ChatTemplateSource> source_;
  std::optional<jinja::Template> template_;
  std::vector<int32_t> eos_ids_;
};

// The embedded default model's directory: $NEMOTRON_MODEL, else models/nemotron-brown-tiny next to the
// executable's tree (build/bin/../../models/…), else the relative path from the working directory.
std::string default_model_dir();

}  // namespace nt
