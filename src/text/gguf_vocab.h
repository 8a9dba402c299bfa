// A tokenizer described by llama.cpp's GGUF metadata (`tokenizer.ggml.*`), turned into the same runtime
// Tokenizer a tokenizer.json gives.
//
// GGUF keeps the vocabulary (tokens by id with a type each), the merges, special ids, add_bos/add_eos and
// the *name* of the pre-tokenizer (`tokenizer.ggml.pre`); the split regexes behind each name live in
// llama.cpp (llama-vocab.cpp). The table here holds, for each name, the regexes of the Hugging Face
// tokenizer.json that name stands for (the "original regex from tokenizer.json" llama.cpp quotes, or its
// list of splits where it keeps the original), with ignore_merges / add_bos / clean-up defaults as
// llama.cpp sets them. Where llama.cpp deviates from the tokenizer.json on purpose we follow the
// tokenizer.json (the model's own tokenizer): "pixtral" uses the Tekken split regex its tokenizer.json
// has (llama.cpp substitutes the Llama-3 regex), and the Qwen2 names keep their NFC normalizer.
//
// Token types (llama.cpp's llama_token_type): 1 normal -> BPE vocabulary; 2 unknown and 3 control ->
// special added tokens (matched in text only when encode's parse_special is on, skipped by
// skip_special_tokens); 4 user-defined -> non-special added tokens (always matched); 5 unused -> no
// token (an id hole, as in tokenizer.json); 6 byte -> vocabulary.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "text/tokenizer.h"

namespace nt::text {

enum class GgufTokenType : int32_t {
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

struct GgufVocab {
  std::string origin;                // file name, for error messages
  std::string model;                 // tokenizer.ggml.model ("gpt2")
  std::string pre;                   // tokenizer.ggml.pre ("" when absent: llama.cpp's "default")
  std::vector<std::string> tokens;   // by id
  std::vector<int32_t> token_types;  // empty, or one per token
  std::vector<std::string> merges;   // "left right", in rank order
  // Special ids (-1: not given).
  int64_t bos = -1, eos = -1, eot = -1, eom = -1, pad = -1, unk = -1, sep = -1;
  std::optional<bool> add_bos, add_eos, add_sep;
};

// A pre-tokenizer name and what it stands for.
struct PreTokenizerSpec {
  std::vector<std::string> names;    // names[0] is the one written to GGUF files
  std::vector<std::string> regexes;  // applied in order, each an isolating Split (tokenizer.json syntax)
  bool ignore_merges = false;
  bool add_bos = false;              // llama.cpp's default when tokenizer.ggml.add_bos_token is absent
  bool clean_spaces = true;          // decode's clean_up_tokenization default
  bool nfc = false;                  // NFC normalizer before splitting
};

const std::vector<PreTokenizerSpec>& pre_tokenizer_specs();
// nullptr for an unknown name.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view name);
// The spec whose regexes are exactly `regexes` (the Split patterns of a tokenizer.json, in order; the
// GPT-2 ByteLevel built-in regex counts as one), or nullptr.
const PreTokenizerSpec* pre_tokenizer_for_regexes(const std::vector<std::string>& regexes);
// The regex of the ByteLevel pre-tokenizer with use_regex = true (GPT-2).
const std::string& gpt2_byte_level_regex();

// Validates the vocabulary (ids in range, one type per token, merges naming tokens of the vocabulary,
// a known model and pre-tokenizer) and builds the tokenizer. Every error names `origin`, the key and
// what was expected and found.
Result<Tokenizer> tokenizer_from_gguf_vocab(const GgufVocab& vocab);

// End-of-generation ids as llama.cpp collects them: eos, eot, eom and every token whose text is one of
// its end-of-turn markers ("<|im_end|>", "<|eot_id|>", "<|endoftext|>", ...), ascending.
std::vector<int32_t> gguf_end_of_generation_ids(const GgufVocab& vocab);

}  // namespace nt::text
