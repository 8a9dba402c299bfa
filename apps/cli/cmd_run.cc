// nemotron run -m DIR --tokens 1,2,3 -n N --temp 0 --ids
// Greedy continuation of token ids, printed as ids separated by spaces. Generation stops after an EOS id
// from config.json (the EOS id itself is printed, as Hugging Face's generate returns it) unless --ignore-eos.
#include <algorithm>
#include <cstdio>

#include "cli.h"
#include "model/hybrid_lm.h"
#include "model_args.h"

namespace nt::cli {

namespace {

int32_t argmax(const std::vector<float>& v) {
  int32_t best = 0;
  for (size_t i = 1; i < v.size(); ++i) if (v[i] > v[best]) best = static_cast<int32_t>(i);  // ties: lowest id
  return best;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  Args args({"-m", "--model", "--tokens", "-n", "--n-predict", "--max-tokens", "--temp", "--temperature", "--threads", "-t"},
            {"--ids", "--ignore-eos"});
  if (Status s = args.parse(argc, argv); !s) return fail("run", s);
  const std::string dir = args.get({"-m", "--model"});
  if (dir.empty()) return fail("run", Status::error("missing -m DIR"));
  if (!args.has("--tokens")) return fail("run", Status::error("missing --tokens 1,2,3 (text prompts need a tokenizer)"));
  auto tokens = parse_token_list(args.get({"--tokens"}));
  if (!tokens) return fail("run", tokens.status());
  auto n = args.get_int({"-n", "--n-predict", "--max-tokens"}, 32);
  if (!n) return fail("run", n.status());
  if (*n < 0 || *n > 1000000) return fail("run", Status::error("-n must be between 0 and 1000000"));
  auto temp = args.get_double({"--temp", "--temperature"}, 0.0);
  if (!temp) return fail("run", temp.status());
  if (*temp != 0.0) return fail("run", Status::error("token-id mode supports greedy decoding only (--temp 0)"));
  auto threads = thread_count(args);
  if (!threads) return fail("run", threads.status());

  auto model = HybridLM::load(dir);
  if (!model) return fail("run", model.status());
  const HybridLM& m = **model;
  ThreadPool pool(*threads);
  SequenceState state = m.new_state();
  ForwardOptions opts;
  opts.logits = LogitsMode::Last;
  std::vector<float> logits;
  if (Status s = m.forward(tokens->data(), static_cast<int64_t>(tokens->size()), state, opts, &logits, pool); !s) {
    return fail("run", s);
  }
  const auto& eos = m.config().eos_token_ids;
  for (long long i = 0; i < *n; ++i) {
    int32_t next = argmax(logits);
    std::printf(i ? " %d" : "%d", next);
    std::fflush(stdout);
    if (!args.has("--ignore-eos") && std::find(eos.begin(), eos.end(), next) != eos.end()) break;
    if (i + 1 == *n) break;
    if (Status s = m.forward(&next, 1, state, opts, &logits, pool); !s) return fail("run", s);
  }
  std::printf("\n");
  return 0;
}

}  // namespace nt::cli
