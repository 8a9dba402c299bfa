#include "text/pre_tokenizer.h"

#include <array>

#include "core/strings.h"
#include "text/json_fields.h"
#include "text/pattern.h"
#include "text/regex.h"
#include "text/unicode.h"

namespace nt::text {

namespace {

const std::array<char32_t, 256>& byte_table() {
  static const std::array<char32_t, 256> t = [] {
    std::array<char32_t, 256> m{};
    char32_t n = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      m[b] = printable ? static_cast<char32_t>(b) : 256 + n++;
    }
    return m;
  }();
  return t;
}

}  // namespace

char32_t byte_to_unicode(uint8_t b) { return byte_table()[b]; }

int unicode_to_byte(char32_t c) {
  static const std::array<int16_t, 324> inverse = [] {
    std::array<int16_t, 324> inv;
    inv.fill(-1);
    for (int b = 0; b < 256; ++b) inv[byte_table()[b]] = static_cast<int16_t>(b);
    return inv;
  }();
  return c < inverse.size() ? inverse[c] : -1;
}

std::string byte_level_encode(std::string_view s) {
  static const std::array<std::string, 256> utf8 = [] {
    std::array<std::string, 256> u;
    for (int b = 0; b < 256; ++b) append_utf8(&u[b], byte_table()[b]);
    return u;
  }();
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char b : s) out += utf8[b];
  return out;
}

Status PreTokenizer::pre_tokenize(std::vector<std::string>* pieces, size_t section_index) const {
  std::vector<std::string> out;
  out.reserve(pieces->size());
  for (const auto& p : *pieces) NT_RETURN_IF_ERROR(split_one(p, section_index, &out));
  *pieces = std::move(out);
  return Status::ok();
}

namespace {

using PreTokenizerPtr = std::unique_ptr<PreTokenizer>;

// How a regex's matches turn into pieces.
enum class SplitMode {
  kMatchesOnly,  // String.prototype.match with /g: the matches, in order (empty ones included)
  kIsolated,     // gaps and non-empty matches, in order
  kRemoved,      // String.prototype.split: the gaps
};

Status regex_split(const Regex& re, const std::string& text, SplitMode mode, std::vector<std::string>* out) {
  DecodedText d = decode_with_offsets(text);
  auto slice = [&](size_t b, size_t e) { return text.substr(d.offsets[b], d.offsets[e] - d.offsets[b]); };
  const size_t n = d.cps.size();
  if (mode == SplitMode::kRemoved) {
    // ECMAScript split: sticky attempts at each q; an empty match at the last cut does not cut. The
    // reference drops empty results, so an empty text yields nothing.
    size_t p = 0, q = 0;
    while (q < n) {
      NT_ASSIGN_OR_RETURN(long long e, re.match_at(d.cps, q));
      if (e < 0 || static_cast<size_t>(e) == p) {
        ++q;
        continue;
      }
      if (q > p) out->push_back(slice(p, q));
      p = static_cast<size_t>(e);
      q = p;
    }
    if (n > p) out->push_back(slice(p, n));
    return Status::ok();
  }
  std::vector<Regex::Match> matches;
  NT_RETURN_IF_ERROR(re.find_all(d.cps, &matches));
  size_t prev = 0;
  for (const auto& m : matches) {
    if (mode == SplitMode::kMatchesOnly) {
      out->push_back(slice(m.begin, m.end));
      continue;
    }
    if (prev < m.begin) out->push_back(slice(prev, m.begin));
    if (m.end > m.begin) out->push_back(slice(m.begin, m.end));
    prev = m.end;
  }
  if (mode == SplitMode::kIsolated && prev < n) out->push_back(slice(prev, n));
  return Status::ok();
}

class RegexPreTokenizer : public PreTokenizer {
 public:
  RegexPreTokenizer(Regex re, SplitMode mode) : re_(std::move(re)), mode_(mode) {}
  Status split_one(const std::string& piece, size_t, std::vector<std::string>* out) const override {
    return regex_split(re_, piece, mode_, out);
  }
 private:
  Regex re_;
  SplitMode mode_;
};

// A built-in pattern of the reference; NT_CHECK because these are constants, not user input.
PreTokenizerPtr builtin(const std::string& pattern, SplitMode mode) {
  auto re = Regex::compile(pattern);
  NT_CHECK(re.is_ok());
  return PreTokenizerPtr(new RegexPreTokenizer(std::move(re).value(), mode));
}

const char kPunctuation[] = "\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E";

class BertPreTokenizer : public PreTokenizer {
 public:
  BertPreTokenizer()
      : inner_(builtin(cat("[^\\s", kPunctuation, "]+|[", kPunctuation, "]"), SplitMode::kMatchesOnly)) {}
  Status split_one(const std::string& piece, size_t i, std::vector<std::string>* out) const override {
    std::string trimmed;
    size_t b = 0, e = piece.size();
    // String.prototype.trim, then match.
    {
      size_t pos = 0;
      while (pos < e) {
        size_t p = pos;
        if (!is_js_space(decode_utf8(piece, &p))) break;
        pos = p;
      }
      b = pos;
    }
    DecodedText d = decode_with_offsets(std::string_view(piece).substr(b));
    size_t n = d.cps.size();
    while (n > 0 && is_js_space(d.cps[n - 1])) --n;
    trimmed = piece.substr(b, d.offsets[n]);
    return inner_->split_one(trimmed, i, out);
  }
 private:
  PreTokenizerPtr inner_;
};

class ByteLevel : public PreTokenizer {
 public:
  ByteLevel(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space),
        regex_(use_regex ? builtin("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
                                   SplitMode::kMatchesOnly)
                         : nullptr) {}
  Status split_one(const std::string& piece, size_t i, std::vector<std::string>* out) const override {
    std::string text = piece;
    if (add_prefix_space_ && (text.empty() || text[0] != ' ')) text.insert(text.begin(), ' ');
    std::vector<std::string> parts;
    if (regex_) NT_RETURN_IF_ERROR(regex_->split_one(text, i, &parts));
    else parts.push_back(std::move(text));
    // TextEncoder semantics: a lone surrogate becomes the bytes of U+FFFD.
    for (const auto& p : parts) out->push_back(byte_level_encode(has_surrogates(p) ? to_well_formed(p) : p));
    return Status::ok();
  }
 private:
  bool add_prefix_space_;
  PreTokenizerPtr regex_;
};

class Metaspace : public PreTokenizer {
 public:
  Metaspace(std::string replacement, std::string str_rep, bool add_prefix_space, std::string scheme)
      : replacement_(std::move(replacement)), str_rep_(std::move(str_rep)), add_prefix_space_(add_prefix_space),
        scheme_(std::move(scheme)) {}
  Status split_one(const std::string& piece, size_t section_index, std::vector<std::string>* out) const override {
    std::string s;
    for (char c : piece) {
      if (c == ' ') s += str_rep_;
      else s.push_back(c);
    }
    bool starts = !replacement_.empty() && s.compare(0, replacement_.size(), replacement_) == 0;
    if (replacement_.empty()) starts = true;  // "".startsWith("") is true
    if (add_prefix_space_ && !starts && (scheme_ == "always" || (scheme_ == "first" && section_index == 0))) {
      s = str_rep_ + s;
    }
    out->push_back(std::move(s));
    return Status::ok();
  }
 private:
  std::string replacement_, str_rep_;
  bool add_prefix_space_;
  std::string scheme_;
};

class ReplacePre : public PreTokenizer {
 public:
  ReplacePre(Regex re, std::string content) : re_(std::move(re)), content_(std::move(content)) {}
  Status split_one(const std::string& piece, size_t, std::vector<std::string>* out) const override {
    NT_ASSIGN_OR_RETURN(std::string s, replace_all(re_, piece, content_));
    out->push_back(std::move(s));
    return Status::ok();
  }
 private:
  Regex re_;
  std::string content_;
};

class Sequence : public PreTokenizer {
 public:
  explicit Sequence(std::vector<PreTokenizerPtr> parts) : parts_(std::move(parts)) {}
  Status pre_tokenize(std::vector<std::string>* pieces, size_t i) const override {
    for (const auto& p : parts_) NT_RETURN_IF_ERROR(p->pre_tokenize(pieces, i));
    return Status::ok();
  }
  Status split_one(const std::string& piece, size_t i, std::vector<std::string>* out) const override {
    std::vector<std::string> pieces{piece};
    NT_RETURN_IF_ERROR(pre_tokenize(&pieces, i));
    for (auto& p : pieces) out->push_back(std::move(p));
    return Status::ok();
  }
 private:
  std::vector<PreTokenizerPtr> parts_;
};

Result<PreTokenizerPtr> make_split(const Json& c) {
  NT_ASSIGN_OR_RETURN(Regex re, compile_pattern(field(c, "pattern"), "pre_tokenizer Split"));
  std::string behavior = string_field(c, "behavior");
  for (char& ch : behavior) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  SplitMode mode = bool_field(c, "invert", false) ? SplitMode::kMatchesOnly
                   : behavior == "removed"          ? SplitMode::kRemoved
                                                    : SplitMode::kIsolated;
  // A String pattern is wrapped in a capture group by the reference, so split() keeps the delimiters.
  if (mode == SplitMode::kRemoved && field(field(c, "pattern"), "String").is_string()) mode = SplitMode::kIsolated;
  return PreTokenizerPtr(new RegexPreTokenizer(std::move(re), mode));
}

}  // namespace

std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, bool add_prefix_space, std::string scheme) {
  std::string rep = replacement;
  return PreTokenizerPtr(new Metaspace(std::move(replacement), std::move(rep), add_prefix_space, std::move(scheme)));
}

Result<std::unique_ptr<PreTokenizer>> make_pre_tokenizer(const Json& c) {
  if (c.is_null()) return PreTokenizerPtr();
  const std::string type = string_field(c, "type");
  if (type.empty()) return Status::error("pre_tokenizer: expected an object with a string \"type\"");
  if (type == "Split") return make_split(c);
  if (type == "ByteLevel") {
    return PreTokenizerPtr(new ByteLevel(bool_field(c, "add_prefix_space", false), bool_field(c, "use_regex", true)));
  }
  if (type == "Metaspace") {
    std::string rep = string_field(c, "replacement");
    std::string str_rep = string_field(c, "str_rep");
    return PreTokenizerPtr(new Metaspace(rep, str_rep.empty() ? rep : str_rep, bool_field(c, "add_prefix_space", false),
                                         string_field(c, "prepend_scheme", "always")));
  }
  if (type == "Whitespace") return builtin("[A-Za-z0-9_]+|[^A-Za-z0-9_\\s]+", SplitMode::kMatchesOnly);
  if (type == "WhitespaceSplit") return builtin("\\S+", SplitMode::kMatchesOnly);
  if (type == "Digits") {
    return builtin(bool_field(c, "individual_digits", false) ? "[^\\d]+|\\d" : "[^\\d]+|\\d+", SplitMode::kMatchesOnly);
  }
  if (type == "Punctuation") return builtin(cat("[^", kPunctuation, "]+|[", kPunctuation, "]+"), SplitMode::kMatchesOnly);
  if (type == "BertPreTokenizer") return PreTokenizerPtr(new BertPreTokenizer());
  if (type == "Replace") {
    NT_ASSIGN_OR_RETURN(Regex re, compile_pattern(field(c, "pattern"), "pre_tokenizer Replace"));
    return PreTokenizerPtr(new ReplacePre(std::move(re), string_field(c, "content")));
  }
  if (type == "Sequence") {
    const Json& list = field(c, "pretokenizers");
    if (!list.is_array()) return Status::error("pre_tokenizer Sequence: expected an array \"pretokenizers\"");
    std::vector<PreTokenizerPtr> parts;
    for (const auto& p : list) {
      NT_ASSIGN_OR_RETURN(PreTokenizerPtr t, make_pre_tokenizer(p));
      if (t) parts.push_back(std::move(t));
    }
    return PreTokenizerPtr(new Sequence(std::move(parts)));
  }
  return Status::error(cat("pre_tokenizer: unsupported type '", type, "'"));
}

}  // namespace nt::text
