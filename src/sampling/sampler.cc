#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/strings.h"

namespace nt {

namespace {

uint64_t splitmix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Up to this k, top-k uses a single heap pass instead of nth_element over all candidate indices.
constexpr int32_t kHeapTopK = 256;

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Status check_range(const char* name, float v, float lo, float hi, bool lo_open) {
  bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (ok) return Status::ok();
  return Status::error(cat("sampling: ", name, " must be in ", lo_open ? "(" : "[", lo, ", ", hi, "], got ", v));
}

}  // namespace

Status validate(const SamplingParams& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0) {
    return Status::error(cat("sampling: temperature must be a finite number >= 0, got ", p.temperature));
  }
  if (p.top_k < 0) return Status::error(cat("sampling: top_k must be >= 0 (0 = off), got ", p.top_k));
  NT_RETURN_IF_ERROR(check_range("top_p", p.top_p, 0.0f, 1.0f, /*lo_open=*/true));
  NT_RETURN_IF_ERROR(check_range("min_p", p.min_p, 0.0f, 1.0f, /*lo_open=*/false));
  if (!std::isfinite(p.repetition_penalty) || p.repetition_penalty <= 0) {
    return Status::error(cat("sampling: repetition_penalty must be a finite number > 0, got ", p.repetition_penalty));
  }
  NT_RETURN_IF_ERROR(check_range("frequency_penalty", p.frequency_penalty, -2.0f, 2.0f, false));
  NT_RETURN_IF_ERROR(check_range("presence_penalty", p.presence_penalty, -2.0f, 2.0f, false));
  if (p.penalty_last_n < -1) {
    return Status::error(cat("sampling: penalty_last_n must be >= -1 (-1 = whole history), got ", p.penalty_last_n));
  }
  if (p.max_tokens < 0) return Status::error(cat("sampling: max_tokens must be >= 0 (0 = no limit), got ", p.max_tokens));
  return Status::ok();
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(&x);
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::next_uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

int32_t argmax_lowest_id(std::span<const float> logits) {
  if (logits.empty()) return -1;
  // The best value stays in a register: comparing against logits[best] would chain every iteration on a load.
  int32_t best = 0;
  float best_value = logits[0];
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > best_value) {  // strict: ties keep the lower id
      best_value = logits[i];
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

Result<Sampler> Sampler::create(const SamplingParams& params) {
  NT_RETURN_IF_ERROR(validate(params));
  return Sampler(params);
}

Status apply_penalties(const SamplingParams& p, std::span<float> logits, std::span<const int32_t> history,
                       std::vector<int32_t>* scratch) {
  bool any = p.repetition_penalty != 1.0f || p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f;
  if (!any || p.penalty_last_n == 0 || history.empty()) return Status::ok();
  size_t n = p.penalty_last_n < 0 ? history.size() : std::min(history.size(), size_t(p.penalty_last_n));
  auto recent = history.subspan(history.size() - n);
  // Sorting a copy of the window gives each distinct id with its count without a hash map.
  std::vector<int32_t>& window = *scratch;
  window.assign(recent.begin(), recent.end());
  std::sort(window.begin(), window.end());
  const int64_t vocab = static_cast<int64_t>(logits.size());
  for (size_t i = 0; i < window.size();) {
    size_t j = i;
    while (j < window.size() && window[j] == window[i]) ++j;
    const int32_t id = window[i];
    const size_t count = j - i;
    i = j;
    if (id < 0 || id >= vocab) {
      return Status::error(cat("sampling: history token id ", id, " is outside the vocabulary [0, ", vocab, ")"));
    }
    float l = logits[id];
    if (p.repetition_penalty != 1.0f) l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
    l -= p.frequency_penalty * static_cast<float>(count) + p.presence_penalty;
    logits[id] = l;
  }
  return Status::ok();
}

void Sampler::gather_candidates(std::span<const float> logits, int32_t heap_k) {
  const int32_t vocab = static_cast<int32_t>(logits.size());
  auto before = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  candidates_.clear();
  for (int32_t i = 0; i < vocab; ++i) {
    if (logits[i] == -std::numeric_limits<float>::infinity()) continue;
    if (heap_k == 0 || static_cast<int32_t>(candidates_.size()) < heap_k) {
      candidates_.push_back(i);
      if (heap_k) std::push_heap(candidates_.begin(), candidates_.end(), before);
    } else if (before(i, candidates_.front())) {
      // Small k: a heap of the k best whose front is the worst kept; most tokens are rejected by one comparison,
      // which beats nth_element over 131072 indirect indices.
      std::pop_heap(candidates_.begin(), candidates_.end(), before);
      candidates_.back() = i;
      std::push_heap(candidates_.begin(), candidates_.end(), before);
    }
  }
}

void Sampler::select_candidates(std::span<const float> logits) {
  const SamplingParams& p = params_;
  const int32_t vocab = static_cast<int32_t>(logits.size());
  // Descending logit, ties by ascending id: a strict total order, so the result does not depend on the algorithm.
  auto before = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  int64_t n = 0;
  for (int32_t i = 0; i < vocab; ++i) n += logits[i] != -std::numeric_limits<float>::infinity();
  const bool use_top_k = p.top_k > 0 && p.top_k < n;
  gather_candidates(logits, use_top_k && p.top_k <= kHeapTopK ? p.top_k : 0);
  const bool use_top_p = p.top_p < 1.0f;
  const double inv_t = 1.0 / static_cast<double>(p.temperature);
  float max_logit = -std::numeric_limits<float>::infinity();
  for (int32_t id : candidates_) max_logit = std::max(max_logit, logits[id]);
  // weight = exp((l - l_max) / T) = p_i / p_max; computed in double from the difference so a tiny T cannot overflow.
  auto weight = [&](int32_t id) { return std::exp((static_cast<double>(logits[id]) - max_logit) * inv_t); };

  if (!use_top_k && !use_top_p) {
    weights_.resize(candidates_.size());
    size_t kept = 0;
    for (size_t i = 0; i < candidates_.size(); ++i) {
      double w = weight(candidates_[i]);
      if (w < p.min_p) continue;  // min-p: p_i < min_p * p_max
      candidates_[kept] = candidates_[i];
      weights_[kept++] = w;
    }
    candidates_.resize(kept);
    weights_.resize(kept);
    return;
  }

  int64_t keep = n;
  if (use_top_k) {
    if (p.top_k > kHeapTopK) {
      std::nth_element(candidates_.begin(), candidates_.begin() + p.top_k - 1, candidates_.end(), before);
    }
    keep = p.top_k;
    candidates_.resize(keep);
    std::sort(candidates_.begin(), candidates_.end(), before);
  }
  weights_.clear();
  if (use_top_p) {
    double total = 0;
    for (int64_t i = 0; i < keep; ++i) total += weight(candidates_[i]);
    const double target = static_cast<double>(p.top_p) * total;
    // Without top-k the candidates are unsorted: sort growing chunks of the best remaining ones until the mass is
    // reached, so a peaked distribution over 131072 tokens costs a few partial sorts, not a full sort.
    int64_t sorted = use_top_k ? keep : 0;
    int64_t chunk = 64;
    double cum = 0;
    int64_t cut = keep;
    for (int64_t i = 0; i < keep; ++i) {
      if (i == sorted) {
        int64_t end = std::min(keep, sorted + chunk);
        std::partial_sort(candidates_.begin() + sorted, candidates_.begin() + end, candidates_.begin() + keep, before);
        sorted = end;
        chunk *= 2;
      }
      double w = weight(candidates_[i]);
      weights_.push_back(w);
      cum += w;
      if (cum >= target) { cut = i + 1; break; }
    }
    keep = std::min(cut, static_cast<int64_t>(weights_.size()));
  } else {
    for (int64_t i = 0; i < keep; ++i) weights_.push_back(weight(candidates_[i]));
  }
  // min-p on the descending prefix: the first weight is 1 (the maximum), so it only truncates.
  int64_t kept = 1;
  while (kept < keep && weights_[kept] >= p.min_p) ++kept;
  candidates_.resize(kept);
  weights_.resize(kept);
}

Result<int32_t> Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  if (logits.empty()) return Status::error("sampling: empty logits (vocabulary size 0)");
  if (logits.size() > size_t(std::numeric_limits<int32_t>::max())) {
    return Status::error(cat("sampling: vocabulary of ", logits.size(), " entries does not fit int32 token ids"));
  }
  // Branch-free scan (vectorizes); the offending index is looked up only on failure.
  constexpr float kInf = std::numeric_limits<float>::infinity();
  bool bad = false, any_finite = false;
  for (float l : logits) {
    bad |= (l != l) | (l == kInf);
    any_finite |= l != -kInf;
  }
  if (bad) {
    for (size_t i = 0; i < logits.size(); ++i) {
      float l = logits[i];
      if (std::isnan(l) || l == kInf) {
        return Status::error(cat("sampling: logit ", i, " is ", l, "; expected a finite value or -inf (masked)"));
      }
    }
  }
  if (!any_finite) return Status::error("sampling: every logit is -inf (all tokens masked)");
  const SamplingParams& p = params_;
  const bool penalize = (p.repetition_penalty != 1.0f || p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f) &&
                        p.penalty_last_n != 0 && !history.empty();
  std::span<const float> scores = logits;
  if (penalize) {
    work_.assign(logits.begin(), logits.end());
    NT_RETURN_IF_ERROR(apply_penalties(params_, work_, history, &window_));
    scores = work_;
  }
  if (p.temperature == 0.0f) return argmax_lowest_id(scores);
  select_candidates(scores);
  if (candidates_.empty()) return argmax_lowest_id(scores);  // every finite logit was penalized to -inf
  double total = 0;
  for (double w : weights_) total += w;
  const double target = rng_.next_uniform() * total;
  double cum = 0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cum += weights_[i];
    if (cum > target) return candidates_[i];
  }
  return candidates_.back();  // rounding: target within the last ulp of the total
}

}  // namespace nt
