// Finds a model directory's chat template and builds the variables Hugging Face transformers passes to it
// (apply_chat_template): the special tokens, messages, tools, documents, add_generation_prompt and any extra
// keyword arguments.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace nt {

struct ChatTemplateSource {
  std::string text;    // Jinja source
  std::string origin;  // the file it came from
  // Special tokens as strings ({"bos_token": "<s>", ...}) from tokenizer_config.json / special_tokens_map.json.
  nlohmann::ordered_json special_tokens = nlohmann::ordered_json::object();
};

// `chat_template.jinja` if present, else tokenizer_config.json's `chat_template`: a string, or a list of
// {"name", "template"} entries from which `name` is picked ("default" unless told otherwise).
Result<ChatTemplateSource> load_chat_template(const std::string& model_dir, const std::string& name = "default");

// The render variables for a request ({"messages": [...], "tools": [...], "add_generation_prompt": true, ...}):
// special tokens first, then messages / tools / documents / add_generation_prompt (none / false when the
// request lacks them, as transformers passes them), then every other request member.
Result<nlohmann::ordered_json> chat_template_context(const ChatTemplateSource& source,
                                                     const nlohmann::ordered_json& request);

}  // namespace nt
