// nemotron logits -m DIR --tokens 1,2,3 --out FILE.npy [--decode] [--threads N]
// Writes float32 logits [T, V] for every position; --decode computes the same rows one token at a time.
#include <cstdio>

#include "cli.h"
#include "model/hybrid_lm.h"
#include "formats/npy.h"
#include "model_args.h"

namespace nt::cli {

int cmd_logits(int argc, char** argv) {
  Args args({"-m", "--model", "--tokens", "--out", "-o", "--threads", "-t", "--scan", kExpertCacheFlag}, {"--decode", kMapExpertsSwitch});
  if (Status s = args.parse(argc, argv); !s) return fail("logits", s);
  const std::string dir = args.get({"-m", "--model"}), out = args.get({"--out", "-o"});
  if (dir.empty()) return fail("logits", Status::error("missing -m DIR"));
  if (out.empty()) return fail("logits", Status::error("missing --out FILE.npy"));
  if (!args.has("--tokens")) return fail("logits", Status::error("missing --tokens 1,2,3"));
  auto tokens = parse_token_list(args.get({"--tokens"}));
  if (!tokens) return fail("logits", tokens.status());
  auto threads = thread_count(args);
  if (!threads) return fail("logits", threads.status());
  ForwardOptions opts;
  const std::string scan = args.get({"--scan"}, "auto");
  if (scan == "chunked") opts.scan = ScanMode::Chunked;
  else if (scan == "recurrent") opts.scan = ScanMode::Recurrent;
  else if (scan != "auto") return fail("logits", Status::error("--scan expects auto, chunked or recurrent"));

  auto model = HybridLM::load(dir, load_options(args));
  if (!model) return fail("logits", model.status());
  const HybridLM& m = **model;
  ThreadPool pool(*threads);
  SequenceState state = m.new_state();
  const int64_t T = static_cast<int64_t>(tokens->size()), V = m.config().vocab_size;
  std::vector<float> all(static_cast<size_t>(T * V)), row;
  if (args.has("--decode")) {
    opts.logits = LogitsMode::Last;
    for (int64_t t = 0; t < T; ++t) {
      if (Status s = m.forward(tokens->data() + t, 1, state, opts, &row, pool); !s) return fail("logits", s);
      std::copy(row.begin(), row.end(), all.begin() + t * V);
    }
  } else {
    opts.logits = LogitsMode::All;
    if (Status s = m.forward(tokens->data(), T, state, opts, &all, pool); !s) return fail("logits", s);
  }
  if (Status s = write_npy_f32(out, all.data(), {T, V}); !s) return fail("logits", s);
  return 0;
}

}  // namespace nt::cli
