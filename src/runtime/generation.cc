#include "runtime/generation.h"

#include <algorithm>
#include <climits>

#include "core/strings.h"

namespace nt {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::Cancelled: return "cancelled";
  }
  return "stop";
}

Status check_prompt_fits(int64_t prompt_tokens, const GenerateOptions& o) {
  if (prompt_tokens <= 0) return Status::error("the prompt is empty: at least one token is needed");
  if (o.max_context > 0 && prompt_tokens >= o.max_context) {
    return Status::error(cat("the prompt has ", prompt_tokens, " tokens; the context limit is ", o.max_context,
                             " and leaves no room to generate"));
  }
  return Status::ok();
}

Result<std::unique_ptr<Generation>> Generation::create(const text::Tokenizer& tokenizer, const GenerateOptions& o,
                                                       int64_t prompt_tokens) {
  NT_RETURN_IF_ERROR(check_prompt_fits(prompt_tokens, o));
  NT_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(o.sampling));
  int64_t limit = o.sampling.max_tokens > 0 ? o.sampling.max_tokens : INT64_MAX;
  if (o.max_context > 0) limit = std::min(limit, o.max_context - prompt_tokens);
  std::unique_ptr<Generation> g(new Generation(tokenizer, o, std::move(sampler), limit));
  g->r_.prompt_tokens = prompt_tokens;
  return g;
}

Generation::Generation(const text::Tokenizer& tokenizer, const GenerateOptions& o, Sampler sampler, int64_t limit)
    : tokenizer_(&tokenizer),
      o_(o),
      sampler_(std::move(sampler)),
      detok_(tokenizer, /*skip_special_tokens=*/false),
      stops_(o.stop),
      splitter_(o.split_reasoning && o.prompt_opened_think),
      budget_(o.budget, o.prompt_opened_think),
      limit_(limit) {}

// Routes finished text through the reasoning splitter into the pending delta and the result.
void Generation::emit(const std::string& text) {
  if (text.empty() || cancelled_) return;
  StreamDelta d;
  if (o_.split_reasoning) {
    ReasoningDelta rd = splitter_.push(text);
    d.content = std::move(rd.content);
    d.reasoning = std::move(rd.reasoning);
  } else {
    d.content = text;
  }
  r_.content += d.content;
  r_.reasoning += d.reasoning;
  pending_.content += d.content;
  pending_.reasoning += d.reasoning;
}

Status Generation::push_piece(const std::string& piece) {
  StopMatcher::Output out = stops_.push(piece);
  emit(out.text);
  if (out.stopped) stopped_ = true;
  return Status::ok();
}

void Generation::finish() {
  if (done_) return;
  done_ = true;
  if (!stopped_ && !cancelled_) {
    StopMatcher::Output out = stops_.push(detok_.flush());
    emit(out.text);
    if (!out.stopped) emit(stops_.flush());
  }
  if (o_.split_reasoning && !cancelled_) {
    ReasoningDelta rd = splitter_.finish();
    r_.content += rd.content;
    r_.reasoning += rd.reasoning;
    pending_.content += rd.content;
    pending_.reasoning += rd.reasoning;
  }
  r_.finish = cancelled_ ? FinishReason::Cancelled : stopped_ ? FinishReason::Stop : FinishReason::Length;
}

void Generation::cancel() {
  if (done_) return;
  cancelled_ = true;
  finish();
}

StreamDelta Generation::take_delta() {
  StreamDelta d = std::move(pending_);
  pending_ = StreamDelta();
  return d;
}

Result<std::vector<int32_t>> Generation::step(std::span<const float> logits) {
  if (done_) return std::vector<int32_t>();
  if (static_cast<int64_t>(r_.tokens.size()) >= limit_) {
    finish();
    return std::vector<int32_t>();
  }
  std::string forced = budget_.take_forced_text();
  if (!forced.empty()) {
    NT_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer_->encode(forced, /*add_special_tokens=*/false));
    for (int32_t id : ids) {
      if (id < 0) return Status::error("thinking-budget closing text does not tokenize");
      r_.tokens.push_back(id);
      NT_ASSIGN_OR_RETURN(std::string piece, detok_.push(id));
      NT_RETURN_IF_ERROR(push_piece(piece));
    }
    if (stopped_ || ids.empty()) finish();
    return ids;
  }
  // Rows past the tokenizer's vocabulary (lm_head padding) have no text and are never sampled.
  const size_t n_vocab = std::min(logits.size(), static_cast<size_t>(tokenizer_->vocab_size()));
  NT_ASSIGN_OR_RETURN(int32_t tok, sampler_.sample(logits.first(n_vocab), r_.tokens));
  if (!o_.ignore_eos && std::find(o_.eos_ids.begin(), o_.eos_ids.end(), tok) != o_.eos_ids.end()) {
    stopped_ = true;
    finish();
    return std::vector<int32_t>();
  }
  r_.tokens.push_back(tok);
  // The budget counts the token's text as the splitter saw it; feed it the raw piece.
  NT_ASSIGN_OR_RETURN(std::string piece, detok_.push(tok));
  budget_.on_token(piece);
  NT_RETURN_IF_ERROR(push_piece(piece));
  if (stopped_ || static_cast<int64_t>(r_.tokens.size()) >= limit_) {
    finish();
    return std::vector<int32_t>();
  }
  return std::vector<int32_t>{tok};
}

}  // namespace nt
