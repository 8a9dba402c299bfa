// The BPE model of a Hugging Face tokenizer.json: vocabulary, ranked merges, and the merge loop that
// turns one pre-tokenized piece into token ids.
//
// Semantics follow the reference (transformers.js): a piece is split into code points, the adjacent
// pair with the lowest merge rank is merged first (leftmost on ties) until no ranked pair is left;
// with ignore_merges a piece that is itself in the vocabulary is emitted whole; a symbol missing from
// the vocabulary becomes <0xXX> byte tokens when byte_fallback is set (and all of them exist), else
// the unknown token; duplicate merges take the rank of their last occurrence.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace nt::text {

struct TransparentHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringIdMap = std::unordered_map<std::string, uint32_t, TransparentHash, std::equal_to<>>;

struct BpeOptions {
  std::string unk_token;           // empty: none
  std::string end_of_word_suffix;  // appended to the last code point of every piece
  bool byte_fallback = false;
  bool ignore_merges = false;
  bool fuse_unk = false;
};

class BpeModel {
 public:
  // vocab: (token, id) pairs; merges: (left, right) pairs in rank order.
  static Result<BpeModel> build(const std::vector<std::pair<std::string, int64_t>>& vocab,
                                const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options);

  BpeModel() = default;
  BpeModel(BpeModel&& o) noexcept;
  BpeModel& operator=(BpeModel&& o) noexcept;

  // Added tokens join the token lookup (the reference adds them to the model's map, overriding ids).
  void add_token(std::string_view content, int32_t id);

  // Appends the ids of one pre-tokenized piece. Id -1 stands for "unknown token, but the model has none".
  void encode_piece(std::string_view piece, std::vector<int32_t>* ids) const;

  // -1 if absent.
  int32_t token_to_id(std::string_view token) const;
  // nullopt if the id has no token.
  std::optional<std::string_view> id_to_token(int32_t id) const;
  size_t id_count() const { return id_to_symbol_.size(); }
  int32_t unk_id() const { return token_to_id(options_.unk_token); }

 private:
  // Symbols are the strings of the vocabulary and of the merges; their text lives in arena_.
  struct Symbol {
    uint32_t offset, length, hash;
    int32_t token_id = -1;  // -1: appears in merges only, not a token
  };
  struct MergeSlot {
    uint64_t key = 0;  // (left symbol + 1) << 32 | (right symbol + 1); 0 = empty slot
    uint32_t rank = 0, merged = 0;
  };

  std::string_view text(uint32_t symbol) const {
    return std::string_view(arena_).substr(symbols_[symbol].offset, symbols_[symbol].length);
  }
  uint32_t intern(std::string_view s);
  uint32_t find_symbol(std::string_view s) const;  // UINT32_MAX if absent
  uint32_t find_symbol(std::string_view s, uint32_t hash) const;
  void grow_symbol_table();
  void insert_merge(uint32_t left, uint32_t right, uint32_t rank, uint32_t merged);
  const MergeSlot* find_merge(uint32_t left, uint32_t right) const;
  void merge_word(std::vector<uint32_t>* syms, std::vector<std::string_view>* unknown_text) const;
  void emit_token(std::string_view text, int32_t token_id, std::vector<int32_t>* ids) const;

  BpeOptions options_;
  std::string arena_;
  std::vector<Symbol> symbols_;
  // Open addressing over symbols_: hash << 32 | index (kEmptySlot: empty), power-of-two size. Keeping the
  // hash in the slot lets a probe skip non-matching symbols without touching symbols_ or arena_.
  std::vector<uint64_t> symbol_slots_;
  std::vector<uint32_t> id_to_symbol_;  // token id -> symbol (UINT32_MAX: no token)
  std::vector<MergeSlot> merge_table_;  // open addressing, power-of-two size
  std::vector<uint32_t> char_symbol_;   // symbol of each single code point below kCharTable (UINT32_MAX: none)
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, TransparentHash, std::equal_to<>> cache_;
};

}  // namespace nt::text
