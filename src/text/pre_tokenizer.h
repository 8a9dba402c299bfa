// Pre-tokenizers of a tokenizer.json ("pre_tokenizer": {...}): split a normalized text section into
// the pieces the BPE model encodes one by one. Semantics follow the reference (transformers.js):
//  - Split: invert -> the matches only; behavior "Removed" -> String.prototype.split (gaps only);
//    every other behavior -> gaps and matches in order ("Isolated"), empty strings dropped.
//  - ByteLevel: optional prefix space, optional GPT-2 regex, then bytes -> the byte-level alphabet.
//  - Metaspace: spaces -> replacement, prefix per add_prefix_space / prepend_scheme; no splitting.
//  - Whitespace, WhitespaceSplit, Digits, Punctuation, BertPreTokenizer, Replace, Sequence.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"

namespace nt::text {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces *pieces by the concatenation of this pre-tokenizer applied to each piece.
  // section_index: position of the text section among the added-token split (Metaspace "first").
  virtual Status pre_tokenize(std::vector<std::string>* pieces, size_t section_index) const;
  virtual Status split_one(const std::string& piece, size_t section_index, std::vector<std::string>* out) const = 0;
};

Result<std::unique_ptr<PreTokenizer>> make_pre_tokenizer(const Json& config);

// A Metaspace pre-tokenizer (used by LlamaTokenizer with legacy=false).
std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, bool add_prefix_space, std::string prepend_scheme);

// The GPT-2 byte -> printable code point map (bytes_to_unicode) and its inverse (-1 if not in the image).
char32_t byte_to_unicode(uint8_t b);
int unicode_to_byte(char32_t c);
// Maps every byte of s to its byte-level code point, UTF-8 encoded.
std::string byte_level_encode(std::string_view s);

}  // namespace nt::text
