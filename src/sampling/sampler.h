// Token sampling from logits: penalties, temperature, top-k, top-p, min-p, and a seeded RNG.
//
// Order of operations (the same order HF's logits processors and llama.cpp's default chain use):
//   1. penalties on the tokens of the penalty window (the last `penalty_last_n` entries of the history):
//      repetition_penalty (HF / llama.cpp style: a positive logit is divided by it, a negative one multiplied),
//      then frequency/presence (OpenAI style: logit -= frequency_penalty * count + presence_penalty * (count > 0));
//   2. temperature == 0 → greedy: argmax of the penalized logits, ties to the lowest id; no RNG draw;
//   3. temperature: logits / temperature;
//   4. top-k: keep the k largest (ties at the boundary go to the lower id);
//   5. top-p: softmax over the survivors, keep the smallest prefix of the descending order whose probability
//      mass reaches top_p (the token that crosses the threshold is kept; at least one token is kept);
//   6. min-p: drop survivors whose probability is below min_p × (probability of the most likely token);
//   7. sample: one 64-bit draw u of the RNG → uniform in [0, 1) → the first candidate, in the candidate order, whose
//      cumulative (unnormalized) probability exceeds u × total.
//
// The RNG is xoshiro256** seeded through splitmix64 (both fully specified below, no <random> distributions), so a
// seed gives the same tokens on every platform and compiler. Each non-greedy sample consumes exactly one draw.
//
// The candidate order in step 7 is: descending logit with ties by ascending id when any of top-k / top-p is active,
// otherwise ascending id. Both are fixed functions of the logits, so results do not depend on std::sort internals.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"

namespace nt {

struct SamplingParams {
  float temperature = 1.0f;         // 0 = greedy; must be finite and >= 0
  int32_t top_k = 0;                // 0 = off (all tokens); must be >= 0
  float top_p = 1.0f;               // 1 = off; must be in (0, 1]
  float min_p = 0.0f;               // 0 = off; must be in [0, 1]
  float repetition_penalty = 1.0f;  // 1 = off; must be finite and > 0
  float frequency_penalty = 0.0f;   // 0 = off; OpenAI range [-2, 2]
  float presence_penalty = 0.0f;    // 0 = off; OpenAI range [-2, 2]
  int32_t penalty_last_n = 64;      // window of the history the penalties see; -1 = whole history, 0 = off
  uint64_t seed = 0;
  int32_t max_tokens = 0;           // generated-token limit enforced by the engine; 0 = no limit but the context
};

// Checks ranges and NaN; the message names the field, the allowed range and the value found.
Status validate(const SamplingParams& params);

// xoshiro256** (Blackman & Vigna), state initialized by four splitmix64 outputs of the seed.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next_u64();
  // The top 53 bits of one draw as a double in [0, 1): (x >> 11) * 2^-53.
  double next_uniform();

 private:
  uint64_t s_[4];
};

class Sampler {
 public:
  // `params` must have passed validate(); create() checks it.
  static Result<Sampler> create(const SamplingParams& params);

  // logits: [V]; history: token ids seen so far (what the penalties look at — pass only the generated tokens for
  // OpenAI frequency/presence semantics, prompt + generated for llama.cpp-style repetition penalty).
  // Fails on an empty vocabulary, NaN or +inf logits, all logits -inf, or a history id outside [0, V).
  Result<int32_t> sample(std::span<const float> logits, std::span<const int32_t> history);

  const SamplingParams& params() const { return params_; }
  // The candidate ids of the last non-greedy sample, in the order the draw walked them (for tests and debugging).
  std::span<const int32_t> last_candidates() const { return candidates_; }

 private:
  explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

  // Fills candidates_ with every id whose logit is not -inf, or with the best heap_k of them when heap_k > 0.
  void gather_candidates(std::span<const float> logits, int32_t heap_k);
  // Fills candidates_ with the surviving ids (in the documented order) and weights_ with exp(l - l_max).
  void select_candidates(std::span<const float> logits);

  SamplingParams params_;
  Rng rng_;
  // Scratch buffers reused across calls so a decode step does not allocate.
  std::vector<float> work_;         // [V] penalized logits (only when a penalty applies)
  std::vector<int32_t> candidates_; // [n_candidates]
  std::vector<double> weights_;     // [n_candidates]
  std::vector<int32_t> window_;     // [window] sorted copy of the penalty window
};

// Step 1 alone: applies the repetition / frequency / presence penalties of `params` in place.
// logits: [V]; history: token ids, of which the last `penalty_last_n` form the window; `scratch` is reused memory.
// Fails if a window id is outside [0, V).
Status apply_penalties(const SamplingParams& params, std::span<float> logits, std::span<const int32_t> history,
                       std::vector<int32_t>* scratch);

// Argmax with ties to the lowest id; -1 for an empty span. Exposed for tests and for greedy decoding paths.
int32_t argmax_lowest_id(std::span<const float> logits);

}  // namespace nt
