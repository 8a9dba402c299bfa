#include "text/normalizer.h"

#include <vector>

#include "core/strings.h"
#include "text/json_fields.h"
#include "text/pattern.h"
#include "text/unicode.h"

namespace nt::text {

std::string js_trim(std::string_view s, bool left, bool right) {
  size_t b = 0, e = s.size();
  if (left) {
    while (b < e) {
      size_t p = b;
      if (!is_js_space(decode_utf8(s, &p))) break;
      b = p;
    }
  }
  if (right) {
    while (e > b) {
      size_t start = e - 1;
      while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && e - start < 4) --start;
      size_t p = start;
      char32_t c = decode_utf8(s, &p);
      if (p != e || !is_js_space(c)) break;
      e = start;
    }
  }
  return std::string(s.substr(b, e - b));
}

std::string remove_marks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t c = decode_utf8(s, &pos);
    auto gc = general_category(c);
    if (gc == kMn || gc == kMc || gc == kMe) continue;
    out.append(s.substr(start, pos - start));
  }
  return out;
}

namespace {

using NormalizerPtr = std::unique_ptr<Normalizer>;

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm f) : form_(f) {}
  Status normalize(std::string* t) const override {
    *t = text::normalize(*t, form_);
    return Status::ok();
  }
 private:
  NormalForm form_;
};

class Lowercase : public Normalizer {
 public:
  Status normalize(std::string* t) const override {
    *t = to_lower(*t);
    return Status::ok();
  }
};

class StripAccents : public Normalizer {
 public:
  Status normalize(std::string* t) const override {
    *t = remove_marks(*t);
    return Status::ok();
  }
};

class Strip : public Normalizer {
 public:
  Strip(bool l, bool r) : left_(l), right_(r) {}
  Status normalize(std::string* t) const override {
    *t = js_trim(*t, left_, right_);
    return Status::ok();
  }
 private:
  bool left_, right_;
};

class Prepend : public Normalizer {
 public:
  explicit Prepend(std::string p) : prefix_(std::move(p)) {}
  Status normalize(std::string* t) const override {
    *t = prefix_ + *t;
    return Status::ok();
  }
 private:
  std::string prefix_;
};

class Replace : public Normalizer {
 public:
  Replace(Regex re, std::string content) : re_(std::move(re)), content_(std::move(content)) {}
  Status normalize(std::string* t) const override {
    NT_ASSIGN_OR_RETURN(*t, replace_all(re_, *t, content_));
    return Status::ok();
  }
 private:
  Regex re_;
  std::string content_;
};

// The reference's approximation of SentencePiece's nmt_nfkc charsmap ("Precompiled").
class Precompiled : public Normalizer {
 public:
  Status normalize(std::string* t) const override {
    std::string out;
    size_t pos = 0;
    while (pos < t->size()) {
      size_t start = pos;
      char32_t c = decode_utf8(*t, &pos);
      if ((c >= 1 && c <= 8) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F || c == 0x9F) continue;
      bool to_space = c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0xA0 || c == 0x1680 ||
                      (c >= 0x2000 && c <= 0x200F) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
                      c == 0x2581 || c == 0x3000 || c == 0xFEFF || c == 0xFFFD;
      if (to_space) out.push_back(' ');
      else out.append(*t, start, pos - start);
    }
    // NFKC, except that U+FF5E (fullwidth tilde) is kept: normalize the pieces between them.
    std::string result;
    size_t from = 0;
    const std::string tilde = "\xEF\xBD\x9E";
    while (true) {
      size_t at = out.find(tilde, from);
      result += text::normalize(std::string_view(out).substr(from, at == std::string::npos ? std::string::npos : at - from),
                                NormalForm::kNFKC);
      if (at == std::string::npos) break;
      result += tilde;
      from = at + tilde.size();
    }
    *t = std::move(result);
    return Status::ok();
  }
};

// The reference tests UTF-16 code units, so its supplementary-plane CJK ranges never match.
bool is_chinese_char(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF);
}

class BertNormalizer : public Normalizer {
 public:
  explicit BertNormalizer(const Json& c)
      : clean_text_(bool_field(c, "clean_text", false)),
        chinese_(bool_field(c, "handle_chinese_chars", false)),
        lowercase_(bool_field(c, "lowercase", false)),
        strip_accents_(field(c, "strip_accents").is_boolean() ? (bool_field(c, "strip_accents", false) ? 1 : 0) : -1) {}
  Status normalize(std::string* t) const override {
    std::string s = *t;
    if (clean_text_ || chinese_) {
      std::string out;
      size_t pos = 0;
      while (pos < s.size()) {
        size_t start = pos;
        char32_t c = decode_utf8(s, &pos);
        if (clean_text_) {
          auto gc = general_category(c);
          bool control = c != '\t' && c != '\n' && c != '\r' && (gc == kCc || gc == kCf || gc == kCo || gc == kCs);
          if (c == 0 || c == 0xFFFD || control) continue;
          if (is_js_space(c)) { out.push_back(' '); continue; }
        }
        if (chinese_ && is_chinese_char(c)) {
          out.push_back(' ');
          out.append(s, start, pos - start);
          out.push_back(' ');
          continue;
        }
        out.append(s, start, pos - start);
      }
      s = std::move(out);
    }
    bool strip = lowercase_ ? strip_accents_ != 0 : strip_accents_ == 1;
    if (lowercase_) s = to_lower(s);
    if (strip) {  // NFD, then drop nonspacing marks
      std::string d = text::normalize(s, NormalForm::kNFD), out;
      size_t pos = 0;
      while (pos < d.size()) {
        size_t start = pos;
        if (general_category(decode_utf8(d, &pos)) != kMn) out.append(d, start, pos - start);
      }
      s = std::move(out);
    }
    *t = std::move(s);
    return Status::ok();
  }
 private:
  bool clean_text_, chinese_, lowercase_;
  int strip_accents_;  // -1: unset (null)
};

class Sequence : public Normalizer {
 public:
  explicit Sequence(std::vector<NormalizerPtr> parts) : parts_(std::move(parts)) {}
  Status normalize(std::string* t) const override {
    for (const auto& p : parts_) NT_RETURN_IF_ERROR(p->normalize(t));
    return Status::ok();
  }
 private:
  std::vector<NormalizerPtr> parts_;
};

}  // namespace

Result<std::unique_ptr<Normalizer>> make_normalizer(const Json& c) {
  if (c.is_null()) return NormalizerPtr();
  const std::string type = string_field(c, "type");
  if (type.empty()) return Status::error("normalizer: expected an object with a string \"type\"");
  if (type == "NFC") return NormalizerPtr(new UnicodeNormalizer(NormalForm::kNFC));
  if (type == "NFD") return NormalizerPtr(new UnicodeNormalizer(NormalForm::kNFD));
  if (type == "NFKC") return NormalizerPtr(new UnicodeNormalizer(NormalForm::kNFKC));
  if (type == "NFKD") return NormalizerPtr(new UnicodeNormalizer(NormalForm::kNFKD));
  if (type == "Lowercase") return NormalizerPtr(new Lowercase());
  if (type == "StripAccents") return NormalizerPtr(new StripAccents());
  if (type == "Strip") return NormalizerPtr(new Strip(bool_field(c, "strip_left", false), bool_field(c, "strip_right", false)));
  if (type == "Prepend") return NormalizerPtr(new Prepend(string_field(c, "prepend")));
  if (type == "Precompiled") return NormalizerPtr(new Precompiled());
  if (type == "BertNormalizer") return NormalizerPtr(new BertNormalizer(c));
  if (type == "Replace") {
    NT_ASSIGN_OR_RETURN(Regex re, compile_pattern(field(c, "pattern"), "normalizer Replace"));
    return NormalizerPtr(new Replace(std::move(re), string_field(c, "content")));
  }
  if (type == "Sequence") {
    const Json& list = field(c, "normalizers");
    if (!list.is_array()) return Status::error("normalizer Sequence: expected an array \"normalizers\"");
    std::vector<NormalizerPtr> parts;
    for (const auto& p : list) {
      NT_ASSIGN_OR_RETURN(NormalizerPtr n, make_normalizer(p));
      if (n) parts.push_back(std::move(n));
    }
    return NormalizerPtr(new Sequence(std::move(parts)));
  }
  return Status::error(cat("normalizer: unsupported type '", type, "'"));
}

}  // namespace nt::text
