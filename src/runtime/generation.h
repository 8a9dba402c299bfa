// The per-token logic of one generation as a step-able state machine, shared by the blocking Session loop and
// the continuous-batching Scheduler: sampling, streaming detokenization, stop strings, EOS, the reasoning split,
// the thinking budget, the token limit and cancellation.
//
// Driver loop:   logits = prefill(prompt);
//                while (!g.done()) { feed = g.step(logits); deliver g.take_delta(); if (!feed.empty()) logits = run(feed); }
// step() returns the tokens the model must consume next: the sampled token, or the forced closing text of the
// thinking budget (then the logits it was given are not used); empty once the generation has finished.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "sampling/reasoning.h"
#include "sampling/sampler.h"
#include "sampling/stop.h"
#include "text/stream_decoder.h"
#include "text/tokenizer.h"

namespace nt {

struct GenerateOptions {
  SamplingParams sampling;                // sampling.max_tokens: generated-token limit (0 = up to the context)
  std::vector<std::string> stop;          // stop strings (excluded from the output)
  std::vector<int32_t> eos_ids;           // generation ends after sampling one of these (not emitted)
  bool ignore_eos = false;
  bool split_reasoning = false;           // route <think>…</think> text to `reasoning`
  bool prompt_opened_think = false;       // the generation prompt ended inside <think>
  ThinkingBudget budget;                  // max_reasoning_tokens -1 = unlimited
  int64_t max_context = 0;                // prompt + generated limit (0 = none)
  int64_t prefill_chunk = 256;            // prompts are prefilled in chunks of this many tokens
  std::vector<int64_t> snapshot_at;       // extra prompt positions to snapshot into the cache (e.g. the end of
                                          // the conversation before the generation prompt)
};

enum class FinishReason { Stop, Length, Cancelled };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "cancelled"

struct StreamDelta {
  std::string content;
  std::string reasoning;
  bool empty() const { return content.empty() && reasoning.empty(); }
};

struct GenerateResult {
  std::vector<int32_t> tokens;   // generated ids (sampled and forced), excluding a final EOS
  std::string content, reasoning;
  FinishReason finish = FinishReason::Stop;
  int64_t prompt_tokens = 0, reused_tokens = 0;
  double prefill_seconds = 0, decode_seconds = 0;
};

// Checks that a prompt of `prompt_tokens` leaves room to generate under options.max_context.
Status check_prompt_fits(int64_t prompt_tokens, const GenerateOptions& options);

class Generation {
 public:
  // Fails on invalid sampling parameters or a prompt that leaves no room in the context.
  static Result<std::unique_ptr<Generation>> create(const text::Tokenizer& tokenizer, const GenerateOptions& options,
                                                    int64_t prompt_tokens);

  // logits: [V] of the last consumed position. Returns the tokens to feed next (empty when done()).
  Result<std::vector<int32_t>> step(std::span<const float> logits);
  // Stops generating: no further text is delivered and finish becomes Cancelled.
  void cancel();

  bool done() const { return done_; }
  // Text that became final since the last call.
  StreamDelta take_delta();
  // The result so far (complete once done()).
  GenerateResult& result() { return r_; }
  const GenerateResult& result() const { return r_; }

 private:
  Generation(const text::Tokenizer& tokenizer, const GenerateOptions& options, Sampler sampler, int64_t limit);
  void emit(const std::string& text);
  Status push_piece(const std::string& piece);
  void finish();

  const text::Tokenizer* tokenizer_;
  GenerateOptions o_;
  Sampler sampler_;
  text::StreamDecoder detok_;
  StopMatcher stops_;
  ReasoningSplitter splitter_;
  ThinkingBudgetController budget_;
  int64_t limit_;
  bool stopped_ = false, cancelled_ = false, done_ = false;
  GenerateResult r_;
  StreamDelta pending_;
};

}  // namespace nt
