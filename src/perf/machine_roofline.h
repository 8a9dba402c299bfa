// The machine's rooflines, measured in the same run as the model they judge (these machines are shared and
// noisy, so a speed is quoted as a fraction of what the hardware gave at that moment):
//  - memory read bandwidth: every thread streams its slice of a buffer much larger than the last-level cache, as
//    four sequential streams in step (as the decode kernels read their weights);
//  - the peak rate of the matrix instruction a weight type's kernels use: independent chains of that
//    instruction in registers, on every thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/thread_pool.h"

namespace nt::perf {

struct BandwidthResult {
  double gb_per_s = 0;  // 1e9 bytes per second, best of the repetitions
  int64_t bytes = 0;    // buffer size
  int threads = 0;
};

// Reads a `bytes` buffer (first touched in parallel) `reps` times with pool.size() threads; best repetition.
BandwidthResult measure_read_bandwidth(ThreadPool& pool, int64_t bytes, int reps);

// The instruction sequences whose throughput bounds our matrix kernels.
enum class PeakKind : uint8_t {
  kF32Fma,   // fp32 fused multiply-add on the widest vectors in use (F32/F16/BF16 weights)
  kInt8Dot,  // u8×s8 products summed into int32 lanes: AVX2 vpmaddubsw+vpmaddwd+vpaddd, or AVX-512 VNNI vpdpbusd
  kInt8Tile, // s8×s8 products on AMX tiles, TDPBSSD (prefill of packed Q8_0 / Q4_0 / Q4_K weights where AMX runs)
};

struct PeakResult {
  double gops_per_s = 0;    // 1e9 operations per second (a multiply-add counts as 2)
  std::string instruction;  // e.g. "avx2 vfmadd231ps ymm", "avx2 vpmaddubsw+vpmaddwd+vpaddd ymm"
  int threads = 0;
};

// Runs the instruction's chains for about `seconds` on every thread; best of 3 runs.
PeakResult measure_peak(ThreadPool& pool, PeakKind kind, double seconds);

// The instruction family a weight type's prefill kernels use on this CPU ("q8_0", "Q4_K", "BF16", ...): AMX tiles
// for Q8_0, Q4_0 and Q4_K where kernels::amx_kernels_ready(), int8 dot products for the other ggml block types, fp32
// FMA for plain float types.
PeakKind peak_kind_for_type(const std::string& type_name);

}  // namespace nt::perf
