#include "text/decoder.h"

#include "core/strings.h"
#include "text/json_fields.h"
#include "text/pattern.h"
#include "text/pre_tokenizer.h"
#include "text/unicode.h"

namespace nt::text {

std::string clean_up_tokenization(std::string_view text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string s(text);
  for (const auto& [from, to] : kRules) {  // each rule is one global replace over the previous result
    std::string out;
    std::string_view f(from);
    size_t pos = 0;
    while (true) {
      size_t at = s.find(f, pos);
      if (at == std::string::npos) break;
      out.append(s, pos, at - pos);
      out += to;
      pos = at + f.size();
    }
    out.append(s, pos, std::string::npos);
    s = std::move(out);
  }
  return s;
}

namespace {

using DecoderPtr = std::unique_ptr<Decoder>;
using Tokens = std::vector<std::string>;

class ByteLevelDecoder : public Decoder {
 public:
  explicit ByteLevelDecoder(std::shared_ptr<const std::unordered_set<std::string>> added) : added_(std::move(added)) {}
  Status decode_chain(Tokens* tokens) const override {
    Tokens out;
    std::string run;
    bool in_run = false;
    for (const auto& t : *tokens) {
      if (added_ && added_->count(t)) {
        if (in_run) out.push_back(std::move(run));
        run.clear();
        in_run = false;
        out.push_back(t);
        continue;
      }
      in_run = true;
      size_t pos = 0;
      while (pos < t.size()) {
        int b = unicode_to_byte(decode_utf8(t, &pos));
        run.push_back(static_cast<char>(b < 0 ? 0 : b));  // the reference maps unknown characters to byte 0
      }
    }
    if (in_run) out.push_back(std::move(run));
    *tokens = std::move(out);
    return Status::ok();
  }
 private:
  std::shared_ptr<const std::unordered_set<std::string>> added_;
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool add_prefix_space)
      : replacement_(std::move(replacement)), add_prefix_space_(add_prefix_space) {}
  Status decode_chain(Tokens* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      if (!replacement_.empty()) {
        std::string out;
        size_t pos = 0;
        while (true) {
          size_t at = t.find(replacement_, pos);
          if (at == std::string::npos) break;
          out.append(t, pos, at - pos);
          out.push_back(' ');
          pos = at + replacement_.size();
        }
        out.append(t, pos, std::string::npos);
        t = std::move(out);
      }
      if (add_prefix_space_ && i == 0 && !t.empty() && t[0] == ' ') t.erase(0, 1);
    }
    return Status::ok();
  }
 private:
  std::string replacement_;
  bool add_prefix_space_;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The reference decodes each run of <0xXX> tokens with a default TextDecoder, which drops a leading
// byte order mark (EF BB BF) of the run; the rest of the run is kept as raw bytes here.
void push_byte_run(std::string* bytes, std::vector<std::string>* out) {
  if (bytes->compare(0, 3, "\xEF\xBB\xBF") == 0) bytes->erase(0, 3);
  out->push_back(std::move(*bytes));
  bytes->clear();
}

class ByteFallbackDecoder : public Decoder {
 public:
  Status decode_chain(Tokens* tokens) const override {
    Tokens out;
    std::string bytes;
    bool in_run = false;
    for (auto& t : *tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        int hi = hex_value(t[3]), lo = hex_value(t[4]);  // parseInt semantics: leading hex digits
        if (hi >= 0) byte = lo >= 0 ? hi * 16 + lo : hi;
      }
      if (byte >= 0) {
        bytes.push_back(static_cast<char>(byte));
        in_run = true;
        continue;
      }
      if (in_run) push_byte_run(&bytes, &out);
      in_run = false;
      out.push_back(std::move(t));
    }
    if (in_run) push_byte_run(&bytes, &out);
    *tokens = std::move(out);
    return Status::ok();
  }
};

class FuseDecoder : public Decoder {
 public:
  Status decode_chain(Tokens* tokens) const override {
    std::string all;
    for (const auto& t : *tokens) all += t;
    tokens->assign(1, std::move(all));
    return Status::ok();
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, long long start, long long stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  Status decode_chain(Tokens* tokens) const override {
    if (content_.empty()) return Status::ok();
    const size_t c = content_.size();
    for (auto& t : *tokens) {
      size_t b = 0, e = t.size();
      for (long long i = 0; i < start_ && b + c <= e && t.compare(b, c, content_) == 0; ++i) b += c;
      for (long long i = 0; i < stop_ && e >= b + c && t.compare(e - c, c, content_) == 0; ++i) e -= c;
      t = t.substr(b, e - b);
    }
    return Status::ok();
  }
 private:
  std::string content_;
  long long start_, stop_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Regex re, std::string content) : re_(std::move(re)), content_(std::move(content)) {}
  Status decode_chain(Tokens* tokens) const override {
    for (auto& t : *tokens) {
      NT_ASSIGN_OR_RETURN(t, replace_all(re_, t, content_));
    }
    return Status::ok();
  }
 private:
  Regex re_;
  std::string content_;
};

class WordPieceDecoder : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  Status decode_chain(Tokens* tokens) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
        else t = " " + t;
      }
      if (cleanup_) t = clean_up_tokenization(t);
    }
    return Status::ok();
  }
 private:
  std::string prefix_;
  bool cleanup_;
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  Status decode_chain(Tokens* tokens) const override {
    if (suffix_.empty()) return Status::ok();
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      const std::string with = i + 1 == tokens->size() ? "" : " ";
      std::string out;
      size_t pos = 0;
      while (true) {
        size_t at = t.find(suffix_, pos);
        if (at == std::string::npos) break;
        out.append(t, pos, at - pos);
        out += with;
        pos = at + suffix_.size();
      }
      out.append(t, pos, std::string::npos);
      t = std::move(out);
    }
    return Status::ok();
  }
 private:
  std::string suffix_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<DecoderPtr> parts) : parts_(std::move(parts)) {}
  Status decode_chain(Tokens* tokens) const override {
    for (const auto& p : parts_) NT_RETURN_IF_ERROR(p->decode_chain(tokens));
    return Status::ok();
  }
 private:
  std::vector<DecoderPtr> parts_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> make_decoder(const Json& c, std::shared_ptr<const std::unordered_set<std::string>> added) {
  if (c.is_null()) return DecoderPtr();
  const std::string type = string_field(c, "type");
  if (type.empty()) return Status::error("decoder: expected an object with a string \"type\"");
  if (type == "ByteLevel") return DecoderPtr(new ByteLevelDecoder(std::move(added)));
  if (type == "Metaspace") {
    return DecoderPtr(new MetaspaceDecoder(string_field(c, "replacement"), bool_field(c, "add_prefix_space", false)));
  }
  if (type == "ByteFallback") return DecoderPtr(new ByteFallbackDecoder());
  if (type == "Fuse") return DecoderPtr(new FuseDecoder());
  if (type == "Strip") {
    return DecoderPtr(new StripDecoder(string_field(c, "content"), int_field(c, "start", 0), int_field(c, "stop", 0)));
  }
  if (type == "Replace") {
    NT_ASSIGN_OR_RETURN(Regex re, compile_pattern(field(c, "pattern"), "decoder Replace"));
    return DecoderPtr(new ReplaceDecoder(std::move(re), string_field(c, "content")));
  }
  if (type == "WordPiece") {
    return DecoderPtr(new WordPieceDecoder(string_field(c, "prefix", "##"), bool_field(c, "cleanup", false)));
  }
  if (type == "BPEDecoder") return DecoderPtr(new BpeDecoder(string_field(c, "suffix")));
  if (type == "Sequence") {
    const Json& list = field(c, "decoders");
    if (!list.is_array()) return Status::error("decoder Sequence: expected an array \"decoders\"");
    std::vector<DecoderPtr> parts;
    for (const auto& p : list) {
      NT_ASSIGN_OR_RETURN(DecoderPtr d, make_decoder(p, added));
      if (d) parts.push_back(std::move(d));
    }
    return DecoderPtr(new SequenceDecoder(std::move(parts)));
  }
  return Status::error(cat("decoder: unsupported type '", type, "'"));
}

}  // namespace nt::text
