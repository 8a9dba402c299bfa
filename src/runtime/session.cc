#include "runtime/session.h"

#include <algorithm>
#include <chrono>

#include "core/strings.h"
#include "sampling/stop.h"
#include "text/stream_decoder.h"

namespace nt {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::Cancelled: return "cancelled";
  }
  return "stop";
}

void Session::reset() {
  state_.reset();
  history_.clear();
}

Status Session::feed(const int32_t* tokens, int64_t n, std::vector<float>* logits) {
  ForwardOptions opts;
  opts.logits = logits ? LogitsMode::Last : LogitsMode::None;
  NT_RETURN_IF_ERROR(model_->forward(tokens, n, state_, opts, logits, *pool_));
  history_.insert(history_.end(), tokens, tokens + n);
  return Status::ok();
}

Status Session::prefill(const std::vector<int32_t>& prompt, StateCache* cache, int64_t chunk,
                        std::vector<float>* logits, int64_t* reused, const std::vector<int64_t>& snapshot_at) {
  if (prompt.empty()) return Status::error("the prompt is empty: at least one token is needed");
  const int64_t n = static_cast<int64_t>(prompt.size());
  // The last prompt token must be run to get its logits, so at most n-1 tokens can be reused.
  const bool history_is_prefix = !history_.empty() && static_cast<int64_t>(history_.size()) < n &&
                                 std::equal(history_.begin(), history_.end(), prompt.begin());
  int64_t start = history_is_prefix ? static_cast<int64_t>(history_.size()) : 0;
  if (cache) {
    SequenceState candidate;
    const int64_t got = cache->restore_longest_prefix(prompt, n - 1, &candidate);
    if (got > start) {
      state_ = std::move(candidate);
      history_.assign(prompt.begin(), prompt.begin() + got);
      start = got;
    }
  }
  if (start == 0) reset();
  *reused = start;
  chunk = std::max<int64_t>(1, chunk);
  for (int64_t pos = start; pos < n;) {
    int64_t end = std::min(pos + chunk, n);
    for (int64_t s : snapshot_at) {
      if (s > pos && s < end) end = s;  // stop at a requested snapshot position
    }
    NT_RETURN_IF_ERROR(feed(prompt.data() + pos, end - pos, end == n ? logits : nullptr));
    pos = end;
    if (cache) cache->put(history_, state_);  // chunk boundary, requested position, or the whole prompt
  }
  return Status::ok();
}

Result<GenerateResult> Session::generate(const std::vector<int32_t>& prompt, const text::Tokenizer& tokenizer,
                                         const GenerateOptions& o, StateCache* cache,
                                         const std::function<bool(const StreamDelta&)>& on_delta) {
  GenerateResult r;
  r.prompt_tokens = static_cast<int64_t>(prompt.size());
  if (o.max_context > 0 && r.prompt_tokens >= o.max_context) {
    return Status::error(cat("the prompt has ", r.prompt_tokens, " tokens; the context limit is ", o.max_context,
                             " and leaves no room to generate"));
  }
  NT_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(o.sampling));
  const double t0 = now_seconds();
  std::vector<float> logits;
  NT_RETURN_IF_ERROR(prefill(prompt, cache, o.prefill_chunk, &logits, &r.reused_tokens, o.snapshot_at));
  const double t1 = now_seconds();
  r.prefill_seconds = t1 - t0;

  text::StreamDecoder detok(tokenizer, /*skip_special_tokens=*/false);
  StopMatcher stops(o.stop);
  ReasoningSplitter splitter(o.split_reasoning && o.prompt_opened_think);
  ThinkingBudgetController budget(o.budget, o.prompt_opened_think);
  int64_t limit = o.sampling.max_tokens > 0 ? o.sampling.max_tokens : INT64_MAX;
  if (o.max_context > 0) limit = std::min(limit, o.max_context - r.prompt_tokens);

  bool cancelled = false, stopped = false;
  // Routes finished text through the reasoning splitter to the caller.
  auto emit = [&](const std::string& text) {
    if (text.empty() || cancelled) return;
    StreamDelta d;
    if (o.split_reasoning) {
      ReasoningDelta rd = splitter.push(text);
      d.content = std::move(rd.content);
      d.reasoning = std::move(rd.reasoning);
    } else {
      d.content = text;
    }
    r.content += d.content;
    r.reasoning += d.reasoning;
    if ((!d.content.empty() || !d.reasoning.empty()) && on_delta && !on_delta(d)) cancelled = true;
  };
  auto push_token_text = [&](int32_t tok) -> Status {
    NT_ASSIGN_OR_RETURN(std::string piece, detok.push(tok));
    StopMatcher::Output out = stops.push(piece);
    emit(out.text);
    if (out.stopped) stopped = true;
    return Status::ok();
  };

  while (static_cast<int64_t>(r.tokens.size()) < limit && !stopped && !cancelled) {
    std::string forced = budget.take_forced_text();
    if (!forced.empty()) {
      NT_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tokenizer.encode(forced, /*add_special_tokens=*/false));
      for (int32_t id : ids) {
        if (id < 0) return Status::error("thinking-budget closing text does not tokenize");
        r.tokens.push_back(id);
        NT_RETURN_IF_ERROR(push_token_text(id));
      }
      if (!ids.empty()) NT_RETURN_IF_ERROR(feed(ids.data(), static_cast<int64_t>(ids.size()), &logits));
      continue;
    }
    NT_ASSIGN_OR_RETURN(int32_t tok, sampler.sample(logits, r.tokens));
    if (!o.ignore_eos && std::find(o.eos_ids.begin(), o.eos_ids.end(), tok) != o.eos_ids.end()) {
      stopped = true;
      break;
    }
    r.tokens.push_back(tok);
    {
      // The budget counts the token's text as the splitter saw it; feed it the raw piece.
      NT_ASSIGN_OR_RETURN(std::string piece, detok.push(tok));
      budget.on_token(piece);
      StopMatcher::Output out = stops.push(piece);
      emit(out.text);
      if (out.stopped) stopped = true;
    }
    if (stopped || cancelled || static_cast<int64_t>(r.tokens.size()) >= limit) break;
    NT_RETURN_IF_ERROR(feed(&tok, 1, &logits));
  }
  if (!stopped && !cancelled) {
    StopMatcher::Output out = stops.push(detok.flush());
    emit(out.text);
    if (!out.stopped) emit(stops.flush());
  }
  if (o.split_reasoning && !cancelled) {
    ReasoningDelta rd = splitter.finish();
    StreamDelta d{rd.content, rd.reasoning};
    r.content += d.content;
    r.reasoning += d.reasoning;
    if ((!d.content.empty() || !d.reasoning.empty()) && on_delta) on_delta(d);
  }
  r.finish = cancelled ? FinishReason::Cancelled : stopped ? FinishReason::Stop : FinishReason::Length;
  if (cache) cache->put(history_, state_);  // end of turn
  r.decode_seconds = now_seconds() - t1;
  return r;
}

}  // namespace nt
