#include "text/bpe.h"

#include <algorithm>
#include <cstring>
#include <queue>

#include "core/strings.h"
#include "text/unicode.h"

namespace nt::text {

namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr uint64_t kEmptySlot = UINT64_MAX;
constexpr char32_t kCharTable = 0x400;  // covers ASCII and the whole byte-level alphabet (U+0021..U+0143)
constexpr size_t kMaxCachedPiece = 256;
constexpr size_t kMaxCacheEntries = 1 << 16;

uint64_t pair_key(uint32_t left, uint32_t right) { return (uint64_t{left} + 1) << 32 | (uint64_t{right} + 1); }

uint32_t hash_text(std::string_view s) {
  uint64_t h = fnv1a64(s);  // then a final mix
  h ^= h >> 29;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

}  // namespace

BpeModel::BpeModel(BpeModel&& o) noexcept { *this = std::move(o); }

BpeModel& BpeModel::operator=(BpeModel&& o) noexcept {
  options_ = std::move(o.options_);
  arena_ = std::move(o.arena_);
  symbols_ = std::move(o.symbols_);
  symbol_slots_ = std::move(o.symbol_slots_);
  id_to_symbol_ = std::move(o.id_to_symbol_);
  merge_table_ = std::move(o.merge_table_);
  char_symbol_ = std::move(o.char_symbol_);
  cache_ = std::move(o.cache_);
  return *this;
}

uint32_t BpeModel::find_symbol(std::string_view s) const { return find_symbol(s, hash_text(s)); }

uint32_t BpeModel::find_symbol(std::string_view s, uint32_t hash) const {
  if (symbol_slots_.empty()) return kNone;
  const size_t mask = symbol_slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = symbol_slots_[i];
    if (slot == kEmptySlot) return kNone;
    if (static_cast<uint32_t>(slot >> 32) != hash) continue;
    const uint32_t idx = static_cast<uint32_t>(slot);
    const Symbol& sym = symbols_[idx];
    if (sym.length == s.size() && std::memcmp(arena_.data() + sym.offset, s.data(), s.size()) == 0) return idx;
  }
}

void BpeModel::grow_symbol_table() {
  size_t size = symbol_slots_.empty() ? 1024 : symbol_slots_.size() * 2;
  symbol_slots_.assign(size, kEmptySlot);
  const size_t mask = size - 1;
  for (uint32_t idx = 0; idx < symbols_.size(); ++idx) {
    size_t i = symbols_[idx].hash & mask;
    while (symbol_slots_[i] != kEmptySlot) i = (i + 1) & mask;
    symbol_slots_[i] = uint64_t{symbols_[idx].hash} << 32 | idx;
  }
}

uint32_t BpeModel::intern(std::string_view s) {
  const uint32_t hash = hash_text(s);
  uint32_t found = find_symbol(s, hash);
  if (found != kNone) return found;
  if ((symbols_.size() + 1) * 2 > symbol_slots_.size()) grow_symbol_table();
  const uint32_t idx = static_cast<uint32_t>(symbols_.size());
  symbols_.push_back({static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(s.size()), hash, -1});
  arena_.append(s);
  const size_t mask = symbol_slots_.size() - 1;
  size_t i = hash & mask;
  while (symbol_slots_[i] != kEmptySlot) i = (i + 1) & mask;
  symbol_slots_[i] = uint64_t{hash} << 32 | idx;
  return idx;
}

void BpeModel::insert_merge(uint32_t left, uint32_t right, uint32_t rank, uint32_t merged) {
  const uint64_t key = pair_key(left, right);
  const size_t mask = merge_table_.size() - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    MergeSlot& s = merge_table_[i];
    if (s.key == 0 || s.key == key) {  // a repeated pair takes its last rank, as the reference's Map does
      s = {key, rank, merged};
      return;
    }
  }
}

const BpeModel::MergeSlot* BpeModel::find_merge(uint32_t left, uint32_t right) const {
  if (merge_table_.empty()) return nullptr;
  const uint64_t key = pair_key(left, right);
  const size_t mask = merge_table_.size() - 1;
  for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
    const MergeSlot& s = merge_table_[i];
    if (s.key == key) return &s;
    if (s.key == 0) return nullptr;
  }
}

Result<BpeModel> BpeModel::build(const std::vector<std::pair<std::string, int64_t>>& vocab,
                                 const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options) {
  BpeModel m;
  m.options_ = std::move(options);
  m.symbols_.reserve(vocab.size() + vocab.size() / 4);
  size_t table = 1024;
  while (table < (vocab.size() + vocab.size() / 4) * 2) table <<= 1;
  m.symbol_slots_.assign(table / 2, kEmptySlot);  // grow_symbol_table doubles it on first use
  m.grow_symbol_table();
  m.arena_.reserve(vocab.size() * 8);
  int64_t max_id = -1;
  for (const auto& [tok, id] : vocab) {
    if (id < 0 || id > INT32_MAX - 1) return Status::error(cat("vocab: token id ", id, " out of range"));
    max_id = std::max(max_id, id);
  }
  if (max_id > int64_t{64} << 20) return Status::error(cat("vocab: token id ", max_id, " is implausibly large"));
  m.id_to_symbol_.assign(static_cast<size_t>(max_id + 1), kNone);
  for (const auto& [tok, id] : vocab) {
    uint32_t s = m.intern(tok);
    m.symbols_[s].token_id = static_cast<int32_t>(id);  // a repeated token keeps its last id
    m.id_to_symbol_[id] = s;
  }
  size_t merge_slots = 16;
  while (merge_slots < merges.size() + merges.size() / 2) merge_slots <<= 1;
  m.merge_table_.assign(merge_slots, MergeSlot{});
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    joined.assign(a).append(b);
    uint32_t left = m.intern(a), right = m.intern(b), merged = m.intern(joined);
    m.insert_merge(left, right, static_cast<uint32_t>(rank), merged);
  }
  m.char_symbol_.assign(kCharTable, kNone);
  for (char32_t c = 0; c < kCharTable; ++c) {
    std::string s;
    append_utf8(&s, c);
    m.char_symbol_[c] = m.find_symbol(s);
  }
  return m;
}

void BpeModel::add_token(std::string_view content, int32_t id) {
  uint32_t s = intern(content);
  symbols_[s].token_id = id;
  if (id >= 0) {
    if (static_cast<size_t>(id) >= id_to_symbol_.size()) id_to_symbol_.resize(static_cast<size_t>(id) + 1, kNone);
    id_to_symbol_[id] = s;
  }
  if (content.size() <= 4) {  // a single code point may have become a symbol
    size_t pos = 0;
    char32_t c = decode_utf8(content, &pos);
    if (pos == content.size() && c < kCharTable) char_symbol_[c] = s;
  }
  std::lock_guard<std::mutex> lock(cache_mutex_);
  cache_.clear();
}

int32_t BpeModel::token_to_id(std::string_view token) const {
  uint32_t s = find_symbol(token);
  return s == kNone ? -1 : symbols_[s].token_id;
}

std::optional<std::string_view> BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= id_to_symbol_.size() || id_to_symbol_[id] == kNone) return std::nullopt;
  return text(id_to_symbol_[id]);
}

// Merges adjacent symbols, lowest rank first and leftmost on ties. syms[i] == kNone marks a code point
// that is no symbol at all (it never merges; its text is in unknown_text[i]). Linked list + lazy heap.
void BpeModel::merge_word(std::vector<uint32_t>* syms, std::vector<std::string_view>* unknown_text) const {
  std::vector<uint32_t>& sym = *syms;
  const size_t n = sym.size();
  if (n < 2) return;
  std::vector<int32_t> next(n), prev(n);
  for (size_t i = 0; i < n; ++i) {
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
    prev[i] = static_cast<int32_t>(i) - 1;
  }
  struct Candidate {
    uint32_t rank, left, left_sym, right_sym;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  auto push = [&](int32_t left) {
    if (left < 0 || next[left] < 0) return;
    uint32_t a = sym[left], b = sym[next[left]];
    if (a == kNone || b == kNone) return;
    if (const MergeSlot* m = find_merge(a, b)) heap.push({m->rank, static_cast<uint32_t>(left), a, b});
  };
  for (size_t i = 0; i + 1 < n; ++i) push(static_cast<int32_t>(i));
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    const int32_t l = static_cast<int32_t>(c.left), r = next[l];
    if (sym[l] != c.left_sym || r < 0 || sym[r] != c.right_sym) continue;  // stale
    const MergeSlot* m = find_merge(c.left_sym, c.right_sym);
    sym[l] = m->merged;
    sym[r] = kNone - 1;  // dead
    next[l] = next[r];
    if (next[r] >= 0) prev[next[r]] = l;
    push(prev[l]);
    push(l);
  }
  size_t out = 0;
  for (int32_t i = 0; i >= 0; i = next[i]) {
    sym[out] = sym[i];
    (*unknown_text)[out] = (*unknown_text)[i];
    ++out;
  }
  sym.resize(out);
  unknown_text->resize(out);
}

void BpeModel::emit_token(std::string_view text, int32_t token_id, std::vector<int32_t>* ids) const {
  if (token_id >= 0) {
    ids->push_back(token_id);
    return;
  }
  if (options_.byte_fallback) {
    std::vector<int32_t> bytes;
    const std::string utf8 = to_well_formed(text);  // as TextEncoder encodes lone surrogates
    for (unsigned char b : utf8) {
      static const char* kHex = "0123456789ABCDEF";
      char name[7] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>', 0};
      int32_t id = token_to_id(std::string_view(name, 6));
      if (id < 0) {
        bytes.clear();
        break;
      }
      bytes.push_back(id);
    }
    if (!bytes.empty()) {
      ids->insert(ids->end(), bytes.begin(), bytes.end());
      return;
    }
  }
  int32_t unk = unk_id();
  if (options_.fuse_unk && !ids->empty() && ids->back() == unk) return;
  ids->push_back(unk);
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>* ids) const {
  if (piece.empty()) return;
  if (options_.ignore_merges) {
    int32_t id = token_to_id(piece);
    if (id >= 0) {
      ids->push_back(id);
      return;
    }
  }
  const bool cacheable = piece.size() < kMaxCachedPiece;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(piece);
    if (it != cache_.end()) {
      for (int32_t id : it->second) {
        if (!(options_.fuse_unk && id == unk_id() && !ids->empty() && ids->back() == id)) ids->push_back(id);
      }
      return;
    }
  }
  // Split into code points and look each up as a symbol.
  std::vector<uint32_t> sym;
  std::vector<std::string_view> chars;
  sym.reserve(piece.size());
  chars.reserve(piece.size());
  std::string last_with_suffix;
  size_t pos = 0;
  while (pos < piece.size()) {
    size_t start = pos;
    char32_t c = decode_utf8(piece, &pos);
    std::string_view ch = piece.substr(start, pos - start);
    if (pos == piece.size() && !options_.end_of_word_suffix.empty()) {
      last_with_suffix = std::string(ch) + options_.end_of_word_suffix;
      ch = last_with_suffix;
      sym.push_back(find_symbol(ch));
    } else {
      sym.push_back(c < kCharTable ? char_symbol_[c] : find_symbol(ch));
    }
    chars.push_back(ch);
  }
  merge_word(&sym, &chars);
  std::vector<int32_t> out;
  for (size_t i = 0; i < sym.size(); ++i) {
    if (sym[i] == kNone) emit_token(chars[i], token_to_id(chars[i]), &out);
    else emit_token(text(sym[i]), symbols_[sym[i]].token_id, &out);
  }
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_.emplace(std::string(piece), out);
  }
  for (int32_t id : out) {
    if (!(options_.fuse_unk && id == unk_id() && !ids->empty() && ids->back() == id)) ids->push_back(id);
  }
}

}  // namespace nt::text
