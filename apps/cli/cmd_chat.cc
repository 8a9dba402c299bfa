// nemotron chat [-m DIR] [--system TEXT] [--think|--no-think] [--thinking-budget N] [sampling flags]
// Interactive multi-turn chat on stdin/stdout. The model state is kept between turns: each turn restarts from
// the snapshot of the previous prompt (a token-exact prefix of the new one), so it costs only the previous
// answer and the new message, not the whole conversation. Lines starting with '/' are commands:
// /reset (new conversation), /exit. Reasoning is streamed to stderr, answers to stdout.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli.h"
#include "model_args.h"
#include "runtime/session.h"
#include "runtime/text_model.h"
#include "sampling_args.h"

namespace nt::cli {

int cmd_chat(int argc, char** argv) {
  std::vector<std::string> flags = {"-m", "--model", "--system", "--threads", "-t", "--thinking-budget", "--stop",
                                    "--ctx", "--state-cache-mb", kExpertCacheFlag};
  for (auto& f : sampling_flags()) flags.push_back(f);
  Args args(flags, {"--think", "--no-think", "--quiet", kMapExpertsSwitch});
  if (Status s = args.parse(argc, argv); !s) return fail("chat", s);
  auto threads = thread_count(args);
  if (!threads) return fail("chat", threads.status());
  auto sp = parse_sampling(args, 0.6, 512);
  if (!sp) return fail("chat", sp.status());
  auto budget = args.get_int({"--thinking-budget"}, -1);
  if (!budget || *budget < -1 || *budget > INT32_MAX) return fail("chat", Status::error("--thinking-budget must be -1 or a non-negative integer"));
  auto cache_mb = args.get_int({"--state-cache-mb"}, 1024);
  if (!cache_mb || *cache_mb < 0) return fail("chat", Status::error("--state-cache-mb must be a non-negative integer"));
  auto model = TextModel::load(args.get({"-m", "--model"}, default_model_dir()), load_options(args));
  if (!model) return fail("chat", model.status());
  const TextModel& tm = **model;
  // As in run: without --ctx the context is the model's own, so an oversized message is refused instead of
  // growing the KV cache without bound; --ctx 0 lifts it.
  auto ctx = args.get_int({"--ctx"}, tm.lm().config().max_position_embeddings);
  if (!ctx || *ctx < 0) return fail("chat", Status::error("--ctx must be a non-negative integer"));
  if (!tm.has_chat_template()) return fail("chat", Status::error("the model has no chat template"));

  const bool quiet = args.has("--quiet"), tty = isatty(STDIN_FILENO);
  ThreadPool pool(*threads);
  Session session(tm.lm(), pool);
  StateCache cache(*cache_mb << 20);
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  auto start = [&] {
    messages = nlohmann::ordered_json::array();
    if (args.has("--system")) messages.push_back({{"role", "system"}, {"content", args.get({"--system"})}});
  };
  start();
  std::string line;
  while (true) {
    if (tty) { std::fputs("> ", stdout); std::fflush(stdout); }
    if (!std::getline(std::cin, line)) break;
    if (line == "/exit" || line == "/quit") break;
    if (line == "/reset") { start(); continue; }
    if (line.empty()) continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    nlohmann::ordered_json req = {{"messages", messages}};
    if (args.has("--think") || args.has("--no-think")) req["enable_thinking"] = args.has("--think");
    auto prompt = tm.chat_prompt(req);
    if (!prompt) return fail("chat", prompt.status());
    GenerateOptions go;
    go.sampling = *sp;
    go.stop = args.get_all("--stop");
    go.eos_ids = tm.eos_ids();
    go.split_reasoning = true;
    go.prompt_opened_think = prompt->opened_think;
    if (prompt->conversation_len > 0) go.snapshot_at.push_back(prompt->conversation_len);
    go.budget.max_reasoning_tokens = static_cast<int32_t>(*budget);
    go.max_context = *ctx;
    auto r = session.generate(prompt->tokens, tm.tokenizer(), go, &cache, [](const StreamDelta& d) {
      if (!d.reasoning.empty()) { std::fputs(d.reasoning.c_str(), stderr); std::fflush(stderr); }
      if (!d.content.empty()) { std::fputs(d.content.c_str(), stdout); std::fflush(stdout); }
      return true;
    });
    if (!r) return fail("chat", r.status());
    std::printf("\n");
    std::fflush(stdout);
    if (!quiet) {
      std::fprintf(stderr, "[turn: %lld prompt tokens, %lld reused, %lld computed in %.3f s; %zu generated; %s]\n",
                   static_cast<long long>(r->prompt_tokens), static_cast<long long>(r->reused_tokens),
                   static_cast<long long>(r->prompt_tokens - r->reused_tokens), r->prefill_seconds, r->tokens.size(),
                   finish_reason_name(r->finish));
    }
    nlohmann::ordered_json reply = {{"role", "assistant"}, {"content", r->content}};
    if (!r->reasoning.empty()) reply["reasoning_content"] = r->reasoning;
    messages.push_back(reply);
  }
  return 0;
}

}  // namespace nt::cli
