// The tokenizer: Hugging Face tokenizer.json (+ tokenizer_config.json, generation_config.json) in,
// token ids out, and back.
//
// encode: the text (invalid UTF-8 replaced by U+FFFD) is split on added tokens (longest match first,
// before any normalization, honouring lstrip/rstrip); each remaining section is normalized,
// pre-tokenized and BPE-encoded; the post-processor (TemplateProcessing, Bert/Roberta, ByteLevel)
// adds special tokens when asked. decode: ids -> token strings -> decoder chain -> UTF-8.
// The reference for every rule is Hugging Face tokenization as transformers.js implements it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "text/tokenizer_json.h"

namespace nt::text {

class BpeModel;
class Normalizer;
class PreTokenizer;
class Decoder;

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool lstrip = false, rstrip = false, normalized = false, special = false, single_word = false;
};

struct DecodeOptions {
  bool skip_special_tokens = false;
  // clean_up_tokenization (" ." -> "." ...): kFromConfig does what the reference's decode() does
  // (tokenizer_config.json's clean_up_tokenization_spaces, default true); the default kNo keeps
  // decode(encode(x)) == x.
  enum class CleanUp { kFromConfig, kYes, kNo } clean_up = CleanUp::kNo;
};

class Tokenizer {
 public:
  // `path`: a directory holding tokenizer.json (tokenizer_config.json and generation_config.json are
  // read when present), or the path of a tokenizer.json file.
  static Result<Tokenizer> load(const std::string& path);
  // From file contents; config / generation config may be empty.
  static Result<Tokenizer> from_json(std::string_view tokenizer_json, std::string_view tokenizer_config = "",
                                     std::string_view generation_config = "");
  // From an already-read tokenizer.json (e.g. one assembled from GGUF metadata) and parsed config /
  // generation config objects (JSON null or {} when absent).
  static Result<Tokenizer> from_parts(TokenizerJson tokenizer_json, const Json& tokenizer_config,
                                      const Json& generation_config);

  Tokenizer();
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Ids of `text`; -1 marks an unknown token in a model without an unknown token. Invalid UTF-8 is
  // replaced by U+FFFD first. parse_special = false leaves special added tokens (GGUF control tokens)
  // in the text to be tokenized as ordinary text, as llama.cpp does; non-special added tokens are
  // always matched. Hugging Face always matches every added token (parse_special = true).
  Result<std::vector<int32_t>> encode(std::string_view text, bool add_special_tokens = true,
                                      bool parse_special = true) const;
  // The same for text that may hold lone surrogates encoded as WTF-8 (text from UTF-16 sources such as
  // JSON "\ud800" escapes); they are tokenized as the reference tokenizes lone surrogates.
  Result<std::vector<int32_t>> encode_wtf8(std::string_view text, bool add_special_tokens = true,
                                           bool parse_special = true) const;
  // Text of `ids` (valid UTF-8). Ids without a token are an error.
  Result<std::string> decode(const std::vector<int32_t>& ids, const DecodeOptions& options = {}) const;
  // The decoder chain's bytes before UTF-8 validation and clean-up (used by the streaming decoder).
  Result<std::string> decode_bytes(const int32_t* ids, size_t n, bool skip_special_tokens) const;

  int32_t token_to_id(std::string_view token) const;  // -1 if absent
  Result<std::string> id_to_token(int32_t id) const;
  size_t vocab_size() const;  // one past the largest id
  int32_t bos_id() const { return bos_id_; }  // -1 if none
  int32_t eos_id() const { return eos_id_; }
  // End-of-sequence ids from generation_config.json (eos_token_id, int or list), else {eos_id()}.
  const std::vector<int32_t>& eos_ids() const { return eos_ids_; }
  bool is_special(int32_t id) const { return special_ids_.count(id) > 0; }
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }

 private:
  struct Impl;
  Result<std::vector<int32_t>> encode_clean(std::string text, bool add_special_tokens, bool parse_special = true) const;
  Status encode_section(std::string section, size_t section_index, std::vector<int32_t>* ids) const;
  Status post_process(std::vector<int32_t>* ids, bool add_special_tokens) const;

  std::unique_ptr<Impl> impl_;
  std::vector<AddedToken> added_tokens_;
  std::unordered_set<int32_t> special_ids_;
  int32_t bos_id_ = -1, eos_id_ = -1;
  std::vector<int32_t> eos_ids_;
};

}  // namespace nt::text
