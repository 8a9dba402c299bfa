// nemotron perplexity [-m DIR] -f FILE [--ctx N] [--threads N]
// Prints {"ppl", "tokens", "ctx", "nll_per_token", "windows", "seconds"} as one JSON object. Definition (shared
// with tools/train/evaluate.py): the file is tokenized with special tokens (BOS once), cut into consecutive
// non-overlapping windows of ctx ids; each window is evaluated from an empty state and token j >= 1 of a window
// is predicted from tokens 0..j-1 of that window; ppl = exp(total NLL / predicted tokens).
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli.h"
#include "core/json.h"
#include "core/mapped_file.h"
#include "model_args.h"
#include "runtime/text_model.h"

namespace nt::cli {

int cmd_perplexity(int argc, char** argv) {
  Args args({"-m", "--model", "-f", "--file", "--ctx", "-c", "--threads", "-t", kExpertCacheFlag}, {kMapExpertsSwitch});
  if (Status s = args.parse(argc, argv); !s) return fail("perplexity", s);
  const std::string file = args.get({"-f", "--file"});
  if (file.empty()) return fail("perplexity", Status::error("missing -f FILE (the text to evaluate)"));
  auto ctx = args.get_int({"--ctx", "-c"}, 256);
  if (!ctx) return fail("perplexity", ctx.status());
  if (*ctx < 2 || *ctx > (1 << 22)) return fail("perplexity", Status::error("--ctx must be between 2 and 4194304"));
  auto threads = thread_count(args);
  if (!threads) return fail("perplexity", threads.status());
  auto text = read_text_file(file);
  if (!text) return fail("perplexity", text.status());
  auto model = TextModel::load(args.get({"-m", "--model"}, default_model_dir()), load_options(args));
  if (!model) return fail("perplexity", model.status());
  const HybridLM& lm = (*model)->lm();
  auto ids = (*model)->text_prompt(*text);
  if (!ids) return fail("perplexity", ids.status());
  for (int32_t id : *ids) {
    if (id < 0) return fail("perplexity", Status::error("the text contains a piece the tokenizer cannot encode"));
  }

  const auto t0 = std::chrono::steady_clock::now();
  ThreadPool pool(*threads);
  const int64_t n = static_cast<int64_t>(ids->size()), V = lm.config().vocab_size;
  double nll = 0;
  int64_t predicted = 0, windows = 0;
  std::vector<float> logits;
  for (int64_t start = 0; start < n; start += *ctx, ++windows) {
    const int64_t len = std::min<int64_t>(*ctx, n - start);
    if (len < 2) continue;
    SequenceState state = lm.new_state();
    if (Status s = lm.forward(ids->data() + start, len, state, {LogitsMode::All, ScanMode::Auto}, &logits, pool); !s) {
      return fail("perplexity", s);
    }
    for (int64_t j = 0; j + 1 < len; ++j) {
      const float* row = logits.data() + j * V;
      double mx = row[0];
      for (int64_t v = 1; v < V; ++v) mx = std::max(mx, static_cast<double>(row[v]));
      double sum = 0;
      for (int64_t v = 0; v < V; ++v) sum += std::exp(static_cast<double>(row[v]) - mx);
      nll += mx + std::log(sum) - row[(*ids)[static_cast<size_t>(start + j + 1)]];
      ++predicted;
    }
  }
  if (predicted == 0) return fail("perplexity", Status::error("the text has fewer than 2 tokens: nothing to predict"));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Json out = {{"ppl", std::exp(nll / static_cast<double>(predicted))}, {"tokens", predicted}, {"ctx", *ctx},
              {"nll_per_token", nll / static_cast<double>(predicted)}, {"windows", windows},
              {"seconds", secs}, {"tokens_per_second", static_cast<double>(n) / secs}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace nt::cli
