#include "perf/machine_roofline.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/cpu_features.h"
#include "kernels/amx_check.h"
#include "perf/peak_kernels.h"
#include "quant/ggml_type.h"

namespace nt::perf {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t read_sum(const uint64_t* p, int64_t n) {
#if defined(NEMOTRON_X86)
  if (cpu_features().avx2) return avx2::read_sum(p, n);
#elif defined(NEMOTRON_NEON)
  return neon::read_sum(p, n);
#endif
  return scalar::read_sum(p, n);
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

BandwidthResult measure_read_bandwidth(ThreadPool& pool, int64_t bytes, int reps) {
  const int threads = pool.size();
  // Each thread gets a slice that is a whole number of 2 MiB pages, in transparent huge pages as the weights are
  // (packed copies, stored-row copies and the model mapping all ask for them): over 4 KiB pages the probe pays a
  // TLB miss per page that the weight streams do not, and would under-state the roofline.
  constexpr int64_t kPage = int64_t{2} << 20;
  const int64_t per_thread = std::max<int64_t>(kPage, bytes / threads / kPage * kPage);
  const int64_t total = per_thread * threads;
  std::unique_ptr<void, FreeDeleter> buf(std::aligned_alloc(kPage, static_cast<size_t>(total)));
  if (!buf) return {};
  madvise(buf.get(), static_cast<size_t>(total), MADV_HUGEPAGE);
  uint64_t* words = static_cast<uint64_t*>(buf.get());
  const int64_t words_per_thread = per_thread / 8;
  // First touch on the thread that reads the slice (NUMA placement), with data the reads cannot predict.
  pool.parallel_for(threads, [&](int64_t b, int64_t e, int) {
    for (int64_t t = b; t < e; ++t) {
      uint64_t* p = words + t * words_per_thread;
      for (int64_t i = 0; i < words_per_thread; ++i) p[i] = static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull + t;
    }
  });
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int r = 0; r < std::max(1, reps); ++r) {
    const auto t0 = Clock::now();
    pool.parallel_for(threads, [&](int64_t b, int64_t e, int) {
      uint64_t s = 0;
      for (int64_t t = b; t < e; ++t) s += read_sum(words + t * words_per_thread, words_per_thread);
      sink.fetch_add(s, std::memory_order_relaxed);
    });
    const double secs = seconds_since(t0);
    if (secs > 0) best = std::max(best, static_cast<double>(total) / secs * 1e-9);
  }
  if (sink.load() == 42) best += 0;  // the sums are observed, so the reads cannot be removed
  return {best, total, threads};
}

PeakResult measure_peak(ThreadPool& pool, PeakKind kind, double seconds) {
  using Loop = double (*)(int64_t, float, float*);
  using IntLoop = double (*)(int64_t, int32_t, int32_t*);
  Loop fl = scalar::f32_fma_loop;
  IntLoop il = scalar::int8_dot_loop;
  std::string fl_name = "scalar fp32 multiply-add", il_name = "scalar int8 multiply-add";
#if defined(NEMOTRON_X86)
  const CpuFeatures& f = cpu_features();
  if (f.avx512) {
    fl = avx512::f32_fma_loop;
    fl_name = "avx512 vfmadd231ps zmm";
  } else if (f.avx2) {
    fl = avx2::f32_fma_loop;
    fl_name = "avx2 vfmadd231ps ymm";
  }
  if (f.avx512_vnni) {
    il = avx512::int8_dot_loop;
    il_name = "avx512 vpdpbusd zmm";
  } else if (f.avx2) {
    il = avx2::int8_dot_loop;
    il_name = "avx2 vpmaddubsw+vpmaddwd+vpaddd ymm";
  }
#elif defined(NEMOTRON_NEON)
  fl = neon::f32_fma_loop;
  fl_name = "neon fmla v.4s";
  if (cpu_features().neon_dotprod) {
    il = neon::int8_dot_loop;
    il_name = "neon sdot v.4s";
  }
#endif
  if (kind == PeakKind::kInt8Tile) {
#if defined(NEMOTRON_X86)
    if (kernels::amx_kernels_ready()) {
      il = amx::int8_tile_loop;
      il_name = "amx tdpbssd";
    }
#endif
  }
  const bool is_f32 = kind == PeakKind::kF32Fma;
  auto run = [&](int64_t iters) {  // returns total ops and seconds over all threads
    std::atomic<int64_t> sink{0};
    double ops_per_thread = 0;
    const auto t0 = Clock::now();
    pool.parallel_for(pool.size(), [&](int64_t b, int64_t e, int) {
      for (int64_t t = b; t < e; ++t) {
        float fs = 0;
        int32_t is = 0;
        const double ops = is_f32 ? fl(iters, 1.0f + static_cast<float>(t) * 1e-3f, &fs)
                                  : il(iters, static_cast<int32_t>(t + 5), &is);
        if (t == 0) ops_per_thread = ops;
        sink.fetch_add(static_cast<int64_t>(fs) + is, std::memory_order_relaxed);
      }
    });
    return std::pair<double, double>{ops_per_thread * pool.size(), seconds_since(t0)};
  };
  // Calibrate the iteration count to about `seconds`, then keep the best of 3 runs.
  int64_t iters = 1 << 16;
  for (;;) {
    auto [ops, secs] = run(iters);
    if (secs >= seconds / 8 || iters > (int64_t{1} << 40)) {
      iters = static_cast<int64_t>(static_cast<double>(iters) * seconds / std::max(secs, 1e-6));
      break;
    }
    iters *= 4;
  }
  double best = 0;
  for (int r = 0; r < 3; ++r) {
    auto [ops, secs] = run(std::max<int64_t>(iters, 1));
    if (secs > 0) best = std::max(best, ops / secs * 1e-9);
  }
  return {best, is_f32 ? fl_name : il_name, pool.size()};
}

PeakKind peak_kind_for_type(const std::string& type_name) {
  // ggml block types (q8_0, q4_K, iq4_nl, ...) run on int8 dot products; every other type is widened to
  // fp32 and runs on FMA.
  const bool block = !type_name.empty() && (type_name[0] == 'q' || type_name[0] == 'Q' ||
                                            type_name.rfind("iq", 0) == 0 || type_name.rfind("IQ", 0) == 0);
  if (!block) return PeakKind::kF32Fma;
  GgmlType type{};
  return ggml_type_from_name(type_name, &type) && kernels::amx_covers(type) ? PeakKind::kInt8Tile : PeakKind::kInt8Dot;
}

}  // namespace nt::perf
