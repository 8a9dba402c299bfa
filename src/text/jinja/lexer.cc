#include "text/jinja/lexer.h"

#include "core/strings.h"
#include "text/jinja/js_text.h"

namespace nt::jinja {

const char* token_type_name(TokenType type) {
  switch (type) {
    case TokenType::kText: return "text";
    case TokenType::kNumber: return "number";
    case TokenType::kString: return "string";
    case TokenType::kIdentifier: return "identifier";
    case TokenType::kEquals: return "'='";
    case TokenType::kOpenParen: return "'('";
    case TokenType::kCloseParen: return "')'";
    case TokenType::kOpenStatement: return "'{%'";
    case TokenType::kCloseStatement: return "'%}'";
    case TokenType::kOpenExpression: return "'{{'";
    case TokenType::kCloseExpression: return "'}}'";
    case TokenType::kOpenSquare: return "'['";
    case TokenType::kCloseSquare: return "']'";
    case TokenType::kOpenCurly: return "'{'";
    case TokenType::kCloseCurly: return "'}'";
    case TokenType::kComma: return "','";
    case TokenType::kDot: return "'.'";
    case TokenType::kColon: return "':'";
    case TokenType::kPipe: return "'|'";
    case TokenType::kAdditive: return "additive operator";
    case TokenType::kMultiplicative: return "multiplicative operator";
    case TokenType::kPower: return "'**'";
    case TokenType::kComparison: return "comparison operator";
    case TokenType::kUnary: return "unary operator";
    case TokenType::kComment: return "comment";
    case TokenType::kRawText: return "raw text";
  }
  return "?";
}

namespace {

// Text with the original line number of every byte, so that errors point into the file as written even
// after preprocessing removed characters.
struct Source {
  std::string text;
  std::vector<int> line;
  void append(std::string_view s, const int* lines) {
    text.append(s);
    line.insert(line.end(), lines, lines + s.size());
  }
};

bool is_space_at(const Source& s, size_t i, size_t* len) {
  size_t p = i;
  if (i >= s.text.size() || !is_js_space(next_code_point(s.text, &p))) return false;
  *len = p - i;
  return true;
}

bool is_line_terminator_before(const std::string& t, size_t i) {
  if (i == 0) return true;
  char c = t[i - 1];
  if (c == '\n' || c == '\r') return true;
  return i >= 3 && t.compare(i - 3, 2, "\xE2\x80") == 0 && (t[i - 1] == '\xA8' || t[i - 1] == '\xA9');
}

// lstrip_blocks: /^[ \t]*({[#%-])/gm -> "$1" (JavaScript's ^ also matches after \r, U+2028 and U+2029).
Source lstrip_blocks(const Source& in) {
  Source out;
  const std::string& t = in.text;
  for (size_t i = 0; i < t.size();) {
    if (is_line_terminator_before(t, i)) {
      size_t j = i;
      while (j < t.size() && (t[j] == ' ' || t[j] == '\t')) ++j;
      if (j + 1 < t.size() && t[j] == '{' && (t[j + 1] == '#' || t[j + 1] == '%' || t[j + 1] == '-')) i = j;
    }
    out.append(std::string_view(t).substr(i, 1), &in.line[i]);
    ++i;
  }
  return out;
}

// trim_blocks: /([#%-]})\n/g -> "$1".
Source trim_blocks(const Source& in) {
  Source out;
  const std::string& t = in.text;
  for (size_t i = 0; i < t.size();) {
    if (i + 2 < t.size() && (t[i] == '#' || t[i] == '%' || t[i] == '-') && t[i + 1] == '}' && t[i + 2] == '\n') {
      out.append(std::string_view(t).substr(i, 2), &in.line[i]);
      i += 3;
      continue;
    }
    out.append(std::string_view(t).substr(i, 1), &in.line[i]);
    ++i;
  }
  return out;
}

// Matches `{%-?\s*(end)?generation\s*-?%}` at i; returns its length (0 if none) and the two strip flags.
size_t match_generation_tag(const Source& s, size_t i, bool* lstrip, bool* rstrip) {
  const std::string& t = s.text;
  if (t.compare(i, 2, "{%") != 0) return 0;
  size_t j = i + 2, len = 0;
  *lstrip = j < t.size() && t[j] == '-';
  if (*lstrip) ++j;
  while (is_space_at(s, j, &len)) j += len;
  if (t.compare(j, 3, "end") == 0) j += 3;
  if (t.compare(j, 10, "generation") != 0) return 0;
  j += 10;
  while (is_space_at(s, j, &len)) j += len;
  *rstrip = j < t.size() && t[j] == '-';
  if (*rstrip) ++j;
  if (t.compare(j, 2, "%}") != 0) return 0;
  return j + 2 - i;
}

// Transformers' {% generation %} / {% endgeneration %} only mark assistant spans; rendering drops them,
// and their - modifiers strip the surrounding whitespace.
Source strip_generation_tags(const Source& in) {
  Source out;
  const std::string& t = in.text;
  size_t copied = 0;  // in.text[0, copied) has been handled
  for (size_t i = 0; i < t.size(); ++i) {
    bool lstrip = false, rstrip = false;
    size_t tag = t[i] == '{' ? match_generation_tag(in, i, &lstrip, &rstrip) : 0;
    if (!tag) continue;
    // The whitespace run before the tag (not reaching back into an earlier replacement).
    size_t before = i;
    while (before > copied) {
      size_t p = before - 1;
      while (p > copied && (static_cast<unsigned char>(t[p]) & 0xC0) == 0x80) --p;
      size_t len = 0;
      if (!is_space_at(in, p, &len) || p + len != before) break;
      before = p;
    }
    size_t after = i + tag, len = 0;
    while (is_space_at(in, after, &len)) after += len;
    out.append(std::string_view(t).substr(copied, (lstrip ? before : i) - copied), &in.line[copied]);
    if (!rstrip) out.append(std::string_view(t).substr(i + tag, after - (i + tag)), &in.line[i + tag]);
    copied = after;
    i = after - 1;
  }
  out.append(std::string_view(t).substr(copied), in.line.data() + copied);
  return out;
}

Source preprocess(std::string_view template_text) {
  Source s;
  s.text = std::string(template_text);
  s.line.resize(s.text.size());
  int line = 1;
  for (size_t i = 0; i < s.text.size(); ++i) {
    s.line[i] = line;
    if (s.text[i] == '\n') ++line;
  }
  if (!s.text.empty() && s.text.back() == '\n') {
    s.text.pop_back();
    s.line.pop_back();
  }
  s = lstrip_blocks(s);
  s = trim_blocks(s);
  return strip_generation_tags(s);
}

struct Op {
  std::string_view seq;
  TokenType type;
};
constexpr Op kOperators[] = {
    {"{%", TokenType::kOpenStatement},  {"%}", TokenType::kCloseStatement}, {"{{", TokenType::kOpenExpression},
    {"}}", TokenType::kCloseExpression}, {"(", TokenType::kOpenParen},      {")", TokenType::kCloseParen},
    {"{", TokenType::kOpenCurly},        {"}", TokenType::kCloseCurly},     {"[", TokenType::kOpenSquare},
    {"]", TokenType::kCloseSquare},      {",", TokenType::kComma},          {".", TokenType::kDot},
    {":", TokenType::kColon},            {"|", TokenType::kPipe},           {"<=", TokenType::kComparison},
    {">=", TokenType::kComparison},      {"==", TokenType::kComparison},    {"!=", TokenType::kComparison},
    {"<", TokenType::kComparison},       {">", TokenType::kComparison},     {"+", TokenType::kAdditive},
    {"-", TokenType::kAdditive},         {"~", TokenType::kAdditive},       {"**", TokenType::kPower},
    {"*", TokenType::kMultiplicative},   {"//", TokenType::kMultiplicative}, {"/", TokenType::kMultiplicative},
    {"%", TokenType::kMultiplicative},   {"=", TokenType::kEquals},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

class Lexer {
 public:
  explicit Lexer(Source src) : src_(std::move(src)), t_(src_.text) {}
  Result<std::vector<Token>> run();

 private:
  Status error(size_t pos, const std::string& what) const {
    int line = src_.line.empty() ? 1 : src_.line[std::min(pos, src_.line.size() - 1)];
    return Status::error(cat("template line ", line, ": ", what));
  }
  int line_at(size_t pos) const { return src_.line.empty() ? 1 : src_.line[std::min(pos, src_.line.size() - 1)]; }
  void push(TokenType type, std::string value, size_t pos) { tokens_.push_back({type, std::move(value), line_at(pos)}); }
  TokenType last_type() const { return tokens_.empty() ? TokenType::kText : tokens_.back().type; }
  bool at(std::string_view s) const { return t_.compare(pos_, s.size(), s) == 0; }
  void strip_trailing_whitespace();
  void skip_leading_whitespace();
  Status lex_comment();
  Status lex_string(char quote);
  Result<bool> lex_raw_block();
  void lex_number();

  Source src_;
  const std::string& t_;
  size_t pos_ = 0;
  int curly_depth_ = 0;  // open { of dict literals inside {{ }}, where "}}" closes the dict, not the tag
  std::vector<Token> tokens_;
};

void Lexer::strip_trailing_whitespace() {
  if (tokens_.empty() || tokens_.back().type != TokenType::kText) return;
  std::string& v = tokens_.back().value;
  v.resize(js_trim_end(v).size());
  if (v.empty()) tokens_.pop_back();
}

void Lexer::skip_leading_whitespace() {
  size_t len = 0;
  while (is_space_at(src_, pos_, &len)) pos_ += len;
}

Status Lexer::lex_comment() {
  size_t start = pos_;
  pos_ += 2;
  bool strip_before = pos_ < t_.size() && t_[pos_] == '-';
  if (strip_before) ++pos_;
  std::string comment;
  while (!(pos_ + 1 < t_.size() && t_[pos_] == '#' && t_[pos_ + 1] == '}')) {
    if (pos_ + 2 >= t_.size()) return error(start, "comment '{#' is never closed with '#}'");
    comment += t_[pos_++];
  }
  bool strip_after = !comment.empty() && comment.back() == '-';
  if (strip_after) comment.pop_back();
  if (strip_before) strip_trailing_whitespace();
  push(TokenType::kComment, comment, start);
  pos_ += 2;
  if (strip_after) skip_leading_whitespace();
  return Status::ok();
}

Status Lexer::lex_string(char quote) {
  size_t start = pos_++;
  std::string value;
  while (pos_ < t_.size() && t_[pos_] != quote) {
    char c = t_[pos_];
    if (c != '\\') {
      value += c;
      if (++pos_ >= t_.size()) break;
      continue;
    }
    if (++pos_ >= t_.size()) break;
    char e = t_[pos_++];
    if (e == 'x' || e == 'u') {
      size_t n = e == 'x' ? 2 : 4;
      uint32_t cp = 0;
      for (size_t k = 0; k < n; ++k) {
        int h = pos_ + k < t_.size() ? hex_value(t_[pos_ + k]) : -1;
        if (h < 0) return error(start, cat("invalid escape sequence \\", e, std::string(t_.substr(pos_, n))));
        cp = cp * 16 + static_cast<uint32_t>(h);
      }
      pos_ += n;
      // A \uD83D\uDE00 surrogate pair is one character; a lone surrogate cannot be UTF-8 and becomes U+FFFD.
      if (cp >= 0xD800 && cp <= 0xDBFF && t_.compare(pos_, 2, "\\u") == 0 && pos_ + 6 <= t_.size()) {
        uint32_t low = 0;
        bool ok = true;
        for (size_t k = 2; k < 6; ++k) {
          int h = hex_value(t_[pos_ + k]);
          ok = ok && h >= 0;
          low = low * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
        }
        if (ok && low >= 0xDC00 && low <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          pos_ += 6;
        }
      }
      append_utf8(&value, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
      continue;
    }
    switch (e) {
      case 'n': value += '\n'; break;
      case 't': value += '\t'; break;
      case 'r': value += '\r'; break;
      case 'b': value += '\b'; break;
      case 'f': value += '\f'; break;
      case 'v': value += '\v'; break;
      case '\'': value += '\''; break;
      case '"': value += '"'; break;
      case '\\': value += '\\'; break;
      default: return error(pos_ - 1, cat("unknown escape sequence \\", e, " in string literal"));
    }
  }
  if (pos_ >= t_.size()) return error(start, "string literal is never closed");
  ++pos_;  // closing quote
  push(TokenType::kString, std::move(value), start);
  return Status::ok();
}

void Lexer::lex_number() {
  size_t start = pos_;
  while (pos_ < t_.size() && is_digit(t_[pos_])) ++pos_;
  if (last_type() != TokenType::kDot && pos_ + 1 < t_.size() && t_[pos_] == '.' && is_digit(t_[pos_ + 1])) {
    ++pos_;
    while (pos_ < t_.size() && is_digit(t_[pos_])) ++pos_;
  }
  push(TokenType::kNumber, t_.substr(start, pos_ - start), start);
}

// `{% raw %}...{% endraw %}` (with optional - modifiers): the body is emitted verbatim as one token.
Result<bool> Lexer::lex_raw_block() {
  auto match_tag = [&](size_t p, std::string_view name, bool* lstrip, bool* rstrip) -> size_t {
    if (t_.compare(p, 2, "{%") != 0) return 0;
    size_t j = p + 2, len = 0;
    *lstrip = j < t_.size() && t_[j] == '-';
    if (*lstrip) ++j;
    while (is_space_at(src_, j, &len)) j += len;
    if (t_.compare(j, name.size(), name) != 0) return 0;
    j += name.size();
    if (j < t_.size() && is_word(t_[j])) return 0;
    while (is_space_at(src_, j, &len)) j += len;
    *rstrip = j < t_.size() && t_[j] == '-';
    if (*rstrip) ++j;
    if (t_.compare(j, 2, "%}") != 0) return 0;
    return j + 2 - p;
  };
  bool open_l = false, open_r = false;
  size_t open = match_tag(pos_, "raw", &open_l, &open_r);
  if (!open) return false;
  size_t start = pos_;
  for (size_t p = pos_ + open; p < t_.size(); ++p) {
    bool close_l = false, close_r = false;
    size_t close = t_[p] == '{' ? match_tag(p, "endraw", &close_l, &close_r) : 0;
    if (!close) continue;
    if (open_l) strip_trailing_whitespace();
    std::string_view body = std::string_view(t_).substr(pos_ + open, p - (pos_ + open));
    if (open_r) body = js_trim_start(body);
    if (close_l) body = js_trim_end(body);
    push(TokenType::kRawText, std::string(body), start);
    pos_ = p + close;
    if (close_r) skip_leading_whitespace();
    return true;
  }
  return error(start, "'{% raw %}' is never closed with '{% endraw %}'");
}

Result<std::vector<Token>> Lexer::run() {
  while (pos_ < t_.size()) {
    TokenType last = last_type();
    if (tokens_.empty() || last == TokenType::kCloseStatement || last == TokenType::kCloseExpression ||
        last == TokenType::kComment || last == TokenType::kRawText) {
      size_t start = pos_;
      while (pos_ < t_.size() &&
             !(t_[pos_] == '{' && pos_ + 1 < t_.size() && (t_[pos_ + 1] == '%' || t_[pos_ + 1] == '{' || t_[pos_ + 1] == '#'))) {
        ++pos_;
      }
      if (pos_ > start) {
        push(TokenType::kText, t_.substr(start, pos_ - start), start);
        continue;
      }
    }
    if (at("{%")) {
      NT_ASSIGN_OR_RETURN(bool raw, lex_raw_block());
      if (raw) continue;
    }
    if (at("{#")) { NT_RETURN_IF_ERROR(lex_comment()); continue; }
    if (at("{%-")) { strip_trailing_whitespace(); push(TokenType::kOpenStatement, "{%", pos_); pos_ += 3; continue; }
    if (at("{{-")) { strip_trailing_whitespace(); push(TokenType::kOpenExpression, "{{", pos_); pos_ += 3; curly_depth_ = 0; continue; }
    skip_leading_whitespace();
    if (pos_ >= t_.size()) break;
    if (at("-%}")) { push(TokenType::kCloseStatement, "%}", pos_); pos_ += 3; skip_leading_whitespace(); continue; }
    if (at("-}}")) { push(TokenType::kCloseExpression, "}}", pos_); pos_ += 3; skip_leading_whitespace(); continue; }
    char c = t_[pos_];
    if ((c == '-' || c == '+') && !tokens_.empty()) {
      TokenType lt = last_type();
      bool binary = lt == TokenType::kIdentifier || lt == TokenType::kNumber || lt == TokenType::kString ||
                    lt == TokenType::kCloseParen || lt == TokenType::kCloseSquare;
      if (lt == TokenType::kText) return error(pos_, cat("unexpected character '", c, "'"));
      if (!binary) {
        size_t start = pos_++;
        std::string num;
        while (pos_ < t_.size() && is_digit(t_[pos_])) num += t_[pos_++];
        if (!num.empty() && pos_ + 1 < t_.size() && t_[pos_] == '.' && is_digit(t_[pos_ + 1])) {
          num += t_[pos_++];
          while (pos_ < t_.size() && is_digit(t_[pos_])) num += t_[pos_++];
        }
        push(num.empty() ? TokenType::kUnary : TokenType::kNumber, std::string(1, c) + num, start);
        continue;
      }
    }
    bool matched = false;
    for (const Op& op : kOperators) {
      if (op.seq == "}}" && curly_depth_ > 0) continue;
      if (!at(op.seq)) continue;
      push(op.type, std::string(op.seq), pos_);
      if (op.type == TokenType::kOpenExpression) curly_depth_ = 0;
      else if (op.type == TokenType::kOpenCurly) ++curly_depth_;
      else if (op.type == TokenType::kCloseCurly) --curly_depth_;
      pos_ += op.seq.size();
      matched = true;
      break;
    }
    if (matched) continue;
    if (c == '\'' || c == '"') { NT_RETURN_IF_ERROR(lex_string(c)); continue; }
    if (is_digit(c)) { lex_number(); continue; }
    if (is_word(c)) {
      size_t start = pos_;
      while (pos_ < t_.size() && is_word(t_[pos_])) ++pos_;
      push(TokenType::kIdentifier, t_.substr(start, pos_ - start), start);
      continue;
    }
    size_t p = pos_;
    std::string ch;
    append_utf8(&ch, next_code_point(t_, &p));
    return error(pos_, cat("unexpected character '", ch, "' inside a tag"));
  }
  return std::move(tokens_);
}

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source) {
  Lexer lexer(preprocess(sanitize_utf8(source)));
  return lexer.run();
}

}  // namespace nt::jinja
