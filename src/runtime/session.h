// One sequence being served: a model state plus the exact tokens it covers, and the generation loop over it
// (sampling, streaming detokenization, stop strings, EOS, reasoning split, thinking budget, cancellation).
// A session prefills only what it must: the longest reusable prefix comes from its own history or from a
// StateCache snapshot, so the next chat turn costs only its new tokens.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/hybrid_lm.h"
#include "runtime/generation.h"
#include "runtime/state_cache.h"
#include "sampling/reasoning.h"
#include "sampling/sampler.h"
#include "text/tokenizer.h"

namespace nt {

class Session {
 public:
  Session(const HybridLM& model, ThreadPool& pool) : model_(&model), pool_(&pool), state_(model.new_state()) {}

  // Brings the state to exactly `prompt` and returns the logits of its last position ([V]).
  // Reuses the current history or a cache snapshot when one is a prefix; stores a snapshot of the prompt's
  // state in `cache` (if given). *reused receives the number of tokens not recomputed.
  // Snapshots are also taken at every chunk boundary and at each position in `snapshot_at`.
  Status prefill(const std::vector<int32_t>& prompt, StateCache* cache, int64_t chunk, std::vector<float>* logits,
                 int64_t* reused, const std::vector<int64_t>& snapshot_at = {});

  // Generates a continuation of `prompt`. `on_delta` receives text as it becomes final; returning false cancels.
  Result<GenerateResult> generate(const std::vector<int32_t>& prompt, const text::Tokenizer& tokenizer,
                                  const GenerateOptions& options, StateCache* cache,
                                  const std::function<bool(const StreamDelta&)>& on_delta);

  const std::vector<int32_t>& history() const { return history_; }
  const SequenceState& state() const { return state_; }
  void reset();

 private:
  Status feed(const int32_t* tokens, int64_t n, std::vector<float>* logits);

  const HybridLM* model_;
  ThreadPool* pool_;
  SequenceState state_;
  std::vector<int32_t> history_;  // exactly the tokens state_ has consumed
};

}  // namespace nt
