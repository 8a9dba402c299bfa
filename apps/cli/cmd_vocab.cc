// nemotron vocab -m TOKENIZER_DIR --out FILE.gguf [--vocab-size N]
// Writes a vocabulary-only GGUF (tokenizer.ggml.* metadata and the chat template, no tensors), the kind of
// file llama.cpp ships as models/ggml-vocab-*.gguf: a tokenizer.json converted without a model around it.
// Ids: bos / eos from the tokenizer (tokenizer_config.json, generation_config.json); --vocab-size pads
// the vocabulary with unused [PAD{i}] tokens as a model's embedding size would.
#include <cstdio>

#include "cli.h"
#include "core/strings.h"
#include "formats/gguf.h"
#include "formats/gguf_tokenizer.h"
#include "text/tokenizer.h"

namespace nt::cli {

int cmd_vocab(int argc, char** argv) {
  Args args({"-m", "--model", "--out", "-o", "--vocab-size"}, {});
  if (Status s = args.parse(argc, argv); !s) return fail("vocab", s);
  const std::string dir = args.get({"-m", "--model"}), out = args.get({"--out", "-o"});
  if (dir.empty() || out.empty()) {
    std::fprintf(stderr, "usage: nemotron vocab -m TOKENIZER_DIR --out FILE.gguf [--vocab-size N]\n");
    return 2;
  }
  auto n = args.get_int({"--vocab-size"}, 0);
  if (!n.is_ok()) return fail("vocab", n.status());
  if (*n < 0 || *n > (int64_t{1} << 24)) return fail("vocab", Status::error(cat("--vocab-size must be 0..16777216, found ", *n)));
  auto tok = text::Tokenizer::load(dir);  // validates the tokenizer and gives its special ids
  if (!tok.is_ok()) return fail("vocab", tok.status());
  auto kv = gguf_tokenizer_metadata(dir, *n, tok->bos_id(), tok->eos_id(), -1);
  if (!kv.is_ok()) return fail("vocab", kv.status());
  if (kv->empty()) return fail("vocab", Status::error(cat(dir, ": no tokenizer.json")));
  auto w = GgufWriter::create(out);
  if (!w.is_ok()) return fail("vocab", w.status());
  Status st = (*w)->add("general.architecture", GgufValue::string("llama"));
  if (st) st = (*w)->add("general.name", GgufValue::string("vocab"));
  for (const auto& [key, value] : *kv) {
    if (st) st = (*w)->add(key, value);
  }
  if (st) st = (*w)->finish();
  if (!st) return fail("vocab", st);
  return 0;
}

}  // namespace nt::cli
