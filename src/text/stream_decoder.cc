#include "text/stream_decoder.h"

#include "text/unicode.h"

namespace nt::text {

Result<std::string> StreamDecoder::push(int32_t id) {
  if (skip_special_ && tok_->is_special(id)) return std::string();
  window_.push_back(id);
  NT_ASSIGN_OR_RETURN(std::string bytes, tok_->decode_bytes(window_.data(), window_.size(), skip_special_));
  std::string fresh;
  if (bytes.size() > emitted_) fresh = bytes.substr(emitted_);
  emitted_ = bytes.size();
  pending_ += fresh;
  const size_t hold = incomplete_utf8_suffix(pending_);
  std::string out = sanitize_utf8(std::string_view(pending_).substr(0, pending_.size() - hold));
  pending_.erase(0, pending_.size() - hold);
  if (pending_.empty()) {
    // Restart the window at the last token: it gives the next token its left context.
    int32_t last = window_.back();
    window_.assign(1, last);
    NT_ASSIGN_OR_RETURN(std::string last_bytes, tok_->decode_bytes(window_.data(), 1, skip_special_));
    emitted_ = last_bytes.size();
  }
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = sanitize_utf8(pending_);
  pending_.clear();
  window_.clear();
  emitted_ = 0;
  return out;
}

}  // namespace nt::text
