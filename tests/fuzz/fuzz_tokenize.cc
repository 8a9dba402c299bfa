// libFuzzer target: arbitrary bytes through the bundled model's tokenizer (byte-level BPE with a split regex and
// special added tokens), loaded once. Checks:
//   - decode(encode(x)) == x for valid UTF-8 x (encoded without the post-processor's <s>; decoded without
//     skipping special tokens or clean-up) — the tokenizer's documented round trip;
//   - invalid UTF-8 is replaced, never rejected, and the output of decode is always valid UTF-8;
//   - the streaming decoder, fed one id at a time, produces exactly decode() of the whole sequence.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "text/stream_decoder.h"
#include "text/tokenizer.h"
#include "text/unicode.h"

namespace {

const nt::text::Tokenizer& tokenizer() {
  static const nt::text::Tokenizer tok =
      nt::fuzz::must(nt::text::Tokenizer::load(nt::fuzz::source_path("models/nemotron-brown-tiny")), "tokenizer");
  return tok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nt::text::Tokenizer& tok = tokenizer();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ids = tok.encode(text, /*add_special_tokens=*/false);
  if (!ids.is_ok()) nt::fuzz::fail("encode failed: " + ids.status().message());
  for (int32_t id : *ids) {
    if (id < 0 || static_cast<size_t>(id) >= tok.vocab_size()) nt::fuzz::fail("encode produced an id out of range");
  }
  auto decoded = tok.decode(*ids);
  if (!decoded.is_ok()) nt::fuzz::fail("decode failed: " + decoded.status().message());
  if (!nt::text::is_valid_utf8(*decoded)) nt::fuzz::fail("decode produced invalid UTF-8");
  if (nt::text::is_valid_utf8(text) && *decoded != text) nt::fuzz::fail("decode(encode(x)) != x");

  nt::text::StreamDecoder stream(tok);
  std::string streamed;
  for (int32_t id : *ids) {
    auto piece = stream.push(id);
    if (!piece.is_ok()) nt::fuzz::fail("stream push failed: " + piece.status().message());
    streamed += *piece;
  }
  streamed += stream.flush();
  if (streamed != *decoded) nt::fuzz::fail("streaming decode != decode");

  // With the post-processor (<s> first) and skipping special tokens on the way back.
  auto with_bos = tok.encode(text, /*add_special_tokens=*/true);
  if (!with_bos.is_ok()) nt::fuzz::fail("encode (special) failed: " + with_bos.status().message());
  nt::text::DecodeOptions skip;
  skip.skip_special_tokens = true;
  (void)tok.decode(*with_bos, skip);
  (void)tok.encode_wtf8(text, /*add_special_tokens=*/false);
  return 0;
}
