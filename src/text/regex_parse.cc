// Parser for the regex dialect described in text/regex.h: pattern text -> RegexNode tree.
#include <cstdlib>

#include "core/strings.h"
#include "text/regex_internal.h"
#include "text/unicode.h"

namespace nt::text {

void CharClass::finalize() {
  ascii[0] = ascii[1] = 0;
  for (char32_t c = 0; c < 128; ++c) {
    if (contains_slow(c)) ascii[c >> 6] |= uint64_t{1} << (c & 63);
  }
}

bool CharClass::contains_slow(char32_t cp) const {
  bool in = false;
  for (const Item& it : items) {
    bool m = false;
    switch (it.kind) {
      case Item::kRange: m = cp >= it.lo && cp <= it.hi; break;
      case Item::kCategories: m = (it.mask >> general_category(cp)) & 1; break;
      case Item::kSpace: m = is_js_space(cp); break;
      case Item::kDigit: m = cp >= '0' && cp <= '9'; break;
      case Item::kWord:
        m = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
        break;
    }
    if (m != it.negated) {
      in = true;
      break;
    }
  }
  return in != negated;
}

namespace {

using Node = RegexNode;
using NodePtr = std::unique_ptr<RegexNode>;

NodePtr make(Node::Kind kind) {
  auto n = std::make_unique<Node>();
  n->kind = kind;
  return n;
}

class Parser {
 public:
  Parser(std::string_view pattern, ParsedRegex* out) : s_(to_u32(pattern)), out_(out) {}

  Result<NodePtr> parse() {
    NT_ASSIGN_OR_RETURN(NodePtr root, parse_disjunction(false));
    if (pos_ < s_.size()) return error("unbalanced ')'");
    return root;
  }

 private:
  Status error(const std::string& what) const {
    return Status::error(cat("regex: ", what, " at offset ", pos_, " of the pattern"));
  }
  bool eof() const { return pos_ >= s_.size(); }
  char32_t peek(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : 0; }
  bool accept(char32_t c) {
    if (peek() != c || eof()) return false;
    ++pos_;
    return true;
  }

  Result<NodePtr> parse_disjunction(bool icase) {
    auto alt = make(Node::kAlternate);
    while (true) {
      NT_ASSIGN_OR_RETURN(NodePtr seq, parse_alternative(&icase));
      alt->children.push_back(std::move(seq));
      if (!accept('|')) break;
    }
    if (alt->children.size() == 1) return std::move(alt->children[0]);
    return alt;
  }

  Result<NodePtr> parse_alternative(bool* icase) {
    auto seq = make(Node::kConcat);
    while (!eof() && peek() != '|' && peek() != ')') {
      if (peek() == '(' && peek(1) == '?' && peek(2) == 'i' && peek(3) == ')') {  // inline (?i): rest of group
        pos_ += 4;
        *icase = true;
        continue;
      }
      NT_ASSIGN_OR_RETURN(NodePtr atom, parse_atom(*icase));
      NT_ASSIGN_OR_RETURN(NodePtr term, parse_quantifier(std::move(atom)));
      seq->children.push_back(std::move(term));
    }
    if (seq->children.size() == 1) return std::move(seq->children[0]);
    return seq;
  }

  // Parses {n}, {n,}, {n,m} at pos_ (pointing at '{'); false (pos_ unchanged) if it is not a quantifier.
  bool parse_braces(int* min, int* max) {
    size_t p = pos_ + 1;
    auto number = [&](int* v) {
      size_t start = p;
      long long x = 0;
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9' && x < 100000) x = x * 10 + (s_[p++] - '0');
      *v = static_cast<int>(x);
      return p > start;
    };
    if (!number(min)) return false;
    *max = *min;
    if (p < s_.size() && s_[p] == ',') {
      ++p;
      if (!number(max)) *max = -1;
    }
    if (p >= s_.size() || s_[p] != '}') return false;
    pos_ = p + 1;
    return true;
  }

  Result<NodePtr> parse_quantifier(NodePtr atom) {
    int min = 0, max = -1;
    if (accept('*')) {
    } else if (accept('+')) {
      min = 1;
    } else if (accept('?')) {
      max = 1;
    } else if (peek() == '{' && parse_braces(&min, &max)) {
      if (max != -1 && max < min) return error("quantifier range out of order");
      if (min > 1000 || max > 1000) return error("counted repetition above 1000");
    } else {
      return atom;
    }
    switch (atom->kind) {
      case Node::kLineStart: case Node::kLineEnd: case Node::kWordBoundary: case Node::kNotWordBoundary:
        return error("nothing to repeat");
      default: break;
    }
    auto rep = make(Node::kRepeat);
    rep->min = min;
    rep->max = max;
    if (accept('?')) rep->greedy = false;
    else if (accept('+')) rep->possessive = true;
    rep->children.push_back(std::move(atom));
    return rep;
  }

  NodePtr class_node(CharClass cc) {
    cc.finalize();
    auto n = make(Node::kClass);
    n->class_index = static_cast<int>(out_->classes.size());
    out_->classes.push_back(std::move(cc));
    return n;
  }

  static void add_char(CharClass* cc, char32_t c, bool icase) {
    cc->add_range(c, c);
    if (!icase) return;
    if (c >= 'a' && c <= 'z') cc->add_range(c - 32, c - 32);
    if (c >= 'A' && c <= 'Z') cc->add_range(c + 32, c + 32);
  }

  Result<NodePtr> parse_group(bool icase) {
    // pos_ is just past '('.
    Node::Kind kind = Node::kGroup;
    if (accept('?')) {
      if (accept(':')) {
      } else if (accept('=')) {
        kind = Node::kLookahead;
      } else if (accept('!')) {
        kind = Node::kNegLookahead;
      } else if (accept('>')) {
        kind = Node::kAtomic;
      } else if (peek() == 'i' && peek(1) == ':') {
        pos_ += 2;
        icase = true;
      } else if (peek() == '<' && (peek(1) == '=' || peek(1) == '!')) {
        return error("lookbehind is not supported");
      } else if (accept('<')) {  // named group: the name does not matter without backreferences
        while (!eof() && peek() != '>') ++pos_;
        if (!accept('>')) return error("unterminated group name");
      } else {
        return error("unsupported group syntax '(?" + to_utf8(std::u32string(1, peek())) + "'");
      }
    }
    NT_ASSIGN_OR_RETURN(NodePtr inner, parse_disjunction(icase));
    if (!accept(')')) return error("missing ')'");
    auto g = make(kind);
    g->children.push_back(std::move(inner));
    return g;
  }

  Result<NodePtr> parse_atom(bool icase) {
    char32_t c = peek();
    switch (c) {
      case '(':
        ++pos_;
        return parse_group(icase);
      case '^': ++pos_; return make(Node::kLineStart);
      case '$': ++pos_; return make(Node::kLineEnd);
      case '*': case '+': case '?': return error("nothing to repeat");
      case '.': {
        ++pos_;
        CharClass cc;
        cc.negated = true;
        for (char32_t t : {U'\n', U'\r', U'\u2028', U'\u2029'}) cc.add_range(t, t);
        return class_node(std::move(cc));
      }
      case '[':
        ++pos_;
        return parse_class(icase);
      case '\\':
        ++pos_;
        return parse_escape_atom(icase);
      default: {
        ++pos_;
        CharClass cc;
        add_char(&cc, c, icase);
        return class_node(std::move(cc));
      }
    }
  }

  Result<NodePtr> parse_escape_atom(bool icase) {
    if (eof()) return error("pattern ends with '\\'");
    char32_t c = peek();
    if (c == 'b') { ++pos_; return make(Node::kWordBoundary); }
    if (c == 'B') { ++pos_; return make(Node::kNotWordBoundary); }
    if (c == 'A') { ++pos_; return make(Node::kLineStart); }
    if (c == 'z') { ++pos_; return make(Node::kLineEnd); }
    if (c >= '1' && c <= '9') return error("backreferences are not supported");
    if (c == 'k') return error("named backreferences are not supported");
    CharClass cc;
    NT_ASSIGN_OR_RETURN(bool is_set, parse_class_escape(&cc, icase, false));
    (void)is_set;
    return class_node(std::move(cc));
  }

  Result<char32_t> parse_hex(int digits) {
    char32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      char32_t h = peek();
      int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
      if (d < 0 || eof()) return error("bad hexadecimal escape");
      v = v * 16 + d;
      ++pos_;
    }
    return v;
  }

  // After '\': adds the escape's code points to *cc. Returns true if it denoted a set (\d, \p{..}, ...)
  // rather than one character (which matters for ranges inside [...]).
  Result<bool> parse_class_escape(CharClass* cc, bool icase, bool in_class) {
    char32_t c = peek();
    ++pos_;
    using Item = CharClass::Item;
    switch (c) {
      case 'd': case 'D': cc->items.push_back({Item::kDigit, c == 'D', 0, 0, 0}); return true;
      case 'w': case 'W': cc->items.push_back({Item::kWord, c == 'W', 0, 0, 0}); return true;
      case 's': case 'S': cc->items.push_back({Item::kSpace, c == 'S', 0, 0, 0}); return true;
      case 'p': case 'P': {
        if (!accept('{')) return error("expected '{' after \\p");
        size_t start = pos_;
        while (!eof() && peek() != '}') ++pos_;
        std::string name = to_utf8(s_.substr(start, pos_ - start));
        if (!accept('}')) return error("unterminated \\p{...}");
        uint32_t mask = category_mask(name);
        if (!mask) return error("unsupported Unicode property '" + name + "' (only general categories are)");
        cc->items.push_back({Item::kCategories, c == 'P', 0, 0, mask});
        return true;
      }
      case 't': add_char(cc, '\t', false); return false;
      case 'n': add_char(cc, '\n', false); return false;
      case 'r': add_char(cc, '\r', false); return false;
      case 'f': add_char(cc, '\f', false); return false;
      case 'v': add_char(cc, '\v', false); return false;
      case '0': add_char(cc, 0, false); return false;
      case 'x': {
        NT_ASSIGN_OR_RETURN(char32_t v, parse_hex(2));
        add_char(cc, v, icase);
        return false;
      }
      case 'u': {
        char32_t v;
        if (accept('{')) {
          size_t start = pos_;
          v = 0;
          while (!eof() && peek() != '}' && pos_ - start < 7) {
            NT_ASSIGN_OR_RETURN(char32_t d, parse_hex(1));
            v = v * 16 + d;
          }
          if (!accept('}') || v > 0x10FFFF) return error("bad \\u{...} escape");
        } else {
          NT_ASSIGN_OR_RETURN(v, parse_hex(4));
        }
        add_char(cc, v, icase);
        return false;
      }
      case 'b':
        if (in_class) { add_char(cc, 8, false); return false; }
        break;
      default:
        break;
    }
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum) {
      pos_ -= 1;
      return error(cat("unsupported escape '\\", static_cast<char>(c), "'"));
    }
    add_char(cc, c, icase);  // identity escape of punctuation: \. \- \/ \# ...
    return false;
  }

  Result<NodePtr> parse_class(bool icase) {
    CharClass cc;
    if (accept('^')) cc.negated = true;
    bool first = true;
    while (true) {
      if (eof()) return error("unterminated character class");
      if (peek() == ']' && !first) break;
      if (peek() == ']' && first) break;  // "[]" matches nothing, "[^]" anything (ECMAScript)
      first = false;
      // One class atom: a character (possibly the start of a range) or a set escape.
      char32_t lo;
      if (accept('\\')) {
        if (eof()) return error("pattern ends with '\\'");
        CharClass tmp;
        NT_ASSIGN_OR_RETURN(bool is_set, parse_class_escape(&tmp, false, true));
        if (is_set) {
          for (auto& it : tmp.items) cc.items.push_back(it);
          continue;
        }
        lo = tmp.items[0].lo;
      } else {
        lo = s_[pos_++];
      }
      char32_t hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < s_.size()) {
        size_t save = pos_;
        ++pos_;
        if (accept('\\')) {
          if (eof()) return error("pattern ends with '\\'");
          CharClass tmp;
          NT_ASSIGN_OR_RETURN(bool is_set, parse_class_escape(&tmp, false, true));
          if (is_set) return error("character class range with a set as its end");
          hi = tmp.items[0].lo;
        } else {
          hi = s_[pos_++];
        }
        if (hi < lo) {
          pos_ = save;
          return error("character class range out of order");
        }
      }
      cc.add_range(lo, hi);
      if (icase) add_ascii_case_variants(&cc, lo, hi);
    }
    ++pos_;  // ']'
    return class_node(std::move(cc));
  }

  static void add_ascii_case_variants(CharClass* cc, char32_t lo, char32_t hi) {
    for (char32_t c = std::max<char32_t>(lo, 'A'); c <= std::min<char32_t>(hi, 'Z'); ++c) cc->add_range(c + 32, c + 32);
    for (char32_t c = std::max<char32_t>(lo, 'a'); c <= std::min<char32_t>(hi, 'z'); ++c) cc->add_range(c - 32, c - 32);
  }

  std::u32string s_;
  size_t pos_ = 0;
  ParsedRegex* out_;
};

}  // namespace

Result<ParsedRegex> parse_regex(std::string_view pattern) {
  ParsedRegex out;
  Parser parser(pattern, &out);
  NT_ASSIGN_OR_RETURN(out.root, parser.parse());
  return out;
}

}  // namespace nt::text
