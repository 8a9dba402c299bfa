// libFuzzer target: arbitrary bytes as tokenizer.json (vocab/merges SAX reader, normalizers, pre-tokenizers with
// their regexes, decoders, post-processors, added tokens). A tokenizer that loads must then encode and decode a
// fixed text (errors allowed, crashes and hangs not).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text/tokenizer.h"
#include "text/tokenizer_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)nt::text::read_tokenizer_json(text);
  auto tok = nt::text::Tokenizer::from_json(text);
  if (!tok.is_ok()) return 0;
  static constexpr std::string_view kSample = "Hello world! 123 <s> caf\xc3\xa9 \xf0\x9f\x98\x80\n\tend";
  auto ids = tok->encode(kSample, /*add_special_tokens=*/true);
  if (ids.is_ok()) {
    (void)tok->decode(*ids);
    nt::text::DecodeOptions skip;
    skip.skip_special_tokens = true;
    skip.clean_up = nt::text::DecodeOptions::CleanUp::kYes;
    (void)tok->decode(*ids, skip);
  }
  for (int32_t id = 0; id < 8 && static_cast<size_t>(id) < tok->vocab_size(); ++id) (void)tok->id_to_token(id);
  return 0;
}
