#include "text/tokenizer.h"

#include <unordered_map>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "text/bpe.h"
#include "text/decoder.h"
#include "text/json_fields.h"
#include "text/normalizer.h"
#include "text/pre_tokenizer.h"
#include "text/tokenizer_json.h"
#include "text/unicode.h"

namespace nt::text {

namespace {

const char kSpieceUnderline[] = "\xE2\x96\x81";  // U+2581, SentencePiece's word boundary

// Byte trie over added-token contents for the longest match at each position (the reference's
// DictionarySplitter works on UTF-16 units; on valid text the byte-wise matches are the same).
class AddedTokenTrie {
 public:
  void insert(const std::string& s, int32_t index) {
    if (s.empty()) return;
    int32_t node = 0;
    for (unsigned char c : s) {
      int32_t child = find(node, c);
      if (child < 0) {
        child = static_cast<int32_t>(nodes_.size());
        nodes_[node].edges.emplace_back(c, child);
        nodes_.emplace_back();
      }
      node = child;
    }
    nodes_[node].value = index;
    first_byte_[static_cast<unsigned char>(s[0])] = true;
  }
  // Length of the longest token starting at text[pos] (0 if none), and its index.
  size_t longest(std::string_view text, size_t pos, int32_t* index) const {
    if (!first_byte_[static_cast<unsigned char>(text[pos])]) return 0;
    int32_t node = 0;
    size_t best = 0;
    for (size_t j = pos; j < text.size(); ++j) {
      node = find(node, static_cast<unsigned char>(text[j]));
      if (node < 0) break;
      if (nodes_[node].value >= 0) {
        best = j + 1 - pos;
        *index = nodes_[node].value;
      }
    }
    return best;
  }

 private:
  struct Node {
    std::vector<std::pair<unsigned char, int32_t>> edges;
    int32_t value = -1;
  };
  int32_t find(int32_t node, unsigned char c) const {
    for (const auto& [k, v] : nodes_[node].edges) if (k == c) return v;
    return -1;
  }
  std::vector<Node> nodes_ = std::vector<Node>(1);
  bool first_byte_[256] = {};
};

// One step of a post-processor: TemplateProcessing's "single" list, or [CLS] A [SEP] for Bert/Roberta.
struct TemplatePiece {
  bool is_sequence = false;  // the encoded text ("A")
  int32_t id = -1;           // special token id otherwise
};

Result<std::string> config_token(const Json& config, const char* key) {
  const Json& v = field(config, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && field(v, "content").is_string()) return field(v, "content").get<std::string>();
  return std::string();
}

}  // namespace

struct Tokenizer::Impl {
  BpeModel model;
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<Decoder> decoder;
  std::vector<std::vector<TemplatePiece>> post_steps;  // applied in order when adding special tokens
  AddedTokenTrie trie;
  std::unordered_map<std::string, size_t> added_by_content;  // -> index into added_tokens_ (last wins)
  std::unordered_set<std::string> special_strings;           // what skip_special_tokens removes
  bool remove_space = false, lowercase_and_remove_accent = false, llama_non_legacy = false;
  bool clean_up_default = true;
  std::string end_of_word_suffix, unk_token;
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

namespace {

Result<std::vector<TemplatePiece>> template_steps(const Json& pp, const BpeModel& model, std::string_view what) {
  std::vector<TemplatePiece> out;
  auto special = [&](const std::string& token) -> Result<TemplatePiece> {
    int32_t id = model.token_to_id(token);
    if (id < 0) id = model.unk_id();
    if (id < 0) return Status::error(cat(what, ": special token '", token, "' is not in the vocabulary"));
    return TemplatePiece{false, id};
  };
  const std::string type = string_field(pp, "type");
  if (type == "TemplateProcessing") {
    const Json& single = field(pp, "single");
    if (!single.is_array()) return Status::error(cat(what, ": TemplateProcessing needs a \"single\" array"));
    for (const Json& item : single) {
      if (field(item, "SpecialToken").is_object()) {
        NT_ASSIGN_OR_RETURN(TemplatePiece p, special(string_field(field(item, "SpecialToken"), "id")));
        out.push_back(p);
      } else if (field(item, "Sequence").is_object()) {
        if (string_field(field(item, "Sequence"), "id") == "A") out.push_back({true, -1});
      } else {
        return Status::error(cat(what, ": TemplateProcessing item is neither SpecialToken nor Sequence"));
      }
    }
    return out;
  }
  // Bert / Roberta: [cls] A [sep], with cls / sep written as [token, id].
  const Json& cls = field(pp, "cls");
  const Json& sep = field(pp, "sep");
  if (!cls.is_array() || cls.empty() || !cls[0].is_string() || !sep.is_array() || sep.empty() || !sep[0].is_string()) {
    return Status::error(cat(what, ": ", type, " needs \"cls\" and \"sep\" as [token, id]"));
  }
  NT_ASSIGN_OR_RETURN(TemplatePiece c, special(cls[0].get<std::string>()));
  NT_ASSIGN_OR_RETURN(TemplatePiece s, special(sep[0].get<std::string>()));
  return std::vector<TemplatePiece>{c, {true, -1}, s};
}

Status load_post_processor(const Json& pp, const BpeModel& model, std::vector<std::vector<TemplatePiece>>* steps) {
  if (pp.is_null()) return Status::ok();
  const std::string type = string_field(pp, "type");
  if (type == "ByteLevel") return Status::ok();  // offsets only
  if (type == "Sequence") {
    const Json& list = field(pp, "processors");
    if (!list.is_array()) return Status::error("post_processor Sequence: expected an array \"processors\"");
    for (const Json& p : list) NT_RETURN_IF_ERROR(load_post_processor(p, model, steps));
    return Status::ok();
  }
  if (type == "TemplateProcessing" || type == "BertProcessing" || type == "RobertaProcessing") {
    NT_ASSIGN_OR_RETURN(auto s, template_steps(pp, model, "post_processor"));
    steps->push_back(std::move(s));
    return Status::ok();
  }
  return Status::error(cat("post_processor: unsupported type '", type, "'"));
}

Result<BpeModel> load_model(TokenizerJson& tj) {
  const Json& m = field(tj.rest, "model");
  if (!m.is_object()) return Status::error("tokenizer.json: missing the \"model\" object");
  std::string type = string_field(m, "type");
  if (type.empty() && tj.has_merges) type = "BPE";
  if (type != "BPE") return Status::error(cat("tokenizer.json: unsupported model type '", type, "' (only BPE is)"));
  if (!tj.has_vocab) return Status::error("tokenizer.json: model.vocab is missing or not an object");
  if (!tj.has_merges && !field(m, "merges").is_null()) return Status::error("tokenizer.json: model.merges is not an array");
  BpeOptions o;
  o.unk_token = string_field(m, "unk_token");
  o.end_of_word_suffix = string_field(m, "end_of_word_suffix");
  o.byte_fallback = bool_field(m, "byte_fallback", false);
  o.ignore_merges = bool_field(m, "ignore_merges", false);
  o.fuse_unk = bool_field(m, "fuse_unk", false);
  auto model = BpeModel::build(tj.vocab, tj.merges, std::move(o));
  if (!model.is_ok()) return model.status().with_context("tokenizer.json");
  tj.vocab.clear();
  tj.merges.clear();
  return model;
}

Result<std::vector<AddedToken>> load_added_tokens(const Json& list) {
  std::vector<AddedToken> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return Status::error("tokenizer.json: \"added_tokens\" is not an array");
  for (const Json& t : list) {
    AddedToken a;
    if (!field(t, "content").is_string() || !field(t, "id").is_number_integer() || int_field(t, "id", -1) < 0 ||
        int_field(t, "id", -1) > INT32_MAX) {
      return Status::error("tokenizer.json: each added token needs a string \"content\" and a non-negative integer \"id\"");
    }
    a.content = string_field(t, "content");
    a.id = static_cast<int32_t>(int_field(t, "id", -1));
    a.lstrip = bool_field(t, "lstrip", false);
    a.rstrip = bool_field(t, "rstrip", false);
    a.normalized = bool_field(t, "normalized", false);
    a.special = bool_field(t, "special", false);
    a.single_word = bool_field(t, "single_word", false);
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<int32_t> ids_field(const Json& v) {
  std::vector<int32_t> out;
  if (v.is_number_integer()) out.push_back(static_cast<int32_t>(v.get<long long>()));
  if (v.is_array()) {
    for (const Json& x : v) if (x.is_number_integer()) out.push_back(static_cast<int32_t>(x.get<long long>()));
  }
  return out;
}

}  // namespace

Result<Tokenizer> Tokenizer::from_json(std::string_view tokenizer_json, std::string_view tokenizer_config,
                                       std::string_view generation_config) {
  NT_ASSIGN_OR_RETURN(TokenizerJson tj, read_tokenizer_json(tokenizer_json));
  Json config = Json::object(), gen = Json::object();
  if (!tokenizer_config.empty()) {
    NT_ASSIGN_OR_RETURN(config, parse_json(tokenizer_config, "tokenizer_config.json"));
  }
  if (!generation_config.empty()) {
    NT_ASSIGN_OR_RETURN(gen, parse_json(generation_config, "generation_config.json"));
  }
  return from_parts(std::move(tj), config, gen);
}

Result<Tokenizer> Tokenizer::from_parts(TokenizerJson tj, const Json& config, const Json& gen) {
  Tokenizer t;
  Impl& im = *t.impl_;
  NT_ASSIGN_OR_RETURN(im.model, load_model(tj));
  NT_ASSIGN_OR_RETURN(t.added_tokens_, load_added_tokens(field(tj.rest, "added_tokens")));
  for (size_t i = 0; i < t.added_tokens_.size(); ++i) {
    const AddedToken& a = t.added_tokens_[i];
    im.model.add_token(a.content, a.id);
    im.trie.insert(a.content, static_cast<int32_t>(i));
    im.added_by_content[a.content] = i;
    if (a.special) {
      im.special_strings.insert(a.content);
      t.special_ids_.insert(a.id);
    }
  }
  for (const Json& s : field(config, "additional_special_tokens")) {
    if (s.is_string()) im.special_strings.insert(s.get<std::string>());
  }
  NT_ASSIGN_OR_RETURN(im.normalizer, make_normalizer(field(tj.rest, "normalizer")));
  NT_ASSIGN_OR_RETURN(im.pre_tokenizer, make_pre_tokenizer(field(tj.rest, "pre_tokenizer")));
  auto added = std::make_shared<std::unordered_set<std::string>>();
  for (const auto& a : t.added_tokens_) added->insert(a.content);
  NT_ASSIGN_OR_RETURN(im.decoder, make_decoder(field(tj.rest, "decoder"), added));
  NT_RETURN_IF_ERROR(load_post_processor(field(tj.rest, "post_processor"), im.model, &im.post_steps));

  // tokenizer_config.json switches the reference honours.
  im.remove_space = bool_field(config, "remove_space", false);
  im.lowercase_and_remove_accent = bool_field(config, "do_lowercase_and_remove_accent", false);
  im.clean_up_default = bool_field(config, "clean_up_tokenization_spaces", true);
  std::string cls = string_field(config, "tokenizer_class");
  if (ends_with(cls, "Fast")) cls.resize(cls.size() - 4);
  if (cls == "LlamaTokenizer" && field(config, "legacy").is_boolean() && !bool_field(config, "legacy", true)) {
    // As the reference (and transformers' LlamaTokenizer with legacy=False) does.
    im.llama_non_legacy = true;
    im.normalizer.reset();
    im.pre_tokenizer = make_metaspace(kSpieceUnderline, true, "first");
  }
  im.end_of_word_suffix = string_field(field(tj.rest, "model"), "end_of_word_suffix");
  im.unk_token = string_field(field(tj.rest, "model"), "unk_token");

  NT_ASSIGN_OR_RETURN(std::string bos, config_token(config, "bos_token"));
  NT_ASSIGN_OR_RETURN(std::string eos, config_token(config, "eos_token"));
  t.bos_id_ = bos.empty() ? -1 : t.token_to_id(bos);
  t.eos_id_ = eos.empty() ? -1 : t.token_to_id(eos);
  if (t.bos_id_ < 0 && !ids_field(field(gen, "bos_token_id")).empty()) t.bos_id_ = ids_field(field(gen, "bos_token_id"))[0];
  t.eos_ids_ = ids_field(field(gen, "eos_token_id"));
  if (t.eos_id_ < 0 && !t.eos_ids_.empty()) t.eos_id_ = t.eos_ids_[0];
  if (t.eos_ids_.empty() && t.eos_id_ >= 0) t.eos_ids_.push_back(t.eos_id_);
  return t;
}

Result<Tokenizer> Tokenizer::load(const std::string& path) {
  std::string json_path = path, dir;
  if (ends_with(path, ".json") && file_exists(path)) {
    size_t slash = path.find_last_of('/');
    dir = slash == std::string::npos ? "." : path.substr(0, slash);
  } else {
    dir = path;
    json_path = path + "/tokenizer.json";
  }
  if (!file_exists(json_path)) return Status::error(cat("no tokenizer.json found at '", json_path, "'"));
  NT_ASSIGN_OR_RETURN(std::string json, read_text_file(json_path));
  std::string config, gen;
  if (file_exists(dir + "/tokenizer_config.json")) {
    NT_ASSIGN_OR_RETURN(config, read_text_file(dir + "/tokenizer_config.json"));
  }
  if (file_exists(dir + "/generation_config.json")) {
    NT_ASSIGN_OR_RETURN(gen, read_text_file(dir + "/generation_config.json"));
  }
  auto t = from_json(json, config, gen);
  if (!t.is_ok()) return t.status().with_context(json_path);
  return t;
}

int32_t Tokenizer::token_to_id(std::string_view token) const { return impl_->model.token_to_id(token); }

Result<std::string> Tokenizer::id_to_token(int32_t id) const {
  auto s = impl_->model.id_to_token(id);
  if (!s) return Status::error(cat("token id ", id, " has no token (vocabulary size ", vocab_size(), ")"));
  return std::string(*s);
}

size_t Tokenizer::vocab_size() const { return impl_->model.id_count(); }

// ---- encode ------------------------------------------------------------------------------------

Status Tokenizer::encode_section(std::string x, size_t section_index, std::vector<int32_t>* ids) const {
  const Impl& im = *impl_;
  if (im.remove_space) {  // x.trim().split(/\s+/).join(" ")
    std::string t = js_trim(x, true, true), out;
    size_t pos = 0;
    bool in_space = false;
    while (pos < t.size()) {
      size_t start = pos;
      char32_t c = decode_utf8(t, &pos);
      if (is_js_space(c)) {
        in_space = true;
        continue;
      }
      if (in_space) out.push_back(' ');
      in_space = false;
      out.append(t, start, pos - start);
    }
    x = std::move(out);
  }
  if (im.lowercase_and_remove_accent) x = remove_marks(to_lower(x));
  if (im.normalizer) NT_RETURN_IF_ERROR(im.normalizer->normalize(&x));
  if (x.empty()) return Status::ok();
  std::vector<std::string> pieces{std::move(x)};
  if (im.pre_tokenizer) NT_RETURN_IF_ERROR(im.pre_tokenizer->pre_tokenize(&pieces, section_index));
  for (const auto& p : pieces) im.model.encode_piece(p, ids);
  return Status::ok();
}

Status Tokenizer::post_process(std::vector<int32_t>* ids, bool add_special_tokens) const {
  if (!add_special_tokens) return Status::ok();
  for (const auto& step : impl_->post_steps) {
    std::vector<int32_t> out;
    out.reserve(ids->size() + step.size());
    for (const TemplatePiece& p : step) {
      if (p.is_sequence) out.insert(out.end(), ids->begin(), ids->end());
      else out.push_back(p.id);
    }
    *ids = std::move(out);
  }
  return Status::ok();
}

Result<std::vector<int32_t>> Tokenizer::encode(std::string_view input, bool add_special_tokens, bool parse_special) const {
  return encode_clean(sanitize_utf8(input), add_special_tokens, parse_special);
}

Result<std::vector<int32_t>> Tokenizer::encode_wtf8(std::string_view input, bool add_special_tokens,
                                                    bool parse_special) const {
  return encode_clean(sanitize_wtf8(input), add_special_tokens, parse_special);
}

Result<std::vector<int32_t>> Tokenizer::encode_clean(std::string text, bool add_special_tokens, bool parse_special) const {
  const Impl& im = *impl_;
  if (im.llama_non_legacy && !text.empty()) {
    std::string t = kSpieceUnderline;
    for (size_t pos = 0; pos < text.size();) {
      if (text.compare(pos, 3, kSpieceUnderline) == 0) {
        t.push_back(' ');
        pos += 3;
      } else {
        t.push_back(text[pos++]);
      }
    }
    text = std::move(t);
  }
  // Split on added tokens: longest match at the leftmost position.
  std::vector<std::string> sections;
  std::vector<bool> is_added;  // sections[k] is an added-token match
  size_t start = 0, i = 0;
  while (i < text.size()) {
    int32_t index = -1;
    size_t len = im.trie.longest(text, i, &index);
    if (len > 0 && !parse_special && added_tokens_[index].special) len = 0;
    if (len == 0) {
      ++i;
      continue;
    }
    if (i > start) {
      sections.push_back(text.substr(start, i - start));
      is_added.push_back(false);
    }
    sections.push_back(added_tokens_[index].content);
    is_added.push_back(true);
    i += len;
    start = i;
  }
  if (start < text.size()) {
    sections.push_back(text.substr(start));
    is_added.push_back(false);
  }
  // lstrip / rstrip trim the neighbouring sections (JavaScript whitespace), in order, as the reference does.
  auto added_at = [&](size_t k) -> const AddedToken* {
    // The reference looks sections up by content; only text left unmatched on purpose (a special token
    // with parse_special off) must not be taken for the token.
    if (!parse_special && !is_added[k]) return nullptr;
    auto it = im.added_by_content.find(sections[k]);
    return it == im.added_by_content.end() ? nullptr : &added_tokens_[it->second];
  };
  for (size_t k = 0; k < sections.size(); ++k) {
    if (const AddedToken* a = added_at(k)) {
      const bool l = a->lstrip, r = a->rstrip;
      if (l && k > 0) sections[k - 1] = js_trim(sections[k - 1], false, true);
      if (r && k + 1 < sections.size()) sections[k + 1] = js_trim(sections[k + 1], true, false);
    }
  }
  std::vector<int32_t> ids;
  for (size_t k = 0; k < sections.size(); ++k) {
    if (sections[k].empty()) continue;
    if (added_at(k)) {
      ids.push_back(token_to_id(sections[k]));
      continue;
    }
    NT_RETURN_IF_ERROR(encode_section(std::move(sections[k]), k, &ids));
  }
  if (im.llama_non_legacy && ids.size() > 1) {
    auto first = im.model.id_to_token(ids[0]);
    auto second = im.model.id_to_token(ids[1]);
    if (first && *first == kSpieceUnderline && second && im.special_strings.count(std::string(*second))) {
      ids.erase(ids.begin());
    }
  }
  NT_RETURN_IF_ERROR(post_process(&ids, add_special_tokens));
  return ids;
}

// ---- decode ------------------------------------------------------------------------------------

Result<std::string> Tokenizer::decode_bytes(const int32_t* ids, size_t n, bool skip_special_tokens) const {
  const Impl& im = *impl_;
  std::vector<std::string> tokens;
  tokens.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto s = im.model.id_to_token(ids[i]);
    if (!s) {  // the reference falls back to unk_token
      if (im.unk_token.empty()) {
        return Status::error(cat("token id ", ids[i], " has no token (vocabulary size ", vocab_size(), ")"));
      }
      s = im.unk_token;
    }
    std::string token(*s);
    if (skip_special_tokens && im.special_strings.count(token)) continue;
    tokens.push_back(std::move(token));
  }
  std::string text;
  if (im.decoder) {
    NT_RETURN_IF_ERROR(im.decoder->decode_chain(&tokens));
    for (const auto& t : tokens) text += t;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
  }
  if (im.decoder && !im.end_of_word_suffix.empty()) {
    std::string out;
    size_t pos = 0;
    while (true) {
      size_t at = text.find(im.end_of_word_suffix, pos);
      if (at == std::string::npos) break;
      out.append(text, pos, at - pos);
      out.push_back(' ');
      pos = at + im.end_of_word_suffix.size();
    }
    out.append(text, pos, std::string::npos);
    text = skip_special_tokens ? js_trim(out, true, true) : out;
  }
  return text;
}

Result<std::string> Tokenizer::decode(const std::vector<int32_t>& ids, const DecodeOptions& options) const {
  NT_ASSIGN_OR_RETURN(std::string bytes, decode_bytes(ids.data(), ids.size(), options.skip_special_tokens));
  std::string text = sanitize_utf8(bytes);
  bool clean = options.clean_up == DecodeOptions::CleanUp::kYes ||
               (options.clean_up == DecodeOptions::CleanUp::kFromConfig && impl_->clean_up_default);
  if (clean) text = clean_up_tokenization(text);
  return text;
}

}  // namespace nt::text
