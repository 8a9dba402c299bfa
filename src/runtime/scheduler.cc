#include "runtime/scheduler.h"

#include <algorithm>

#include "core/strings.h"

namespace nt {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// RequestStream

RequestStream::Update RequestStream::next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return finished_ || !pending_.empty(); });
  Update u;
  u.delta = std::move(pending_);
  pending_ = StreamDelta();
  u.finished = finished_;
  return u;
}

void RequestStream::push(const StreamDelta& d) {
  if (d.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (first_text_seconds_ == 0) first_text_seconds_ = seconds_since(submitted_);
  pending_.content += d.content;
  pending_.reasoning += d.reasoning;
  cv_.notify_all();
}

void RequestStream::finish(GenerateResult result, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (first_text_seconds_ == 0) first_text_seconds_ = seconds_since(submitted_);
  result_ = std::move(result);
  status_ = std::move(status);
  finished_ = true;
  cv_.notify_all();
}

// ---------------------------------------------------------------------------------------------------------------
// Scheduler

struct Scheduler::Sequence {
  std::shared_ptr<RequestStream> stream;
  std::vector<int32_t> prompt;
  std::unique_ptr<Generation> gen;
  SequenceState state;
  std::vector<int32_t> history;  // exactly the tokens `state` has consumed
  std::vector<int32_t> feed;     // tokens to consume in the next decode row
  int64_t prefilled = 0;         // prompt tokens consumed
  std::vector<int64_t> snapshot_at;  // extra prompt positions to snapshot (e.g. end of the conversation)
  bool finished = false;
  Status error;
  std::chrono::steady_clock::time_point started;
  double prefill_seconds = 0;
};

Scheduler::Scheduler(const HybridLM& model, const text::Tokenizer& tokenizer, ThreadPool& pool,
                     SchedulerOptions options)
    : model_(&model), tokenizer_(&tokenizer), pool_(&pool), options_(options), cache_(options.state_cache_bytes) {
  options_.parallel = std::max(1, options_.parallel);
  options_.max_queue = std::max(0, options_.max_queue);
  options_.prefill_chunk = std::max<int64_t>(1, options_.prefill_chunk);
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    draining_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<RequestStream> Scheduler::submit(std::vector<int32_t> prompt, const GenerateOptions& options,
                                                 SubmitError* error, std::string* message) {
  GenerateOptions o = options;
  o.max_context = options_.max_context;
  o.prefill_chunk = options_.prefill_chunk;
  for (int32_t id : prompt) {
    if (id < 0 || id >= model_->config().vocab_size) {
      *error = SubmitError::kInvalid;
      *message = cat("the prompt holds token id ", id, " outside the vocabulary [0, ", model_->config().vocab_size, ")");
      return nullptr;
    }
  }
  auto gen = Generation::create(*tokenizer_, o, static_cast<int64_t>(prompt.size()));
  if (!gen) {
    *error = SubmitError::kInvalid;
    *message = gen.status().message();
    return nullptr;
  }
  auto seq = std::make_unique<Sequence>();
  seq->stream = std::make_shared<RequestStream>();
  seq->stream->submitted_ = std::chrono::steady_clock::now();
  seq->prompt = std::move(prompt);
  seq->snapshot_at = options.snapshot_at;
  seq->gen = std::move(gen).value();
  std::shared_ptr<RequestStream> stream = seq->stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (draining_) {
      *error = SubmitError::kDraining;
      return nullptr;
    }
    // Slots free right now take requests directly; beyond them the queue holds at most max_queue.
    const int64_t waiting_after = active_ + 1 - options_.parallel;
    if (waiting_after > options_.max_queue) {
      ++m_.rejected;
      *error = SubmitError::kQueueFull;
      return nullptr;
    }
    ++active_;
    ++m_.requests;
    m_.prompt_tokens += static_cast<int64_t>(seq->prompt.size());
    queue_.push_back(std::move(seq));
    m_.queue_depth = static_cast<int64_t>(queue_.size());
  }
  cv_.notify_all();
  *error = SubmitError::kNone;
  return stream;
}

void Scheduler::drain(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  if (!idle_cv_.wait_for(lock, timeout, [&] { return active_ == 0; })) {
    for (auto& s : queue_) s->stream->cancel();
    stopping_ = true;  // the loop cancels what is still running
    cv_.notify_all();
    idle_cv_.wait(lock, [&] { return active_ == 0; });
  }
}

SchedulerMetrics Scheduler::metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return m_;
}

// Moves queued requests into free slots. Returns false when the loop should exit.
bool Scheduler::admit(std::vector<std::unique_ptr<Sequence>>* running) {
  std::vector<std::unique_ptr<Sequence>> admitted;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      return stopping_ || !running->empty() ||
             (!queue_.empty() && static_cast<int>(running->size()) < options_.parallel);
    });
    if (stopping_ && running->empty() && queue_.empty()) return false;
    while (!queue_.empty() && static_cast<int>(running->size() + admitted.size()) < options_.parallel) {
      admitted.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    m_.queue_depth = static_cast<int64_t>(queue_.size());
    if (stopping_) {
      for (auto& s : *running) s->stream->cancel();
      for (auto& s : admitted) s->stream->cancel();
    }
  }
  for (auto& s : admitted) {
    start(*s);
    running->push_back(std::move(s));
  }
  return true;
}

// Restores the longest cached prefix of the prompt (the last prompt token is always computed: its logits start
// the generation).
void Scheduler::start(Sequence& s) {
  s.started = std::chrono::steady_clock::now();
  const int64_t n = static_cast<int64_t>(s.prompt.size());
  s.state = model_->new_state();
  const int64_t got = cache_.restore_longest_prefix(s.prompt, n - 1, &s.state);
  if (got == 0) s.state.reset();
  s.prefilled = got;
  s.history.assign(s.prompt.begin(), s.prompt.begin() + got);
  s.gen->result().reused_tokens = got;
  std::lock_guard<std::mutex> lock(mu_);
  m_.reused_tokens += got;
}

Status Scheduler::sample(Sequence& s, std::span<const float> logits) {
  NT_ASSIGN_OR_RETURN(std::vector<int32_t> next, s.gen->step(logits));
  s.stream->push(s.gen->take_delta());
  s.feed = std::move(next);
  if (s.gen->done()) s.finished = true;
  return Status::ok();
}

void Scheduler::step(std::vector<std::unique_ptr<Sequence>>& running) {
  for (auto& s : running) {
    if (!s->finished && s->stream->cancel_requested()) {
      s->gen->cancel();
      s->finished = true;
    }
  }
  // Pack: a decode row per sequence with a token to consume, then prefill chunks of the sequences still reading
  // their prompts, in admission order, at most one chunk per sequence and prefill_chunk prompt tokens per step in
  // all: short prompts that arrive together are prefilled in one step, and a long one never stalls the decoders.
  std::vector<HybridLM::BatchItem> items;
  std::vector<Sequence*> owners;
  std::vector<char> is_prefill;
  for (auto& s : running) {
    if (s->finished || s->prefilled < static_cast<int64_t>(s->prompt.size()) || s->feed.empty()) continue;
    items.push_back({s->feed.data(), static_cast<int64_t>(s->feed.size()), &s->state, LogitsMode::Last});
    owners.push_back(s.get());
    is_prefill.push_back(0);
  }
  const int64_t c = options_.prefill_chunk;
  int64_t budget = c, prefill_tokens = 0;
  for (auto& s : running) {
    const int64_t n = static_cast<int64_t>(s->prompt.size());
    if (budget == 0) break;
    if (s->finished || s->prefilled >= n) continue;
    // Chunks end at absolute multiples of prefill_chunk so snapshots of shared prefixes line up across requests.
    int64_t chunk_len = std::min({c - s->prefilled % c, n - s->prefilled, budget});
    for (int64_t pos : s->snapshot_at) {  // also stop at requested snapshot positions
      if (pos > s->prefilled && pos < s->prefilled + chunk_len) chunk_len = pos - s->prefilled;
    }
    const bool last = s->prefilled + chunk_len == n;
    items.push_back({s->prompt.data() + s->prefilled, chunk_len, &s->state, last ? LogitsMode::Last : LogitsMode::None});
    owners.push_back(s.get());
    is_prefill.push_back(1);
    budget -= chunk_len;
    prefill_tokens += chunk_len;
  }
  if (items.empty()) return;
  std::vector<float> logits;
  const Status st = model_->forward_batch(items, ScanMode::Auto, &logits, *pool_);
  int64_t rows = 0;
  for (const auto& it : items) rows += it.n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++m_.steps;
    m_.batch_rows += rows;
    m_.batch_sequences += static_cast<int64_t>(items.size());
    m_.last_batch_sequences = static_cast<int64_t>(items.size());
    m_.prefilled_tokens += prefill_tokens;
  }
  if (!st.is_ok()) {
    for (Sequence* s : owners) {
      s->error = st;
      s->finished = true;
    }
    return;
  }
  const int64_t V = model_->config().vocab_size;
  int64_t row = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    Sequence& s = *owners[i];
    const auto& it = items[i];
    s.history.insert(s.history.end(), it.tokens, it.tokens + it.n);
    if (is_prefill[i]) {
      s.prefilled += it.n;
      const bool done = s.prefilled == static_cast<int64_t>(s.prompt.size());
      const bool requested = std::find(s.snapshot_at.begin(), s.snapshot_at.end(), s.prefilled) != s.snapshot_at.end();
      if (done || requested || s.prefilled % options_.prefill_chunk == 0) cache_.put(s.history, s.state);
      if (done) s.prefill_seconds = seconds_since(s.started);
    }
    if (it.logits != LogitsMode::Last) continue;
    std::span<const float> l(logits.data() + row * V, static_cast<size_t>(V));
    ++row;
    Status ss = sample(s, l);
    if (!ss.is_ok()) {
      s.error = ss;
      s.finished = true;
    }
  }
}

// Finishes retired sequences: end-of-turn snapshot, result delivery, slot release.
void Scheduler::retire(std::vector<std::unique_ptr<Sequence>>& running) {
  for (auto it = running.begin(); it != running.end();) {
    Sequence& s = **it;
    if (!s.finished) {
      ++it;
      continue;
    }
    GenerateResult& r = s.gen->result();
    if (!s.gen->done()) s.gen->cancel();
    if (s.error.is_ok() && r.finish != FinishReason::Cancelled &&
        static_cast<int64_t>(s.history.size()) > static_cast<int64_t>(s.prompt.size())) {
      cache_.put(s.history, s.state);
    }
    s.stream->push(s.gen->take_delta());
    r.prefill_seconds = s.prefill_seconds;
    r.decode_seconds = seconds_since(s.started) - s.prefill_seconds;
    {
      std::lock_guard<std::mutex> lock(mu_);
      m_.generated_tokens += static_cast<int64_t>(r.tokens.size());
      if (!s.error.is_ok()) ++m_.failed;
      else if (r.finish == FinishReason::Cancelled) ++m_.cancelled;
      else ++m_.finished;
    }
    s.stream->finish(std::move(r), s.error);
    it = running.erase(it);
    std::lock_guard<std::mutex> lock(mu_);
    --active_;
    if (active_ == 0) idle_cv_.notify_all();
  }
}

void Scheduler::loop() {
  std::vector<std::unique_ptr<Sequence>> running;
  while (admit(&running)) {
    step(running);
    retire(running);
    std::lock_guard<std::mutex> lock(mu_);
    m_.running = static_cast<int64_t>(running.size());
    m_.cache_hits = cache_.hits();
    m_.cache_misses = cache_.misses();
    m_.cache_bytes = cache_.bytes();
    m_.cache_entries = static_cast<int64_t>(cache_.size());
  }
}

}  // namespace nt
