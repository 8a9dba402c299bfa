// Continuous batching over one HybridLM: requests join and leave a running batch at every step.
//
// Admission first, packing second. submit() puts a request in a bounded queue (full → kQueueFull, the server's
// 429). Each step the scheduler thread
//   1. admits queued requests into free slots (at most `parallel` sequences run at once); an admitted prompt
//      restarts from the longest StateCache snapshot that is a prefix of it, so only its new tokens are computed;
//   2. packs one decode row for every running sequence that has a token to consume, plus prefill chunks of the
//      sequences still reading their prompts (at most one chunk each, ≤ prefill_chunk prompt tokens per step in
//      all), so prompts that arrive together are prefilled together and a long prompt never stalls the others;
//   3. runs them as one HybridLM::forward_batch (each weight read once for the whole batch);
//   4. samples every sequence that got logits (runtime/generation.h), delivers the text to its RequestStream, and
//      retires finished or cancelled sequences, freeing their slots.
// Snapshots go into the StateCache at prompt chunk boundaries (absolute multiples of prefill_chunk), at the end of
// each prompt and at the end of each turn (prompt + generated tokens), so the next turn of a chat — or another
// request with the same system prompt and tools — pays only for the tokens after the longest shared prefix.
// Batching and reuse are exact: forward_batch computes each sequence as if it ran alone, and a snapshot is a
// bit-exact copy of the state after exactly its tokens.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/hybrid_lm.h"
#include "runtime/generation.h"
#include "runtime/state_cache.h"
#include "text/tokenizer.h"

namespace nt {

struct SchedulerOptions {
  int parallel = 4;               // sequences decoded together (slots)
  int max_queue = 64;             // requests waiting for a slot; one more is refused
  int64_t prefill_chunk = 256;    // prompt tokens per prefill chunk, and per step over all sequences
  int64_t state_cache_bytes = int64_t{256} << 20;
  int64_t max_context = 4096;     // prompt + generated tokens per sequence
};

// The consumer's side of one request: text as it becomes final, then the result.
class RequestStream {
 public:
  struct Update {
    StreamDelta delta;
    bool finished = false;
  };
  // Waits up to `timeout` for new text or the end. The update carries the text that arrived since the last call.
  Update next(std::chrono::milliseconds timeout);
  // Asks the scheduler to stop this request; it finishes with FinishReason::Cancelled and frees its slot.
  void cancel() { cancel_requested_.store(true); }
  bool cancel_requested() const { return cancel_requested_.load(); }
  // Valid once an Update with finished == true was returned.
  const GenerateResult& result() const { return result_; }
  const Status& status() const { return status_; }
  // Wall time from submission to the first generated text (or the end), in seconds.
  double first_text_seconds() const { return first_text_seconds_; }

  // Producer side (the scheduler thread).
  void push(const StreamDelta& d);
  void finish(GenerateResult result, Status status);

 private:
  friend class Scheduler;
  std::mutex mu_;
  std::condition_variable cv_;
  StreamDelta pending_;
  bool finished_ = false;
  GenerateResult result_;
  Status status_;
  std::atomic<bool> cancel_requested_{false};
  std::chrono::steady_clock::time_point submitted_;
  double first_text_seconds_ = 0;
};

struct SchedulerMetrics {
  int64_t requests = 0, rejected = 0, finished = 0, cancelled = 0, failed = 0;
  int64_t prompt_tokens = 0, reused_tokens = 0, prefilled_tokens = 0, generated_tokens = 0;
  int64_t steps = 0, batch_rows = 0, batch_sequences = 0;  // sums over steps (averages = sum / steps)
  int64_t queue_depth = 0, running = 0, last_batch_sequences = 0;
  int64_t cache_hits = 0, cache_misses = 0, cache_bytes = 0, cache_entries = 0;
};

class Scheduler {
 public:
  enum class SubmitError { kNone, kQueueFull, kDraining, kInvalid };

  Scheduler(const HybridLM& model, const text::Tokenizer& tokenizer, ThreadPool& pool, SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request. On failure returns null and sets *error (and *message for kInvalid).
  std::shared_ptr<RequestStream> submit(std::vector<int32_t> prompt, const GenerateOptions& options,
                                        SubmitError* error, std::string* message);

  // Stops admitting new requests and waits until every queued and running request has finished; after
  // `timeout` the remaining ones are cancelled.
  void drain(std::chrono::milliseconds timeout);

  SchedulerMetrics metrics() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  struct Sequence;
  void loop();
  bool admit(std::vector<std::unique_ptr<Sequence>>* running);
  void start(Sequence& s);
  void step(std::vector<std::unique_ptr<Sequence>>& running);
  Status sample(Sequence& s, std::span<const float> logits);
  void retire(std::vector<std::unique_ptr<Sequence>>& running);

  const HybridLM* model_;
  const text::Tokenizer* tokenizer_;
  ThreadPool* pool_;
  SchedulerOptions options_;
  StateCache cache_;  // used by the scheduler thread only

  mutable std::mutex mu_;
  std::condition_variable cv_;        // wakes the scheduler thread
  std::condition_variable idle_cv_;   // wakes drain()
  std::deque<std::unique_ptr<Sequence>> queue_;
  bool draining_ = false, stopping_ = false;
  int64_t active_ = 0;  // queued + running
  SchedulerMetrics m_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace nt
