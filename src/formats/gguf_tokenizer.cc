#include "formats/gguf_tokenizer.h"

#include <algorithm>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf_model.h"

namespace nt {

namespace {

// The split regexes of a tokenizer.json pre_tokenizer in order: Split patterns (directly or inside a
// Sequence) and the built-in regex of a ByteLevel pre-tokenizer with use_regex.
void split_regexes(const Json& pre, std::vector<std::string>* out) {
  if (!pre.is_object()) return;
  const std::string type = pre.value("type", "");
  if (type == "Split" && pre.contains("pattern") && pre["pattern"].is_object()) {
    const Json& p = pre["pattern"];
    if (p.contains("Regex") && p["Regex"].is_string()) out->push_back(p["Regex"].get<std::string>());
  } else if (type == "ByteLevel" && pre.value("use_regex", true)) {
    out->push_back(text::gpt2_byte_level_regex());
  } else if (type == "Digits" && pre.value("individual_digits", false)) {
    out->push_back("\\p{N}");
  } else if (type == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].is_array()) {
    for (const Json& e : pre["pretokenizers"]) split_regexes(e, out);
  }
}

Result<int64_t> optional_id(const GgufFile& f, const char* key) {
  if (!f.has_key(key)) return int64_t{-1};
  NT_ASSIGN_OR_RETURN(int64_t v, f.get_int(key));
  return v;
}

Result<std::optional<bool>> optional_bool(const GgufFile& f, const char* key) {
  if (!f.has_key(key)) return std::optional<bool>();
  NT_ASSIGN_OR_RETURN(bool v, f.get_bool(key));
  return std::optional<bool>(v);
}

}  // namespace

Result<std::vector<std::pair<std::string, GgufValue>>> gguf_tokenizer_metadata(const std::string& model_dir,
                                                                             const ModelConfig& c) {
  return gguf_tokenizer_metadata(model_dir, c.vocab_size, c.bos_token_id,
                                 c.eos_token_ids.empty() ? -1 : c.eos_token_ids[0], c.pad_token_id);
}

Result<std::vector<std::pair<std::string, GgufValue>>> gguf_tokenizer_metadata(const std::string& dir, int64_t vocab_size,
                                                                             int64_t bos, int64_t eos, int64_t pad) {
  std::vector<std::pair<std::string, GgufValue>> kv;
  const std::string path = dir + "/tokenizer.json";
  if (!file_exists(path)) return kv;
  NT_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  NT_ASSIGN_OR_RETURN(Json j, parse_json(text, path));
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object() || j["model"].value("type", "") != "BPE") {
    return Status::error(cat(path, ": only byte-level BPE tokenizers (model.type \"BPE\") can be written to GGUF"));
  }
  const Json& model = j["model"];
  std::vector<std::string> regexes;
  split_regexes(j.value("pre_tokenizer", Json()), &regexes);
  const text::PreTokenizerSpec* spec = text::pre_tokenizer_for_regexes(regexes);
  if (!spec) {
    return Status::error(cat(path, ": the pre-tokenizer's split regexes match none of llama.cpp's named pre-tokenizers "
                                   "(llama-bpe, tekken, qwen2, qwen35, deepseek-v3, gpt-4o, gpt-2, ...)"));
  }

  // Tokens by id: the BPE vocab plus added tokens; holes up to vocab_size become unused [PAD{i}] slots.
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  auto put = [&](int64_t id, const std::string& s, int32_t type) {
    if (id < 0 || id >= (int64_t{1} << 24)) return;
    if (id >= static_cast<int64_t>(tokens.size())) {
      tokens.resize(static_cast<size_t>(id + 1));
      types.resize(static_cast<size_t>(id + 1), 0);
    }
    tokens[static_cast<size_t>(id)] = s;
    types[static_cast<size_t>(id)] = type;
  };
  if (model.contains("vocab") && model["vocab"].is_object()) {
    for (const auto& [s, id] : model["vocab"].items()) if (id.is_number_integer()) put(id.get<int64_t>(), s, 1);
  }
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
    for (const Json& a : j["added_tokens"]) {
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
          !a["content"].is_string()) {
        continue;
      }
      put(a["id"].get<int64_t>(), a["content"].get<std::string>(), a.value("special", false) ? 3 : 4);
    }
  }
  const int64_t n = std::max<int64_t>(vocab_size, static_cast<int64_t>(tokens.size()));
  tokens.resize(static_cast<size_t>(n));
  types.resize(static_cast<size_t>(n), 0);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (types[i] == 0) { tokens[i] = cat("[PAD", i, "]"); types[i] = 5; }
  }
  std::vector<std::string> merges;
  if (model.contains("merges") && model["merges"].is_array()) {
    for (const Json& m : model["merges"]) {
      if (m.is_string()) merges.push_back(m.get<std::string>());
      else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    }
  }
  // BOS / EOS are added when the post-processor's single template starts / ends with a special token.
  bool add_bos = false, add_eos = false;
  if (j.contains("post_processor") && j["post_processor"].is_object()) {
    const Json& pp = j["post_processor"];
    const Json* single = pp.contains("single") ? &pp["single"] : nullptr;
    if (single && single->is_array() && !single->empty()) {
      if (single->front().is_object() && single->front().contains("SpecialToken")) add_bos = true;
      if (single->size() > 1 && single->back().is_object() && single->back().contains("SpecialToken")) add_eos = true;
    }
  }
  kv.emplace_back("tokenizer.ggml.model", GgufValue::string("gpt2"));
  kv.emplace_back("tokenizer.ggml.pre", GgufValue::string(spec->names[0]));
  kv.emplace_back("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
  kv.emplace_back("tokenizer.ggml.token_type", GgufValue::i32_array(types));
  kv.emplace_back("tokenizer.ggml.merges", GgufValue::string_array(merges));
  if (bos >= 0 && bos < n) kv.emplace_back("tokenizer.ggml.bos_token_id", GgufValue::u32(static_cast<uint32_t>(bos)));
  if (eos >= 0 && eos < n) kv.emplace_back("tokenizer.ggml.eos_token_id", GgufValue::u32(static_cast<uint32_t>(eos)));
  if (pad >= 0 && pad < n) kv.emplace_back("tokenizer.ggml.padding_token_id", GgufValue::u32(static_cast<uint32_t>(pad)));
  kv.emplace_back("tokenizer.ggml.add_bos_token", GgufValue::boolean(add_bos));
  kv.emplace_back("tokenizer.ggml.add_eos_token", GgufValue::boolean(add_eos));
  const std::string cfg_path = dir + "/tokenizer_config.json";
  if (file_exists(cfg_path)) {
    NT_ASSIGN_OR_RETURN(std::string cfg_text, read_text_file(cfg_path));
    NT_ASSIGN_OR_RETURN(Json cfg, parse_json(cfg_text, cfg_path));
    if (cfg.is_object() && cfg.contains("chat_template") && cfg["chat_template"].is_string()) {
      kv.emplace_back("tokenizer.chat_template", GgufValue::string(cfg["chat_template"].get<std::string>()));
    }
  }
  if (file_exists(dir + "/chat_template.jinja")) {  // takes precedence, as for the directory itself
    NT_ASSIGN_OR_RETURN(std::string tmpl, read_text_file(dir + "/chat_template.jinja"));
    std::erase_if(kv, [](const auto& e) { return e.first == "tokenizer.chat_template"; });
    kv.emplace_back("tokenizer.chat_template", GgufValue::string(tmpl));
  }
  return kv;
}

Result<text::GgufVocab> read_gguf_vocab(const GgufFile& f, const std::string& origin) {
  auto read = [&]() -> Result<text::GgufVocab> {
    text::GgufVocab v;
    v.origin = origin;
    if (!f.has_key("tokenizer.ggml.model")) return Status::error("the file has no tokenizer (no tokenizer.ggml.model key)");
    NT_ASSIGN_OR_RETURN(std::string_view model, f.get_string("tokenizer.ggml.model"));
    // Written by llama.cpp's converters and by export_gguf for models without a tokenizer.
    if (model == "none" || model == "no_vocab") return Status::error(cat("the file has no tokenizer (tokenizer.ggml.model '", model, "')"));
    v.model = std::string(model);
    if (f.has_key("tokenizer.ggml.pre")) {
      NT_ASSIGN_OR_RETURN(std::string_view pre, f.get_string("tokenizer.ggml.pre"));
      v.pre = std::string(pre);
    }
    NT_ASSIGN_OR_RETURN(std::vector<std::string_view> tokens, f.get_array_string("tokenizer.ggml.tokens"));
    v.tokens.assign(tokens.begin(), tokens.end());
    if (f.has_key("tokenizer.ggml.token_type")) {
      NT_ASSIGN_OR_RETURN(std::vector<int64_t> types, f.get_int_array("tokenizer.ggml.token_type"));
      v.token_types.reserve(types.size());
      for (size_t i = 0; i < types.size(); ++i) {
        if (types[i] < 0 || types[i] > 6) {
          return Status::error(cat("tokenizer.ggml.token_type[", i, "] = ", types[i],
                                   ": expected 0..6 (undefined, normal, unknown, control, user-defined, unused, byte)"));
        }
        v.token_types.push_back(static_cast<int32_t>(types[i]));
      }
    }
    if (v.model == "gpt2") {
      if (!f.has_key("tokenizer.ggml.merges")) return Status::error("a 'gpt2' tokenizer needs tokenizer.ggml.merges");
      NT_ASSIGN_OR_RETURN(std::vector<std::string_view> merges, f.get_array_string("tokenizer.ggml.merges"));
      v.merges.assign(merges.begin(), merges.end());
    }
    NT_ASSIGN_OR_RETURN(v.bos, optional_id(f, "tokenizer.ggml.bos_token_id"));
    NT_ASSIGN_OR_RETURN(v.eos, optional_id(f, "tokenizer.ggml.eos_token_id"));
    NT_ASSIGN_OR_RETURN(v.eot, optional_id(f, "tokenizer.ggml.eot_token_id"));
    NT_ASSIGN_OR_RETURN(v.eom, optional_id(f, "tokenizer.ggml.eom_token_id"));
    NT_ASSIGN_OR_RETURN(v.pad, optional_id(f, "tokenizer.ggml.padding_token_id"));
    NT_ASSIGN_OR_RETURN(v.unk, optional_id(f, "tokenizer.ggml.unknown_token_id"));
    NT_ASSIGN_OR_RETURN(v.sep, optional_id(f, "tokenizer.ggml.seperator_token_id"));
    NT_ASSIGN_OR_RETURN(v.add_bos, optional_bool(f, "tokenizer.ggml.add_bos_token"));
    NT_ASSIGN_OR_RETURN(v.add_eos, optional_bool(f, "tokenizer.ggml.add_eos_token"));
    NT_ASSIGN_OR_RETURN(v.add_sep, optional_bool(f, "tokenizer.ggml.add_sep_token"));
    return v;
  };
  auto v = read();
  if (!v.is_ok()) return v.status().with_context(origin);
  return v;
}

Result<text::Tokenizer> tokenizer_from_gguf(const GgufFile& f, const std::string& origin) {
  NT_ASSIGN_OR_RETURN(text::GgufVocab v, read_gguf_vocab(f, origin));
  return text::tokenizer_from_gguf_vocab(v);
}

Result<std::optional<ChatTemplateSource>> chat_template_from_gguf(const GgufFile& f, const text::GgufVocab& v,
                                                                   const std::string& origin) {
  if (!f.has_key("tokenizer.chat_template")) return std::optional<ChatTemplateSource>();
  auto text = f.get_string("tokenizer.chat_template");
  if (!text.is_ok()) return text.status().with_context(origin);
  ChatTemplateSource src;
  src.text = std::string(*text);
  src.origin = origin + ":tokenizer.chat_template";
  auto put = [&](const char* name, int64_t id) {
    if (id >= 0 && id < static_cast<int64_t>(v.tokens.size())) src.special_tokens[name] = v.tokens[static_cast<size_t>(id)];
  };
  put("bos_token", v.bos);
  put("eos_token", v.eos);
  put("unk_token", v.unk);
  put("sep_token", v.sep);
  put("pad_token", v.pad);
  return std::optional<ChatTemplateSource>(std::move(src));
}

Result<text::Tokenizer> load_model_tokenizer(const std::string& path) {
  if (!is_gguf_file(path)) return text::Tokenizer::load(path);
  NT_ASSIGN_OR_RETURN(GgufFile f, GgufFile::open(path));
  return tokenizer_from_gguf(f, path);
}

Result<ChatTemplateSource> load_model_chat_template(const std::string& path) {
  if (!is_gguf_file(path)) return load_chat_template(path);
  NT_ASSIGN_OR_RETURN(GgufFile f, GgufFile::open(path));
  NT_ASSIGN_OR_RETURN(text::GgufVocab v, read_gguf_vocab(f, path));
  NT_ASSIGN_OR_RETURN(std::optional<ChatTemplateSource> src, chat_template_from_gguf(f, v, path));
  if (!src) return Status::error(cat(path, ": the GGUF file has no chat template (tokenizer.chat_template)"));
  return std::move(*src);
}

}  // namespace nt
