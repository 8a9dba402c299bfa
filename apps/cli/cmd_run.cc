// nemotron run [-m DIR] (-p TEXT | -f FILE | --tokens 1,2,3) [-n N] [--temp T] [--seed S] [--top-k K] ...
//   Text mode streams the generated text to stdout; --chat renders the prompt as one user message with the
//   model's chat template (--system, --think / --no-think, --thinking-budget N; reasoning goes to stderr).
//   Token mode (--tokens, with --ids) prints generated ids separated by spaces.
// Generation stops at an EOS id (generation_config, config, tokenizer) unless --ignore-eos, at a --stop
// string, or after -n tokens. Without -m the embedded model is used.
#include <cstdio>

#include "cli.h"
#include "core/mapped_file.h"
#include "model_args.h"
#include "runtime/session.h"
#include "runtime/text_model.h"
#include "sampling_args.h"

namespace nt::cli {

namespace {

int run_ids(const Args& args, const std::string& dir, const SamplingParams& sp, int threads) {
  auto tokens = parse_token_list(args.get({"--tokens"}));
  if (!tokens) return fail("run", tokens.status());
  auto model = HybridLM::load(dir, load_options(args));
  if (!model) return fail("run", model.status());
  const HybridLM& m = **model;
  ThreadPool pool(threads);
  SequenceState state = m.new_state();
  Sampler sampler = std::move(Sampler::create(sp)).value();
  std::vector<float> logits;
  if (Status s = m.forward(tokens->data(), static_cast<int64_t>(tokens->size()), state, {LogitsMode::Last, ScanMode::Auto}, &logits, pool); !s) {
    return fail("run", s);
  }
  const auto& eos = m.config().eos_token_ids;
  std::vector<int32_t> generated;
  for (int32_t i = 0; i < sp.max_tokens; ++i) {
    auto next = sampler.sample(logits, generated);
    if (!next) return fail("run", next.status());
    generated.push_back(*next);
    std::printf(i ? " %d" : "%d", *next);
    std::fflush(stdout);
    if (!args.has("--ignore-eos") && std::find(eos.begin(), eos.end(), *next) != eos.end()) break;
    if (i + 1 == sp.max_tokens) break;
    int32_t tok = *next;
    if (Status s = m.forward(&tok, 1, state, {LogitsMode::Last, ScanMode::Auto}, &logits, pool); !s) return fail("run", s);
  }
  std::printf("\n");
  return 0;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  std::vector<std::string> flags = {"-m", "--model", "--tokens", "-p", "--prompt", "-f", "--file", "--threads", "-t",
                                    "--stop", "--system", "--thinking-budget", "--ctx", kExpertCacheFlag};
  for (auto& f : sampling_flags()) flags.push_back(f);
  Args args(flags, {"--ids", "--ignore-eos", "--chat", "--think", "--no-think", "--stats", kMapExpertsSwitch});
  if (Status s = args.parse(argc, argv); !s) return fail("run", s);
  const std::string dir = args.get({"-m", "--model"}, default_model_dir());
  auto threads = thread_count(args);
  if (!threads) return fail("run", threads.status());
  const bool id_mode = args.has("--tokens");
  auto sp = parse_sampling(args, id_mode ? 0.0 : 0.8, id_mode ? 32 : 128);
  if (!sp) return fail("run", sp.status());
  if (id_mode) return run_ids(args, dir, *sp, *threads);

  std::string prompt = args.get({"-p", "--prompt"});
  if (args.has("-f") || args.has("--file")) {
    auto text = read_text_file(args.get({"-f", "--file"}));
    if (!text) return fail("run", text.status());
    prompt = *text;
  }
  if (!args.has("-p") && !args.has("--prompt") && !args.has("-f") && !args.has("--file")) {
    return fail("run", Status::error("missing prompt: give -p TEXT, -f FILE or --tokens 1,2,3"));
  }
  auto model = TextModel::load(dir, load_options(args));
  if (!model) return fail("run", model.status());
  const TextModel& tm = **model;

  GenerateOptions go;
  go.sampling = *sp;
  go.stop = args.get_all("--stop");
  go.eos_ids = tm.eos_ids();
  go.ignore_eos = args.has("--ignore-eos");
  // Without --ctx the context is the model's own (max_position_embeddings), so an oversized prompt (a 10 MB file)
  // is refused after tokenization instead of being prefilled into an ever-growing KV cache; --ctx 0 lifts it.
  auto ctx = args.get_int({"--ctx"}, tm.lm().config().max_position_embeddings);
  if (!ctx || *ctx < 0) return fail("run", Status::error("--ctx must be a non-negative integer"));
  go.max_context = *ctx;
  std::vector<int32_t> tokens;
  if (args.has("--chat")) {
    nlohmann::ordered_json req;
    req["messages"] = nlohmann::ordered_json::array();
    if (args.has("--system")) req["messages"].push_back({{"role", "system"}, {"content", args.get({"--system"})}});
    req["messages"].push_back({{"role", "user"}, {"content", prompt}});
    if (args.has("--think") || args.has("--no-think")) req["enable_thinking"] = args.has("--think");
    auto p = tm.chat_prompt(req);
    if (!p) return fail("run", p.status());
    tokens = std::move(p->tokens);
    go.split_reasoning = true;
    go.prompt_opened_think = p->opened_think;
    auto budget = args.get_int({"--thinking-budget"}, -1);
    if (!budget || *budget < -1 || *budget > INT32_MAX) return fail("run", Status::error("--thinking-budget must be -1 or a non-negative integer"));
    go.budget.max_reasoning_tokens = static_cast<int32_t>(*budget);
  } else {
    auto t = tm.text_prompt(prompt);
    if (!t) return fail("run", t.status());
    tokens = std::move(t).value();
  }
  ThreadPool pool(*threads);
  Session session(tm.lm(), pool);
  auto r = session.generate(tokens, tm.tokenizer(), go, nullptr, [](const StreamDelta& d) {
    if (!d.reasoning.empty()) { std::fputs(d.reasoning.c_str(), stderr); std::fflush(stderr); }
    if (!d.content.empty()) { std::fputs(d.content.c_str(), stdout); std::fflush(stdout); }
    return true;
  });
  if (!r) return fail("run", r.status());
  std::printf("\n");
  if (args.has("--stats")) {
    const double tps = r->decode_seconds > 0 ? static_cast<double>(r->tokens.size()) / r->decode_seconds : 0;
    std::fprintf(stderr, "[prompt %lld tokens in %.3f s, %zu generated at %.1f tok/s, finish %s]\n",
                 static_cast<long long>(r->prompt_tokens), r->prefill_seconds, r->tokens.size(), tps,
                 finish_reason_name(r->finish));
  }
  return 0;
}

}  // namespace nt::cli
