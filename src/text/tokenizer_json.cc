#include "text/tokenizer_json.h"

#include <cstring>

#include "core/strings.h"
#include "text/unicode.h"

namespace nt::text {

namespace {

// A cursor over JSON text with the few primitives the vocab/merges fast path needs. Every read is
// bounds-checked; failures carry the byte offset.
class Cursor {
 public:
  Cursor(std::string_view text, size_t pos, size_t end) : t_(text), pos_(pos), end_(end) {}

  size_t pos() const { return pos_; }
  bool at_end() { skip_ws(); return pos_ >= end_; }
  void skip_ws() {
    while (pos_ < end_ && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\r' || t_[pos_] == '\t')) ++pos_;
  }
  bool peek(char c) {
    skip_ws();
    return pos_ < end_ && t_[pos_] == c;
  }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  Status expect(char c, const char* what) {
    if (accept(c)) return Status::ok();
    return error(cat("expected ", what));
  }
  Status error(const std::string& what) const { return Status::error(cat(what, " at byte ", pos_)); }

  // A JSON string (the cursor on its opening quote), unescaped into *out.
  Status string(std::string* out) {
    skip_ws();
    if (pos_ >= end_ || t_[pos_] != '"') return error("expected a string");
    ++pos_;
    out->clear();
    while (true) {
      size_t run = pos_;
      while (run < end_ && t_[run] != '"' && t_[run] != '\\' && static_cast<unsigned char>(t_[run]) >= 0x20) ++run;
      out->append(t_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= end_) return error("unterminated string");
      char c = t_[pos_++];
      if (c == '"') return Status::ok();
      if (c != '\\') return error("control character in a string");
      NT_RETURN_IF_ERROR(escape(out));
    }
  }

  // A non-negative integer that fits in int64.
  Status integer(int64_t* v) {
    skip_ws();
    size_t start = pos_;
    if (pos_ < end_ && t_[pos_] == '-') return error("expected a non-negative integer id, found a negative number");
    int64_t x = 0;
    while (pos_ < end_ && t_[pos_] >= '0' && t_[pos_] <= '9') {
      if (x > (INT64_MAX - 9) / 10) return error("integer id too large");
      x = x * 10 + (t_[pos_++] - '0');
    }
    if (pos_ == start) return error("expected an integer id");
    if (pos_ < end_ && (t_[pos_] == '.' || t_[pos_] == 'e' || t_[pos_] == 'E')) return error("expected an integer id, found a fraction");
    *v = x;
    return Status::ok();
  }

 private:
  Status hex4(char32_t* v) {
    if (pos_ + 4 > end_) return error("truncated \\u escape");
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = t_[pos_++];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return error("invalid \\u escape");
      *v = *v * 16 + d;
    }
    return Status::ok();
  }
  Status escape(std::string* out) {
    if (pos_ >= end_) return error("unterminated escape");
    char e = t_[pos_++];
    switch (e) {
      case '"': out->push_back('"'); return Status::ok();
      case '\\': out->push_back('\\'); return Status::ok();
      case '/': out->push_back('/'); return Status::ok();
      case 'b': out->push_back('\b'); return Status::ok();
      case 'f': out->push_back('\f'); return Status::ok();
      case 'n': out->push_back('\n'); return Status::ok();
      case 'r': out->push_back('\r'); return Status::ok();
      case 't': out->push_back('\t'); return Status::ok();
      case 'u': break;
      default: return error("invalid escape");
    }
    char32_t u;
    NT_RETURN_IF_ERROR(hex4(&u));
    if (u >= 0xD800 && u <= 0xDBFF && pos_ + 1 < end_ && t_[pos_] == '\\' && t_[pos_ + 1] == 'u') {
      size_t save = pos_;
      pos_ += 2;
      char32_t lo;
      NT_RETURN_IF_ERROR(hex4(&lo));
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        return Status::ok();
      }
      pos_ = save;
    }
    append_utf8(out, u);  // a lone surrogate stays as WTF-8
    return Status::ok();
  }

  std::string_view t_;
  size_t pos_, end_;
};

// End of the JSON value starting at `pos` (first non-space byte), matching brackets outside strings.
Result<size_t> skip_value(std::string_view t, size_t pos) {
  int depth = 0;
  size_t i = pos;
  while (i < t.size()) {
    char c = t[i++];
    if (c == '"') {
      while (i < t.size() && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
      if (i >= t.size()) break;
      ++i;
      if (depth == 0) return i;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i - 1;  // the end of a number or literal that closes its container
      if (--depth == 0) return i;
    } else if (depth == 0 && c == ',') {
      return i - 1;
    }
  }
  return Status::error(cat("unbalanced JSON value starting at byte ", pos));
}

struct Span {
  size_t begin = 0, end = 0;  // [begin, end) of the value text
  bool found = false;
};

// Finds the values of model.vocab and model.merges by walking the document's top two levels.
Status find_model_spans(std::string_view t, Span* vocab, Span* merges) {
  Cursor c(t, 0, t.size());
  if (!c.accept('{')) return Status::ok();  // not an object: the full parse reports it
  std::string key;
  while (!c.peek('}')) {
    NT_RETURN_IF_ERROR(c.string(&key));
    NT_RETURN_IF_ERROR(c.expect(':', "':'"));
    c.skip_ws();
    if (key == "model" && c.peek('{')) {
      c.accept('{');
      std::string inner;
      while (!c.peek('}')) {
        NT_RETURN_IF_ERROR(c.string(&inner));
        NT_RETURN_IF_ERROR(c.expect(':', "':'"));
        c.skip_ws();
        NT_ASSIGN_OR_RETURN(size_t end, skip_value(t, c.pos()));
        Span* s = inner == "vocab" ? vocab : inner == "merges" ? merges : nullptr;
        if (s) *s = {c.pos(), end, true};
        c = Cursor(t, end, t.size());
        if (!c.accept(',')) break;
      }
      NT_RETURN_IF_ERROR(c.expect('}', "'}'"));
    } else {
      NT_ASSIGN_OR_RETURN(size_t end, skip_value(t, c.pos()));
      c = Cursor(t, end, t.size());
    }
    if (!c.accept(',')) break;
  }
  return Status::ok();
}

Status parse_vocab(std::string_view t, Span s, TokenizerJson* out) {
  Cursor c(t, s.begin, s.end);
  if (!c.accept('{')) return Status::ok();  // not an object: load_model reports "missing or not an object"
  out->has_vocab = true;
  std::string key;
  if (!c.peek('}')) {
    do {
      NT_RETURN_IF_ERROR(c.string(&key));
      NT_RETURN_IF_ERROR(c.expect(':', "':'"));
      int64_t id = 0;
      if (Status st = c.integer(&id); !st) return st.with_context(cat("entry '", key, "'"));
      out->vocab.emplace_back(key, id);
    } while (c.accept(','));
  }
  return c.expect('}', "',' or '}'");
}

Status parse_merges(std::string_view t, Span s, TokenizerJson* out) {
  Cursor c(t, s.begin, s.end);
  if (!c.accept('[')) return Status::ok();
  out->has_merges = true;
  std::string a, b;
  if (c.peek(']')) return c.expect(']', "']'");
  while (true) {
    if (c.accept('[')) {  // ["left", "right"]
      NT_RETURN_IF_ERROR(c.string(&a));
      if (!c.accept(',')) return c.error("expected a merge with 2 parts");
      NT_RETURN_IF_ERROR(c.string(&b));
      if (!c.accept(']')) return c.error("expected a merge with 2 parts");
      out->merges.emplace_back(a, b);
    } else {  // "left right": split at the first space (the reference takes split(" ", 2))
      NT_RETURN_IF_ERROR(c.string(&a));
      size_t sp = a.find(' ');
      if (sp == std::string::npos) {
        out->merges.emplace_back(a, std::string("\x01no-pair"));  // keeps ranks aligned; never matches
      } else {
        size_t sp2 = a.find(' ', sp + 1);
        out->merges.emplace_back(a.substr(0, sp), a.substr(sp + 1, sp2 == std::string::npos ? sp2 : sp2 - sp - 1));
      }
    }
    if (!c.accept(',')) break;
  }
  return c.expect(']', "',' or ']'");
}

}  // namespace

Result<TokenizerJson> read_tokenizer_json(std::string_view text) {
  TokenizerJson out;
  Span vocab, merges;
  // The fast path only locates the two big values; anything malformed around them is reported by the
  // full parse of the remainder below.
  Status located = find_model_spans(text, &vocab, &merges);
  if (!located.is_ok()) vocab = merges = Span{};
  if (vocab.found) NT_RETURN_IF_ERROR(parse_vocab(text, vocab, &out).with_context("tokenizer.json: model.vocab"));
  if (merges.found) NT_RETURN_IF_ERROR(parse_merges(text, merges, &out).with_context("tokenizer.json: model.merges"));
  // The rest of the document, with the two values replaced by null, through the ordinary JSON parser.
  std::string rest;
  std::vector<Span> cut;
  if (out.has_vocab) cut.push_back(vocab);
  if (out.has_merges) cut.push_back(merges);
  if (cut.size() == 2 && cut[0].begin > cut[1].begin) std::swap(cut[0], cut[1]);
  size_t prev = 0;
  for (const Span& s : cut) {
    rest.append(text.substr(prev, s.begin - prev));
    rest += "null";
    prev = s.end;
  }
  rest.append(text.substr(prev));
  NT_ASSIGN_OR_RETURN(out.rest, parse_json(rest, "tokenizer.json"));
  if (!out.rest.is_object()) return Status::error("tokenizer.json: expected a JSON object at the top level");
  return out;
}

}  // namespace nt::text
