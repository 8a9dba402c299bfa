// Sampler micro-benchmark: time per sample() call over a 131072-entry vocabulary for common settings.
// Prints one JSON object per line: {"bench": "sampler", "case": ..., "vocab": ..., "us_per_sample": ...,
// "cpu_us_per_sample": ...}; the CPU-time figure is the one to read on a shared, loaded machine.
// Usage: sampler_bench [iterations]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sampling/sampler.h"

namespace {

// Logits shaped like a language model's: a standard normal bulk (scale 2) plus a few strong candidates, so
// top-p has a realistic nucleus instead of half the vocabulary.
std::vector<float> make_logits(int32_t vocab, uint64_t seed) {
  nt::Rng rng(seed);
  std::vector<float> logits(vocab);
  for (auto& l : logits) {
    double u1 = std::max(rng.next_uniform(), 1e-300), u2 = rng.next_uniform();
    l = static_cast<float>(2.0 * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  for (int i = 0; i < 8; ++i) logits[(i * 7919) % vocab] = 14.0f - i;
  return logits;
}

double thread_cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  const int32_t vocab = 131072;
  const std::vector<float> logits = make_logits(vocab, 1);
  std::vector<int32_t> history;
  for (int i = 0; i < 256; ++i) history.push_back((i * 104729) % vocab);

  struct Case { const char* name; nt::SamplingParams p; bool with_history; };
  auto params = [](float t, int k, float top_p, float min_p, float rep) {
    nt::SamplingParams p;
    p.temperature = t;
    p.top_k = k;
    p.top_p = top_p;
    p.min_p = min_p;
    p.repetition_penalty = rep;
    return p;
  };
  const Case cases[] = {
      {"greedy", params(0, 0, 1, 0, 1), false},
      {"temperature", params(0.8f, 0, 1, 0, 1), false},
      {"top_k40", params(0.8f, 40, 1, 0, 1), false},
      {"top_p0.95", params(0.8f, 0, 0.95f, 0, 1), false},
      {"top_k40_top_p0.95", params(0.8f, 40, 0.95f, 0, 1), false},
      {"min_p0.05", params(0.8f, 0, 1, 0.05f, 1), false},
      {"top_p0.95_rep1.1_last64", params(0.8f, 0, 0.95f, 0, 1.1f), true},
  };
  for (const Case& c : cases) {
    auto sampler = nt::Sampler::create(c.p);
    if (!sampler.is_ok()) {
      std::fprintf(stderr, "%s\n", sampler.status().message().c_str());
      return 1;
    }
    std::span<const int32_t> h = c.with_history ? std::span<const int32_t>(history) : std::span<const int32_t>();
    int64_t checksum = 0;
    for (int i = 0; i < 5; ++i) checksum += *sampler->sample(logits, h);  // warm-up
    double c0 = thread_cpu_us();
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) checksum += *sampler->sample(logits, h);
    auto t1 = std::chrono::steady_clock::now();
    double cpu_us = (thread_cpu_us() - c0) / iterations;
    double us = std::chrono::duration<double, std::micro>(t1 - t0).count() / iterations;
    std::printf("{\"bench\": \"sampler\", \"case\": \"%s\", \"vocab\": %d, \"iterations\": %d, \"us_per_sample\": %.2f, "
                "\"cpu_us_per_sample\": %.2f, \"candidates\": %zu, \"checksum\": %lld}\n",
                c.name, vocab, iterations, us, cpu_us, sampler->last_candidates().size(),
                static_cast<long long>(checksum));
  }
  return 0;
}
