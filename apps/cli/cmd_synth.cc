// nemotron synth --config CONFIG.json --type q4_0 --out FILE.gguf [--seed N] [--scale F] [--threads N]
// Writes a random-weight model of the given config straight to GGUF, streaming (memory stays small
// whatever the size). --scale F (0 < F <= 1) shrinks every width and count for quick tests.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli.h"
#include "core/strings.h"
#include "core/mapped_file.h"
#include "formats/gguf_synth.h"
#include "model_args.h"

namespace nt::cli {


int cmd_synth(int argc, char** argv) {
  Args args({"--config", "--type", "--out", "-o", "--seed", "--scale", "--threads", "-t"}, {});
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
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = synth_gguf(out, c, preset, static_cast<uint64_t>(*seed), *threads); !s) return fail("synth", s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s, pattern %s, H=%lld) in %.1f s\n", out.c_str(), type.c_str(), c.pattern().c_str(),
               static_cast<long long>(c.hidden_size), secs);
  return 0;
}

}  // namespace nt::cli
