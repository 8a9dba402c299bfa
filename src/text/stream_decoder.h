// Incremental detokenization: feed generated ids one at a time, get the newly completed text.
//
// Never emits part of a code point: bytes that may still become a valid UTF-8 sequence are held back
// until the next token completes (or invalidates) them; flush() ends the stream, turning a leftover
// partial sequence into U+FFFD. The concatenation of all outputs equals Tokenizer::decode of the
// whole sequence (without clean-up). Decoders whose output for a token depends on its position
// (Metaspace's leading-space strip, Strip) are handled by decoding a window that starts one token
// before the new text and emitting only the bytes past that token's own decoding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "text/tokenizer.h"

namespace nt::text {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special_tokens = false)
      : tok_(&tokenizer), skip_special_(skip_special_tokens) {}

  // The text that `id` completes (possibly empty).
  Result<std::string> push(int32_t id);
  // Whatever is still held back, with an unfinished sequence replaced by U+FFFD. Resets the stream.
  std::string flush();

 private:
  const Tokenizer* tok_;
  bool skip_special_;
  std::vector<int32_t> window_;  // ids from the window start
  size_t emitted_ = 0;           // bytes of decode(window_) already emitted (or held as pending)
  std::string pending_;          // bytes of an unfinished UTF-8 sequence
};

}  // namespace nt::text
