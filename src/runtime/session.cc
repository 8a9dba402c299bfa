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
  NT_ASSIGN_OR_RETURN(std::unique_ptr<Generation> g,
                      Generation::create(tokenizer, o, static_cast<int64_t>(prompt.size())));
  GenerateResult& r = g->result();
  const double t0 = now_seconds();
  std::vector<float> logits;
  NT_RETURN_IF_ERROR(prefill(prompt, cache, o.prefill_chunk, &logits, &r.reused_tokens, o.snapshot_at));
  const double t1 = now_seconds();
  r.prefill_seconds = t1 - t0;
  while (!g->done()) {
    NT_ASSIGN_OR_RETURN(std::vector<int32_t> feed_ids, g->step(logits));
    StreamDelta d = g->take_delta();
    if (!d.empty() && on_delta && !on_delta(d)) g->cancel();
    if (!feed_ids.empty() && !g->done()) {
      NT_RETURN_IF_ERROR(feed(feed_ids.data(), static_cast<int64_t>(feed_ids.size()), &logits));
    }
  }
  StreamDelta tail = g->take_delta();
  if (!tail.empty() && on_delta) on_delta(tail);
  r.decode_seconds = now_seconds() - t1;
  if (cache) cache->put(history_, state_);  // end of turn
  return std::move(r);
}

}  // namespace nt
