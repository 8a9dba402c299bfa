#include "text/tokenizer_json.h"

#include "core/strings.h"

namespace nt::text {

namespace {

using DomParser = nlohmann::detail::json_sax_dom_parser<Json>;

// Forwards events to a DOM builder, except inside model.vocab / model.merges, which it collects.
class Handler : public nlohmann::json_sax<Json> {
 public:
  explicit Handler(TokenizerJson* out) : out_(out), dom_(out->rest, /*allow_exceptions=*/false) {}

  std::string error;

  bool null() override { return capture_ ? bad("null") : dom_.null(); }
  bool boolean(bool v) override { return capture_ ? bad("boolean") : dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return capture_ ? id(v) : dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return capture_ ? id(v > static_cast<number_unsigned_t>(INT64_MAX) ? -1 : static_cast<int64_t>(v))
                    : dom_.number_unsigned(v);
  }
  bool number_float(number_float_t v, const string_t& s) override {
    return capture_ ? bad("a fractional number") : dom_.number_float(v, s);
  }
  bool binary(binary_t& v) override { return capture_ ? bad("binary") : dom_.binary(v); }
  bool string(string_t& v) override {
    if (capture_ == kNone) return dom_.string(v);
    if (capture_ == kMerges && capture_depth_ == 1) return add_string_merge(v);
    if (capture_ == kMerges && capture_depth_ == 2) {
      pair_.push_back(std::move(v));
      return true;
    }
    return bad("a string value");
  }
  bool key(string_t& v) override {
    if (capture_ == kVocab && capture_depth_ == 1) {
      key_ = std::move(v);
      return true;
    }
    if (capture_) return bad("an object");
    if (depth_ >= 1 && depth_ <= kMaxTracked) keys_[depth_ - 1] = v;
    return dom_.key(v);
  }
  bool start_object(std::size_t n) override {
    if (capture_) return capture_ == kVocab || capture_depth_ > 1 ? bad("a nested object") : bad("an object");
    if (depth_ == 2 && keys_[0] == "model" && keys_[1] == "vocab") return begin(kVocab);
    ++depth_;
    return dom_.start_object(n);
  }
  bool end_object() override {
    if (capture_ == kVocab && capture_depth_ == 1) return finish();
    if (capture_) return bad("'}'");
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) override {
    if (capture_ == kMerges && capture_depth_ == 1) {
      ++capture_depth_;
      pair_.clear();
      return true;
    }
    if (capture_) return bad("an array");
    if (depth_ == 2 && keys_[0] == "model" && keys_[1] == "merges") return begin(kMerges);
    if (depth_ == 2 && keys_[0] == "model" && keys_[1] == "vocab") return bad("an array (Unigram-style vocab)");
    ++depth_;
    return dom_.start_array(n);
  }
  bool end_array() override {
    if (capture_ == kMerges && capture_depth_ == 2) {
      --capture_depth_;
      if (pair_.size() != 2) return bad(cat("a merge with ", pair_.size(), " parts"));
      out_->merges.emplace_back(std::move(pair_[0]), std::move(pair_[1]));
      return true;
    }
    if (capture_ == kMerges && capture_depth_ == 1) return finish();
    if (capture_) return bad("']'");
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& e) override {
    if (error.empty()) error = cat("invalid JSON near byte ", pos, ": ", e.what());
    return false;
  }

 private:
  enum Capture { kNone, kVocab, kMerges };
  static constexpr int kMaxTracked = 3;

  bool bad(const std::string& what) {
    if (error.empty()) {
      error = capture_ == kVocab ? cat("model.vocab: expected token -> integer id entries, found ", what)
                                 : cat("model.merges: expected \"left right\" strings or [left, right] pairs, found ", what);
    }
    return false;
  }
  bool begin(Capture c) {
    capture_ = c;
    capture_depth_ = 1;
    (c == kVocab ? out_->has_vocab : out_->has_merges) = true;
    return true;
  }
  bool finish() {
    capture_ = kNone;
    capture_depth_ = 0;
    return dom_.null();  // the key model.vocab / model.merges still needs a value in the tree
  }
  bool id(int64_t v) {
    if (capture_ != kVocab || capture_depth_ != 1) return bad("a number");
    if (v < 0) return bad(cat("the negative id ", v, " for '", key_, "'"));
    out_->vocab.emplace_back(std::move(key_), v);
    return true;
  }
  // The legacy merge form "left right": split at the first space (the reference takes split(" ", 2)).
  bool add_string_merge(const std::string& s) {
    size_t sp = s.find(' ');
    if (sp == std::string::npos) {
      out_->merges.emplace_back(s, std::string("\x01no-pair"));  // keeps ranks aligned; can never match
      return true;
    }
    size_t sp2 = s.find(' ', sp + 1);
    out_->merges.emplace_back(s.substr(0, sp), s.substr(sp + 1, sp2 == std::string::npos ? sp2 : sp2 - sp - 1));
    return true;
  }

  TokenizerJson* out_;
  DomParser dom_;
  Capture capture_ = kNone;
  int capture_depth_ = 0;
  int depth_ = 0;
  std::string keys_[kMaxTracked];
  std::string key_;
  std::vector<std::string> pair_;
};

}  // namespace

Result<TokenizerJson> read_tokenizer_json(std::string_view text) {
  TokenizerJson out;
  Handler h(&out);
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &h, nlohmann::detail::input_format_t::json, /*strict=*/true);
  } catch (const std::exception& e) {
    return Status::error(cat("tokenizer.json: ", e.what()));
  }
  if (!ok || !h.error.empty()) {
    return Status::error(cat("tokenizer.json: ", h.error.empty() ? std::string("invalid JSON") : h.error));
  }
  if (!out.rest.is_object()) return Status::error("tokenizer.json: expected a JSON object at the top level");
  return out;
}

}  // namespace nt::text
