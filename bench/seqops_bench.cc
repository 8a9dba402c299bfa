// Sequence-op benchmark at the Nemotron-H-8B shape (128 Mamba heads × P 64 × N 128, 8 groups, conv kernel 4;
// attention 32 heads / 8 KV heads, d_h 128): Mamba decode step and 512-token prefill per layer, attention
// prefill (T 512) and decode (n_past 512 / 4096), reference vs fast kernels, at 1 and 2 threads, plus the
// memory read bandwidth measured in the same run. Prints one JSON object per line; times are the best of
// several wall-clock runs (the minimum is the figure least disturbed by other load on the machine); cpu_ms is
// the smallest process CPU time of those runs (all threads together).
// Usage: seqops_bench [--quick]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "ops/attention.h"
#include "ops/seq_kernels.h"
#include "ops/ssm.h"
#include "perf/machine_roofline.h"

namespace {

using Clock = std::chrono::steady_clock;

double process_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Smallest process CPU time of the runs in the last best_time() call: on a machine shared with other jobs the
// wall time of a run includes time spent waiting for a core; the CPU time does not.
double g_best_cpu = 0;

// Best wall time (seconds) of fn over at least `min_reps` runs and ~min_seconds in total.
double best_time(const std::function<void()>& fn, int min_reps, double min_seconds) {
  double best = 1e30, total = 0;
  g_best_cpu = 1e30;
  for (int r = 0; r < min_reps || (total < min_seconds && r < 1000); ++r) {
    const double c0 = process_cpu_s();
    const auto t0 = Clock::now();
    fn();
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    g_best_cpu = std::min(g_best_cpu, process_cpu_s() - c0);
    best = std::min(best, s);
    total += s;
  }
  return best;
}

std::vector<float> randn(size_t n, uint32_t seed, float sd) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(rng);
  return v;
}

struct Shape {
  int64_t heads = 128, P = 64, N = 128, G = 8, K = 4, chunk = 128;
  int64_t d_in() const { return heads * P; }
  int64_t d_conv() const { return d_in() + 2 * G * N; }
};

// FLOPs of the chunked scan as implemented: per (group, chunk) C·Bᵀ (full q×q), per (head, chunk) the
// triangular intra-chunk product, the product with the previous state and the state update.
double chunked_flops(const Shape& s, int64_t T) {
  double f = 0;
  for (int64_t c0 = 0; c0 < T; c0 += s.chunk) {
    const double q = static_cast<double>(std::min(s.chunk, T - c0));
    f += s.G * 2.0 * q * q * s.N;
    f += s.heads * (q * (q + 1) * s.P + 2.0 * q * s.N * s.P + 2.0 * q * s.N * s.P);
  }
  return f;
}

void print(const std::string& bench, const std::string& impl, int threads, const std::string& extra) {
  std::printf("{\"bench\": \"%s\", \"impl\": \"%s\", \"threads\": %d%s, \"cpu_ms\": %.3f}\n", bench.c_str(),
              impl.c_str(), threads, extra.c_str(), g_best_cpu * 1e3);
  std::fflush(stdout);
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const double min_s = quick ? 0.1 : 0.5;
  const Shape s;
  const nt::kernels::SeqKernels& fast = nt::kernels::seq_kernels();
  std::printf("{\"bench\": \"seqops\", \"kernels\": \"%s\", \"mamba\": \"%lldx%lldx%lld G%lld K%lld chunk %lld\", "
              "\"attention\": \"32/8 heads, d_h 128\"}\n",
              fast.name, (long long)s.heads, (long long)s.P, (long long)s.N, (long long)s.G, (long long)s.K,
              (long long)s.chunk);

  for (int threads : {1, 2}) {
    nt::ThreadPool pool(threads);
    const double bw = nt::perf::measure_read_bandwidth(pool, int64_t{512} << 20, 5).gb_per_s;  // as `nemotron bench`
    print("read_bandwidth", "sum", threads, ", \"GB_per_s\": " + fmt("%.2f", bw));

    // --- Mamba decode step: conv (T 1) + recurrence (T 1), cycling over 24 layers' states (96 MiB) so the
    // state comes from memory as in a real model.
    {
      const int64_t layers = 24, d_in = s.d_in(), dc = s.d_conv(), state_n = s.heads * s.P * s.N;
      std::vector<float> states(static_cast<size_t>(layers * state_n), 0.01f);
      std::vector<float> conv_states(static_cast<size_t>(layers * (s.K - 1) * dc), 0.1f);
      const auto zx = randn(static_cast<size_t>(dc + s.heads), 1, 1.0f);
      const auto cw = randn(static_cast<size_t>(dc * s.K), 2, 0.5f), cb = randn(static_cast<size_t>(dc), 3, 0.1f);
      std::vector<float> dt_bias(static_cast<size_t>(s.heads), -1.0f), A(static_cast<size_t>(s.heads), -1.0f),
          D(static_cast<size_t>(s.heads), 1.0f), xbc(static_cast<size_t>(dc)), y(static_cast<size_t>(d_in));
      const nt::SsmDims dims{s.heads, s.P, s.N, s.G};
      for (int ref = 1; ref >= 0; --ref) {
        const double t = best_time(
            [&] {
              for (int64_t l = 0; l < layers; ++l) {
                float* cs = conv_states.data() + l * (s.K - 1) * dc;
                nt::SsmInputs in{xbc.data(), dc, zx.data() + dc, 0, dt_bias.data(), A.data(), D.data(), 0.0f, INFINITY};
                if (ref) {
                  nt::conv1d_silu_reference(zx.data(), dc, 1, dc, s.K, cw.data(), cb.data(), cs, xbc.data());
                  nt::ssm_scan_reference(dims, in, 1, states.data() + l * state_n, y.data(), pool);
                } else {
                  nt::conv1d_silu(zx.data(), dc, 1, dc, s.K, cw.data(), cb.data(), cs, xbc.data(), pool);
                  nt::ssm_scan(dims, in, 1, states.data() + l * state_n, y.data(), pool);
                }
              }
            },
            3, min_s) / layers;
        g_best_cpu /= static_cast<double>(layers);
        const double bytes = 2.0 * 4 * (state_n + (s.K - 1) * dc);  // state + conv state, read and written
        print("mamba_decode_step_per_layer", ref ? "reference" : fast.name, threads,
              ", \"us\": " + fmt("%.1f", t * 1e6) + ", \"state_bytes\": " + fmt("%.0f", bytes) +
                  ", \"GB_per_s\": " + fmt("%.2f", bytes / t / 1e9) + ", \"fraction_of_read_bw\": " +
                  fmt("%.2f", bytes / t / 1e9 / bw));
      }
    }

    // --- Mamba prefill of 512 tokens: conv + chunked scan for one layer.
    {
      const int64_t T = 512, d_in = s.d_in(), dc = s.d_conv(), proj = dc + s.heads;
      const auto zx = randn(static_cast<size_t>(T * proj), 4, 1.0f);
      const auto cw = randn(static_cast<size_t>(dc * s.K), 5, 0.5f), cb = randn(static_cast<size_t>(dc), 6, 0.1f);
      std::vector<float> dt_bias(static_cast<size_t>(s.heads), -1.0f), A(static_cast<size_t>(s.heads), -1.0f),
          D(static_cast<size_t>(s.heads), 1.0f), xbc(static_cast<size_t>(T * dc)), y(static_cast<size_t>(T * d_in));
      std::vector<float> state(static_cast<size_t>(s.heads * s.P * s.N)), conv_state(static_cast<size_t>((s.K - 1) * dc));
      const nt::SsmDims dims{s.heads, s.P, s.N, s.G};
      const nt::SsmInputs in{xbc.data(), dc, zx.data() + dc, proj, dt_bias.data(), A.data(), D.data(), 0.0f, INFINITY};
      const double flops = chunked_flops(s, T) + 2.0 * T * dc * s.K;
      for (int ref = 1; ref >= 0; --ref) {
        double t_conv = 0, t_scan = 0;
        t_conv = best_time(
            [&] {
              std::fill(conv_state.begin(), conv_state.end(), 0.0f);
              if (ref) nt::conv1d_silu_reference(zx.data(), proj, T, dc, s.K, cw.data(), cb.data(), conv_state.data(), xbc.data());
              else nt::conv1d_silu(zx.data(), proj, T, dc, s.K, cw.data(), cb.data(), conv_state.data(), xbc.data(), pool);
            },
            2, min_s);
        const double cpu_conv = g_best_cpu;
        t_scan = best_time(
            [&] {
              std::fill(state.begin(), state.end(), 0.0f);
              if (ref) nt::ssm_chunked_reference(dims, in, T, s.chunk, state.data(), y.data(), pool);
              else nt::ssm_chunked(dims, in, T, s.chunk, state.data(), y.data(), pool);
            },
            2, min_s);
        const double t = t_conv + t_scan;
        g_best_cpu = cpu_conv + g_best_cpu;
        print("mamba_prefill512_per_layer", ref ? "reference" : fast.name, threads,
              ", \"ms\": " + fmt("%.2f", t * 1e3) + ", \"conv_ms\": " + fmt("%.3f", t_conv * 1e3) +
                  ", \"scan_ms\": " + fmt("%.2f", t_scan * 1e3) + ", \"GFLOP_per_s\": " + fmt("%.1f", flops / t / 1e9));
      }
    }

    // --- Attention: prefill T 512 (n_past 0) and decode (T 1) at n_past 512 and 4096.
    {
      const nt::AttentionDims d{32, 8, 128};
      const int64_t qs = 32 * 128, kvs = 8 * 128, n_max = 4097;
      const auto k = randn(static_cast<size_t>(n_max * kvs), 7, 1.0f), v = randn(static_cast<size_t>(n_max * kvs), 8, 1.0f);
      const auto q = randn(static_cast<size_t>(512 * qs), 9, 1.0f);
      std::vector<float> out(static_cast<size_t>(512 * qs));
      struct Case {
        const char* name;
        int64_t T, n_past;
      };
      for (const Case& c : {Case{"attention_prefill512", 512, 0}, Case{"attention_decode_npast512", 1, 512},
                            Case{"attention_decode_npast4096", 1, 4096}}) {
        // FLOPs counted over the causal (unmasked) pairs: 2·d_h for q·k and 2·d_h for p·v per pair and head.
        const double pairs = static_cast<double>(c.T) * c.n_past + c.T * (c.T + 1) / 2.0;
        const double flops = pairs * 32 * 4.0 * 128;
        const double kv_bytes = 2.0 * (c.n_past + c.T) * kvs * 4;
        for (int ref = 1; ref >= 0; --ref) {
          const double t = best_time(
              [&] {
                if (ref) nt::attention_reference(d, q.data(), c.T, k.data(), v.data(), c.n_past, out.data(), pool);
                else nt::attention(d, q.data(), c.T, k.data(), v.data(), c.n_past, out.data(), pool);
              },
              2, min_s);
          print(c.name, ref ? "reference" : fast.name, threads,
                ", \"ms\": " + fmt("%.3f", t * 1e3) + ", \"GFLOP_per_s\": " + fmt("%.1f", flops / t / 1e9) +
                    ", \"kv_GB_per_s\": " + fmt("%.2f", kv_bytes / t / 1e9));
        }
      }
    }
  }
  return 0;
}
