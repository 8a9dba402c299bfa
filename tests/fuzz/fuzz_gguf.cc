// libFuzzer target: parse arbitrary bytes as GGUF, touch everything the parser exposes, build its tokenizer,
// then load it as a Nemotron model (config from metadata, tensor mapping, weight binding). Any
// crash, sanitizer report, hang or runaway allocation is a bug; errors are the expected outcome.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "formats/gguf.h"
#include "formats/gguf_model.h"
#include "formats/gguf_tokenizer.h"
#include "model/hybrid_lm.h"
#include "quant/ggml_type.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto copy = std::make_shared<std::vector<uint8_t>>(data, data + size);
  const uint8_t* p = copy->data();
  auto file = nt::GgufFile::parse(copy, p, copy->size());
  if (!file.is_ok()) return 0;
  for (const nt::GgufKv& kv : file->kvs()) {
    (void)file->get_value(kv.key);
    (void)file->get_string(kv.key);
    (void)file->get_int(kv.key);
    (void)file->get_u32(kv.key);
    (void)file->get_int_array(kv.key);
    (void)file->get_array_string(kv.key);
    (void)file->get_array_f32(kv.key);
  }
  std::vector<float> row;
  for (const nt::GgufTensor& t : file->tensors()) {
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < t.nbytes; i += 4096) sink = sink + t.data[i];  // every page is readable
    if (t.nbytes > 0) sink = sink + t.data[t.nbytes - 1];
    // Dequantize the first row of small tensors (the data pointer is only 32-byte aligned relative
    // to the buffer start, which is what the checked entry point verifies).
    const int64_t n = t.ne.empty() ? 1 : t.ne[0];
    if (t.n_elements > 0 && n > 0 && n <= 4096) {  // a row exists only when no dimension is 0
      row.resize(static_cast<size_t>(n));
      (void)nt::dequantize_row(t.type, t.data, row.data(), n);
    }
  }
  // The tokenizer layer: tokenizer.ggml.* metadata → vocabulary, merges, pre-tokenizer, special tokens; a
  // tokenizer that loads must encode and decode.
  auto tok = nt::tokenizer_from_gguf(*file, "fuzz");
  if (tok.is_ok()) {
    auto ids = tok->encode("Hello <|im_start|> world 123 \xc3\xa9");
    if (ids.is_ok()) (void)tok->decode(*ids);
  }
  // The model layer: metadata → config, layer-kind cross-checks, tensor mapping and weight binding.
  auto shared = std::make_shared<const nt::GgufFile>(std::move(file).value());
  auto model = nt::gguf_model_from_file(shared);
  if (model.is_ok()) (void)nt::HybridLM::from_parts(std::move(model->config), std::move(model->store));
  return 0;
}
