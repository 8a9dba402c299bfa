#include "text/chat_template.h"

#include "core/mapped_file.h"
#include "core/strings.h"
#include "text/jinja/template.h"

namespace nt {

namespace {

constexpr const char* kSpecialTokenNames[] = {"bos_token", "eos_token", "unk_token", "sep_token",
                                              "pad_token", "cls_token", "mask_token"};

// A special token is a string or an AddedToken object {"content": "<s>", ...}.
bool token_string(const nlohmann::ordered_json& v, std::string* out) {
  if (v.is_string()) { *out = v.get<std::string>(); return true; }
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    *out = v["content"].get<std::string>();
    return true;
  }
  return false;
}

void collect_special_tokens(const nlohmann::ordered_json& config, nlohmann::ordered_json* out) {
  if (!config.is_object()) return;
  for (const char* name : kSpecialTokenNames) {
    std::string s;
    if (!out->contains(name) && config.contains(name) && token_string(config[name], &s)) (*out)[name] = s;
  }
  if (!out->contains("additional_special_tokens") && config.contains("additional_special_tokens") &&
      config["additional_special_tokens"].is_array()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& t : config["additional_special_tokens"]) {
      std::string s;
      if (token_string(t, &s)) list.push_back(s);
    }
    (*out)["additional_special_tokens"] = list;
  }
}

Result<std::string> template_from_config(const nlohmann::ordered_json& config, const std::string& name,
                                         const std::string& path) {
  if (!config.is_object() || !config.contains("chat_template")) {
    return Status::error(cat(path, ": has no \"chat_template\" (and there is no chat_template.jinja)"));
  }
  const auto& t = config["chat_template"];
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array()) {
    std::string names;
    for (const auto& entry : t) {
      if (!entry.is_object() || !entry.contains("name") || !entry.contains("template") || !entry["name"].is_string() ||
          !entry["template"].is_string()) {
        return Status::error(cat(path, ": chat_template list entries must be {\"name\": ..., \"template\": ...}"));
      }
      if (entry["name"].get<std::string>() == name) return entry["template"].get<std::string>();
      names += (names.empty() ? "" : ", ") + entry["name"].get<std::string>();
    }
    return Status::error(cat(path, ": no chat template named '", name, "' (found: ", names, ")"));
  }
  return Status::error(cat(path, ": chat_template must be a string or a list, found ", t.type_name()));
}

}  // namespace

Result<ChatTemplateSource> load_chat_template(const std::string& model_dir, const std::string& name) {
  ChatTemplateSource src;
  nlohmann::ordered_json config;
  const std::string config_path = model_dir + "/tokenizer_config.json";
  if (file_exists(config_path)) {
    NT_ASSIGN_OR_RETURN(std::string text, read_text_file(config_path));
    NT_ASSIGN_OR_RETURN(config, jinja::parse_ordered_json(text, config_path));
    collect_special_tokens(config, &src.special_tokens);
  }
  const std::string map_path = model_dir + "/special_tokens_map.json";
  if (file_exists(map_path)) {
    NT_ASSIGN_OR_RETURN(std::string text, read_text_file(map_path));
    NT_ASSIGN_OR_RETURN(auto map, jinja::parse_ordered_json(text, map_path));
    collect_special_tokens(map, &src.special_tokens);
  }
  const std::string jinja_path = model_dir + "/chat_template.jinja";
  if (file_exists(jinja_path)) {
    NT_ASSIGN_OR_RETURN(src.text, read_text_file(jinja_path));
    src.origin = jinja_path;
    return src;
  }
  if (config.is_null()) {
    return Status::error(cat(model_dir, ": no chat_template.jinja and no tokenizer_config.json"));
  }
  NT_ASSIGN_OR_RETURN(src.text, template_from_config(config, name, config_path));
  src.origin = config_path;
  return src;
}

Result<nlohmann::ordered_json> chat_template_context(const ChatTemplateSource& source,
                                                     const nlohmann::ordered_json& request) {
  if (!request.is_object()) return Status::error("the request must be a JSON object");
  if (!request.contains("messages") || !request["messages"].is_array()) {
    return Status::error("the request needs \"messages\": a list of {\"role\", \"content\"} objects");
  }
  nlohmann::ordered_json ctx = source.special_tokens;
  ctx["messages"] = request["messages"];
  ctx["tools"] = request.contains("tools") ? request["tools"] : nlohmann::ordered_json(nullptr);
  ctx["documents"] = request.contains("documents") ? request["documents"] : nlohmann::ordered_json(nullptr);
  ctx["add_generation_prompt"] =
      request.contains("add_generation_prompt") ? request["add_generation_prompt"] : nlohmann::ordered_json(false);
  for (auto it = request.begin(); it != request.end(); ++it) ctx[it.key()] = it.value();
  return ctx;
}

}  // namespace nt
