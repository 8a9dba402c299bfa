#include "formats/gguf_tokenizer.h"

#include <algorithm>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"

namespace nt {

namespace {

// llama.cpp's pre-tokenizer names and the tokenizer.json Split regex each one stands for
// (llama-vocab.cpp; "pixtral" is its TEKKEN type, the one Nemotron 3 uses).
struct PreName {
  const char* name;
  const char* regex;
};
constexpr PreName kPreNames[] = {
    {"pixtral",
     "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?"
     "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|"
     "\\s+(?!\\S)|\\s+"},
    {"llama-bpe",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
     "\\s+(?!\\S)|\\s+"},
    {"qwen2",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
     "\\s+(?!\\S)|\\s+"},
};

// The Split regex of a tokenizer.json pre_tokenizer (directly or inside a Sequence), or "".
std::string split_regex(const Json& pre) {
  if (!pre.is_object()) return "";
  if (pre.value("type", "") == "Split" && pre.contains("pattern") && pre["pattern"].is_object()) {
    const Json& p = pre["pattern"];
    if (p.contains("Regex") && p["Regex"].is_string()) return p["Regex"].get<std::string>();
  }
  if (pre.value("type", "") == "Sequence" && pre.contains("pretokenizers") && pre["pretokenizers"].is_array()) {
    for (const Json& e : pre["pretokenizers"]) {
      std::string r = split_regex(e);
      if (!r.empty()) return r;
    }
  }
  return "";
}

}  // namespace

Result<std::vector<std::pair<std::string, GgufValue>>> gguf_tokenizer_metadata(const std::string& dir, const ModelConfig& c) {
  std::vector<std::pair<std::string, GgufValue>> kv;
  const std::string path = dir + "/tokenizer.json";
  if (!file_exists(path)) return kv;
  NT_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  NT_ASSIGN_OR_RETURN(Json j, parse_json(text, path));
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object() || j["model"].value("type", "") != "BPE") {
    return Status::error(cat(path, ": only byte-level BPE tokenizers (model.type \"BPE\") can be written to GGUF"));
  }
  const Json& model = j["model"];
  const std::string regex = split_regex(j.value("pre_tokenizer", Json()));
  const char* pre = nullptr;
  for (const auto& p : kPreNames) if (regex == p.regex) pre = p.name;
  if (!pre) return Status::error(cat(path, ": the pre-tokenizer regex matches none of llama.cpp's named pre-tokenizers (pixtral, llama-bpe, qwen2)"));

  // Tokens by id: the BPE vocab plus added tokens; holes up to vocab_size become unused [PAD{i}] slots.
  int64_t n = c.vocab_size;
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
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content")) continue;
      put(a["id"].get<int64_t>(), a["content"].get<std::string>(), a.value("special", false) ? 3 : 4);
    }
  }
  n = std::max<int64_t>(n, static_cast<int64_t>(tokens.size()));
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
  // BOS is added when the post-processor's single template starts with a special token.
  bool add_bos = false;
  if (j.contains("post_processor") && j["post_processor"].is_object()) {
    const Json& pp = j["post_processor"];
    const Json* single = pp.contains("single") ? &pp["single"] : nullptr;
    if (single && single->is_array() && !single->empty() && (*single)[0].is_object() && (*single)[0].contains("SpecialToken")) add_bos = true;
  }
  kv.emplace_back("tokenizer.ggml.model", GgufValue::string("gpt2"));
  kv.emplace_back("tokenizer.ggml.pre", GgufValue::string(pre));
  kv.emplace_back("tokenizer.ggml.tokens", GgufValue::string_array(tokens));
  kv.emplace_back("tokenizer.ggml.token_type", GgufValue::i32_array(types));
  kv.emplace_back("tokenizer.ggml.merges", GgufValue::string_array(merges));
  kv.emplace_back("tokenizer.ggml.bos_token_id", GgufValue::u32(static_cast<uint32_t>(c.bos_token_id)));
  if (!c.eos_token_ids.empty()) kv.emplace_back("tokenizer.ggml.eos_token_id", GgufValue::u32(static_cast<uint32_t>(c.eos_token_ids[0])));
  kv.emplace_back("tokenizer.ggml.padding_token_id", GgufValue::u32(static_cast<uint32_t>(c.pad_token_id)));
  kv.emplace_back("tokenizer.ggml.add_bos_token", GgufValue::boolean(add_bos));
  const std::string cfg_path = dir + "/tokenizer_config.json";
  if (file_exists(cfg_path)) {
    NT_ASSIGN_OR_RETURN(std::string cfg_text, read_text_file(cfg_path));
    NT_ASSIGN_OR_RETURN(Json cfg, parse_json(cfg_text, cfg_path));
    if (cfg.is_object() && cfg.contains("chat_template") && cfg["chat_template"].is_string()) {
      kv.emplace_back("tokenizer.chat_template", GgufValue::string(cfg["chat_template"].get<std::string>()));
    }
  }
  return kv;
}

}  // namespace nt
