#include "text/gguf_vocab.h"

#include <algorithm>
#include <unordered_set>

#include "core/strings.h"
#include "text/tokenizer_json.h"

namespace nt::text {

namespace {

// Hugging Face tokenizer.json regexes (the strings after JSON unescaping).
const char kGpt2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const char kLlama3[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
const char kQwen2[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
const char kQwen35[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char kTekken[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?"
    "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|"
    "\\s+(?!\\S)|\\s+";
const char kGpt4o[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// DeepSeek-V3's tokenizer.json holds raw CR / LF characters inside its classes.
const char kDeepseek3Cjk[] = "[\xE4\xB8\x80-\xE9\xBE\xA5\xE3\x81\x80-\xE3\x82\x9F\xE3\x82\xA0-\xE3\x83\xBF]+";  // [一-龥぀-ゟ゠-ヿ]+
const char kDeepseek3Main[] =
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|"
    "\\s*[\r\n]+|\\s+(?!\\S)|\\s+";
// llama.cpp's own lists (llama-vocab.cpp) for names whose tokenizer.json uses other pre-tokenizer types.
const char kDeepseekLlmLatin[] =
    "\\s?[A-Za-z\xC2\xB5\xC3\x80-\xC3\x96\xC3\x98-\xC3\xB6\xC3\xB8-\xC6\xBA\xC6\xBC-\xC6\xBF\xC7\x84-\xCA\x93\xCA\x95-\xCA\xAF"
    "\xCD\xB0-\xCD\xB3\xCD\xB6\xCD\xB7\xCD\xBB-\xCD\xBD\xCD\xBF\xCE\x86\xCE\x88-\xCE\x8A\xCE\x8C\xCE\x8E-\xCE\xA1\xCE\xA3-\xCF\xB5"
    "\xCF\xB7-\xD2\x81\xD2\x8A-\xD4\xAF\xD4\xB1-\xD5\x96\xE1\x82\xA0-\xE1\x83\x85\xE1\x8E\xA0-\xE1\x8F\xB5\xE1\x8F\xB8-\xE1\x8F\xBD"
    "\xE1\xB2\x90-\xE1\xB2\xBA\xE1\xB2\xBD-\xE1\xB2\xBF\xE1\xB4\x80-\xE1\xB4\xAB\xE1\xB5\xAB-\xE1\xB5\xB7\xE1\xB5\xB9-\xE1\xB6\x9A"
    "\xE1\xB8\x80-\xE1\xBC\x95\xE1\xBC\x98-\xE1\xBC\x9D\xE1\xBC\xA0-\xE1\xBD\x85\xE1\xBD\x88-\xE1\xBD\x8D\xE1\xBD\x90-\xE1\xBD\x97"
    "\xE1\xBD\x99\xE1\xBD\x9B\xE1\xBD\x9D\xE1\xBD\x9F-\xE1\xBD\xBD\xE1\xBE\x80-\xE1\xBE\xB4\xE1\xBE\xB6-\xE1\xBE\xBC\xE1\xBE\xBE"
    "\xE1\xBF\x82-\xE1\xBF\x84\xE1\xBF\x86-\xE1\xBF\x8C\xE1\xBF\x90-\xE1\xBF\x93\xE1\xBF\x96-\xE1\xBF\x9B\xE1\xBF\xA0-\xE1\xBF\xAC"
    "\xE1\xBF\xB2-\xE1\xBF\xB4\xE1\xBF\xB6-\xE1\xBF\xBC\xE2\x84\x82\xE2\x84\x87\xE2\x84\x8A-\xE2\x84\x93\xE2\x84\x95\xE2\x84\x99-"
    "\xE2\x84\x9D\xE2\x84\xA4\xE2\x84\xA6\xE2\x84\xA8\xE2\x84\xAA-\xE2\x84\xAD\xE2\x84\xAF-\xE2\x84\xB4\xE2\x84\xB9\xE2\x84\xBC-"
    "\xE2\x84\xBF\xE2\x85\x85-\xE2\x85\x89\xE2\x85\x8E\xE2\x86\x83\xE2\x86\x84\xE2\xB0\x80-\xE2\xB1\xBB\xE2\xB1\xBE-\xE2\xB3\xA4"
    "\xE2\xB3\xAB-\xE2\xB3\xAE\xE2\xB3\xB2\xE2\xB3\xB3\xEA\x99\x80-\xEA\x99\xAD\xEA\x9A\x80-\xEA\x9A\x9B\xEA\x9C\xA2-\xEA\x9D\xAF"
    "\xEA\x9D\xB1-\xEA\x9E\x87\xEA\x9E\x8B-\xEA\x9E\x8E\xEA\xAD\xB0-\xEA\xAE\xBF\xEF\xAC\x80-\xEF\xAC\x86\xEF\xAC\x93-\xEF\xAC\x97"
    "\xEF\xBC\xA1-\xEF\xBC\xBA\xEF\xBD\x81-\xEF\xBD\x9A\xF0\x90\x90\x80-\xF0\x90\x91\x8F\xF0\x90\x92\xB0-\xF0\x90\x93\x93"
    "\xF0\x90\x93\x98-\xF0\x90\x93\xBB\xF0\x90\xB2\x80-\xF0\x90\xB2\xB2\xF0\x90\xB3\x80-\xF0\x90\xB3\xB2\xF0\x91\xA2\xA0-"
    "\xF0\x91\xA3\x9F\xF0\x9E\xA4\x80-\xF0\x9E\xA5\x83]+";
const char kDeepseekLlmPunct[] = "\\s?[!-/:-~\xEF\xBC\x81-\xEF\xBC\x8F\xEF\xBC\x9A-\xEF\xBD\x9E\xE2\x80\x98-\xE2\x80\x9F\xE3\x80\x80-\xE3\x80\x82]+";
const char kDeepseekCjk[] = "[\xE4\xB8\x80-\xE9\xBE\xA5\xE0\xA0\x80-\xE4\xB8\x80\xEA\xB0\x80-\xED\x9F\xBF]+";  // [一-龥ࠀ-一가-퟿]+
const char kGpt2NoTail[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

std::vector<PreTokenizerSpec> make_specs() {
  std::vector<PreTokenizerSpec> s;
  auto add = [&](std::vector<std::string> names, std::vector<std::string> regexes, bool ignore_merges, bool add_bos,
                 bool clean_spaces, bool nfc = false) {
    s.push_back(PreTokenizerSpec{std::move(names), std::move(regexes), ignore_merges, add_bos, clean_spaces, nfc});
  };
  add({"llama-bpe", "llama3", "llama-v3", "falcon3", "falcon-h1", "midm-2.0", "lfm2", "jina-v5-nano", "dbrx", "smaug-bpe"},
      {kLlama3}, true, true, true);
  // Nemotron 3 (and Mistral's Pixtral/Tekken tokenizers): the Tekken split regex.
  add({"tekken"}, {kTekken}, true, true, false);
  add({"pixtral"}, {kTekken}, true, true, true);
  add({"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "stablelm2", "hunyuan"}, {kQwen2}, false, false, false, true);
  add({"qwen35"}, {kQwen35}, false, false, false);  // no normalizer (llama.cpp's test texts keep NFD input)
  add({"deepseek-v3", "hunyuan-dense", "joyai-llm", "hy_v4"}, {"\\p{N}{1,3}", kDeepseek3Cjk, kDeepseek3Main}, false, false,
      false);
  add({"gpt-4o", "minimax-m2"}, {kGpt4o}, false, false, true);
  add({"gpt-2", "phi-2", "mpt", "olmo", "jais", "trillion", "a.x-4.0", "mellum", "gigachat", "jina-es", "jina-de",
       "jina-v2-es", "jina-v2-de", "modern-bert"},
      {kGpt2}, false, false, true);
  add({"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"}, {"\\p{N}", kGpt2}, false, false,
      true);
  add({"deepseek-llm"}, {"[\\r\\n]", kDeepseekLlmLatin, kDeepseekLlmPunct, "\\s+$", kDeepseekCjk, "\\p{N}+"}, false, false,
      false);
  add({"deepseek-coder"}, {"[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", kDeepseekCjk, "\\p{N}"}, false, false, false);
  add({"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2NoTail, "[0-9][0-9][0-9]"}, false, false, true);
  add({"default"}, {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2NoTail, "\\p{N}+", "[0-9][0-9][0-9]"}, false, false, true);
  return s;
}

// llama.cpp's end-of-generation token texts (llama-vocab.cpp).
constexpr const char* kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
    "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
    "<eos>", "<turn|>", "<|tool_response>", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "[e~[",
};

Json split(const std::string& regex) {
  return Json{{"type", "Split"}, {"pattern", Json{{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
}

Json special_piece(const std::string& token) { return Json{{"SpecialToken", Json{{"id", token}, {"type_id", 0}}}}; }

}  // namespace

const std::vector<PreTokenizerSpec>& pre_tokenizer_specs() {
  static const std::vector<PreTokenizerSpec> specs = make_specs();
  return specs;
}

const std::string& gpt2_byte_level_regex() {
  static const std::string r = kGpt2;
  return r;
}

const PreTokenizerSpec* find_pre_tokenizer(std::string_view name) {
  for (const auto& s : pre_tokenizer_specs()) {
    for (const auto& n : s.names) if (n == name) return &s;
  }
  return nullptr;
}

const PreTokenizerSpec* pre_tokenizer_for_regexes(const std::vector<std::string>& regexes) {
  for (const auto& s : pre_tokenizer_specs()) {
    if (s.regexes == regexes) return &s;
  }
  return nullptr;
}

std::vector<int32_t> gguf_end_of_generation_ids(const GgufVocab& v) {
  std::vector<int32_t> out;
  const int64_t n = static_cast<int64_t>(v.tokens.size());
  for (int64_t id : {v.eos, v.eot, v.eom}) if (id >= 0 && id < n) out.push_back(static_cast<int32_t>(id));
  for (int64_t id = 0; id < n; ++id) {
    const std::string& t = v.tokens[static_cast<size_t>(id)];
    if (t.empty() || (t[0] != '<' && t[0] != '[' && t[0] != '_')) continue;
    for (const char* e : kEogTexts) {
      if (t == e) out.push_back(static_cast<int32_t>(id));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<Tokenizer> tokenizer_from_gguf_vocab(const GgufVocab& v) {
  const std::string& o = v.origin;
  if (v.model == "llama" || v.model == "t5" || v.model == "ugm" || v.model == "rwkv" || v.model == "plamo2" ||
      v.model == "bert") {
    return Status::error(cat(o, ": tokenizer.ggml.model '", v.model,
                             "' is not supported (only 'gpt2', byte-level BPE, is)"));
  }
  if (v.model != "gpt2") {
    return Status::error(cat(o, ": tokenizer.ggml.model: expected 'gpt2' (byte-level BPE), found '", v.model, "'"));
  }
  const int64_t n = static_cast<int64_t>(v.tokens.size());
  if (n == 0) return Status::error(cat(o, ": tokenizer.ggml.tokens is empty"));
  if (n > (int64_t{1} << 24)) return Status::error(cat(o, ": tokenizer.ggml.tokens has ", n, " entries (at most 16777216)"));
  if (!v.token_types.empty() && static_cast<int64_t>(v.token_types.size()) != n) {
    return Status::error(cat(o, ": tokenizer.ggml.token_type has ", v.token_types.size(),
                             " entries but tokenizer.ggml.tokens has ", n));
  }
  const std::string pre_name = v.pre.empty() ? "default" : v.pre;
  const PreTokenizerSpec* spec = find_pre_tokenizer(pre_name);
  if (!spec) {
    std::string known;
    for (const auto& s : pre_tokenizer_specs()) known += (known.empty() ? "" : ", ") + s.names[0];
    return Status::error(cat(o, ": tokenizer.ggml.pre '", pre_name, "' is not a supported pre-tokenizer (supported: ", known,
                             " and their aliases)"));
  }
  struct Id { const char* key; int64_t id; };
  for (const Id& s : {Id{"bos", v.bos}, Id{"eos", v.eos}, Id{"eot", v.eot}, Id{"eom", v.eom}, Id{"padding", v.pad},
                      Id{"unknown", v.unk}, Id{"seperator", v.sep}}) {
    if (s.id != -1 && (s.id < 0 || s.id >= n)) {
      return Status::error(cat(o, ": tokenizer.ggml.", s.key, "_token_id = ", s.id, " is outside the vocabulary (", n,
                               " tokens)"));
    }
  }

  TokenizerJson tj;
  tj.has_vocab = tj.has_merges = true;
  Json added = Json::array();
  std::unordered_set<std::string_view> all_tokens;
  all_tokens.reserve(static_cast<size_t>(n));
  for (int64_t id = 0; id < n; ++id) {
    const std::string& tok = v.tokens[static_cast<size_t>(id)];
    const int32_t type = v.token_types.empty() ? 1 : v.token_types[static_cast<size_t>(id)];
    switch (static_cast<GgufTokenType>(type)) {
      case GgufTokenType::kUndefined:
      case GgufTokenType::kNormal:
      case GgufTokenType::kByte:
        tj.vocab.emplace_back(tok, id);
        all_tokens.insert(tok);
        break;
      case GgufTokenType::kUnknown:
      case GgufTokenType::kControl:
      case GgufTokenType::kUserDefined:
        added.push_back(Json{{"id", id}, {"content", tok}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                             {"normalized", false}, {"special", type != static_cast<int32_t>(GgufTokenType::kUserDefined)}});
        all_tokens.insert(tok);
        break;
      case GgufTokenType::kUnused:
        break;
      default:
        return Status::error(cat(o, ": tokenizer.ggml.token_type[", id, "] = ", type,
                                 ": expected 0..6 (undefined, normal, unknown, control, user-defined, unused, byte)"));
    }
  }
  tj.merges.reserve(v.merges.size());
  for (size_t r = 0; r < v.merges.size(); ++r) {
    const std::string& m = v.merges[r];
    const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (sp == std::string::npos || sp + 1 >= m.size()) {
      return Status::error(cat(o, ": tokenizer.ggml.merges[", r, "] = '", m.substr(0, 80),
                               "': expected two tokens separated by a space"));
    }
    std::string left = m.substr(0, sp), right = m.substr(sp + 1);
    for (const std::string* part : {&left, &right}) {
      if (!all_tokens.count(*part)) {
        return Status::error(cat(o, ": tokenizer.ggml.merges[", r, "] = '", m.substr(0, 80), "' names '", part->substr(0, 80),
                                 "', which is not in tokenizer.ggml.tokens"));
      }
    }
    tj.merges.emplace_back(std::move(left), std::move(right));
  }

  Json model{{"type", "BPE"}, {"ignore_merges", spec->ignore_merges}, {"byte_fallback", false}, {"fuse_unk", false}};
  if (v.unk >= 0) model["unk_token"] = v.tokens[static_cast<size_t>(v.unk)];
  Json pretok = Json::array();
  for (const auto& r : spec->regexes) pretok.push_back(split(r));
  pretok.push_back(Json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}});
  tj.rest = Json{{"model", model},
                 {"added_tokens", added},
                 {"normalizer", spec->nfc ? Json{{"type", "NFC"}} : Json()},
                 {"pre_tokenizer", Json{{"type", "Sequence"}, {"pretokenizers", pretok}}},
                 {"decoder", Json{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}}};
  const bool add_bos = v.add_bos.value_or(spec->add_bos) && v.bos >= 0;
  const bool add_eos = v.add_eos.value_or(false) && v.eos >= 0;
  if (add_bos || add_eos) {
    Json single = Json::array();
    if (add_bos) single.push_back(special_piece(v.tokens[static_cast<size_t>(v.bos)]));
    single.push_back(Json{{"Sequence", Json{{"id", "A"}, {"type_id", 0}}}});
    if (add_eos) single.push_back(special_piece(v.tokens[static_cast<size_t>(v.eos)]));
    tj.rest["post_processor"] = Json{{"type", "TemplateProcessing"}, {"single", single}};
  } else {
    tj.rest["post_processor"] = Json();
  }
  Json config{{"clean_up_tokenization_spaces", spec->clean_spaces}};
  Json gen = Json::object();
  if (v.bos >= 0) gen["bos_token_id"] = v.bos;
  std::vector<int32_t> eog = gguf_end_of_generation_ids(v);
  if (v.eos >= 0) {  // eos first: it becomes the tokenizer's eos_id()
    eog.erase(std::remove(eog.begin(), eog.end(), static_cast<int32_t>(v.eos)), eog.end());
    eog.insert(eog.begin(), static_cast<int32_t>(v.eos));
  }
  if (!eog.empty()) gen["eos_token_id"] = eog;
  auto t = Tokenizer::from_parts(std::move(tj), config, gen);
  if (!t.is_ok()) return t.status().with_context(cat(o, ": GGUF tokenizer"));
  return t;
}

}  // namespace nt::text
