// nemotron synth --config CONFIG.json --type q4_0 --out FILE.gguf [--seed N] [--scale F] [--threads N]
//                [--tokenizer DIR]
// Writes a random-weight model of the given config straight to GGUF, streaming (memory stays small
// whatever the size). --scale F (0 < F <= 1) shrinks every width and count for quick tests. --tokenizer DIR
// embeds DIR's tokenizer.json and chat template (its ids must fit the config's vocab_size; bos / eos / pad come
// from DIR/config.json when present), so `run`, `chat` and `serve` can drive the random model with text.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli.h"
#include "core/strings.h"
#include "core/mapped_file.h"
#include "formats/gguf_synth.h"
#include "formats/gguf_tokenizer.h"
#include "model_args.h"

namespace nt::cli {


int cmd_synth(int argc, char** argv) {
  Args args({"--config", "--type", "--out", "-o", "--seed", "--scale", "--threads", "-t", "--tokenizer"}, {});
  if (Status s = args.parse(argc, argv); !s) return fail("synth", s);
  const std::string cfg = args.get({"--config"}), out = args.get({"--out", "-o"});
  if (cfg.empty() || out.empty()) return fail("synth", Status::error("usage: nemotron synth --config CONFIG.json --type TYPE --out FILE.gguf"));
  GgufPreset preset;
  const std::string type = args.get({"--type"}, "q4_0");
  if (!gguf_preset_from_name(type, &preset)) return fail("synth", Status::error(cat("unknown --type '", type, "'")));
  auto seed = args.get_int({"--seed"}, 1);
  if (!seed) return fail("synth", seed.status());
  auto scale = args.get_double({"--scale"}, 1.0);
  if (!scale) return fail("synth", scale.status());
  if (!(*scale > 0 && *scale <= 1)) return fail("synth", Status::error("--scale must be in (0, 1]"));
  auto threads = thread_count(args);
  if (!threads) return fail("synth", threads.status());
  auto text = read_text_file(cfg, size_t{16} << 20);
  if (!text) return fail("synth", text.status());
  auto config = parse_model_config(*text, cfg);
  if (!config) return fail("synth", config.status());
  ModelConfig c = std::move(config).value();
  if (*scale < 1) c = shrink_config(c, *scale);
  std::vector<std::pair<std::string, GgufValue>> extra;
  if (const std::string tok_dir = args.get({"--tokenizer"}); !tok_dir.empty()) {
    if (!file_exists(tok_dir + "/tokenizer.json")) {
      return fail("synth", Status::error(cat("--tokenizer ", tok_dir, ": expected a directory with tokenizer.json")));
    }
    int64_t bos = c.bos_token_id, eos = c.eos_token_ids.empty() ? -1 : c.eos_token_ids[0], pad = c.pad_token_id;
    if (file_exists(tok_dir + "/config.json")) {
      auto tok_text = read_text_file(tok_dir + "/config.json", size_t{16} << 20);
      if (!tok_text) return fail("synth", tok_text.status());
      auto tok_cfg = parse_model_config(*tok_text, tok_dir + "/config.json");
      if (!tok_cfg) return fail("synth", tok_cfg.status());
      bos = tok_cfg->bos_token_id;
      eos = tok_cfg->eos_token_ids.empty() ? -1 : tok_cfg->eos_token_ids[0];
      pad = tok_cfg->pad_token_id;
    }
    auto tok = gguf_tokenizer_metadata(tok_dir, c.vocab_size, bos, eos, pad);
    if (!tok) return fail("synth", tok.status());
    extra = std::move(tok).value();
    for (const auto& [key, value] : extra) {
      if (key == "tokenizer.ggml.tokens" && static_cast<int64_t>(value.elems.size()) > c.vocab_size) {
        return fail("synth", Status::error(cat("--tokenizer ", tok_dir, ": the tokenizer has ", value.elems.size(),
                                               " tokens but the model's vocab_size is ", c.vocab_size)));
      }
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = synth_gguf(out, c, preset, static_cast<uint64_t>(*seed), *threads, std::move(extra)); !s) {
    return fail("synth", s);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s, pattern %s, H=%lld) in %.1f s\n", out.c_str(), type.c_str(), c.pattern().c_str(),
               static_cast<long long>(c.hidden_size), secs);
  return 0;
}

}  // namespace nt::cli
