// Per-ISA inner loops for the roofline measurements (machine_roofline.cc dispatches among them).
// Each returns the number of operations it performed (a multiply-add counts as 2); `seed` keeps the
// compiler from folding the loop. read_sum returns the sum of p[0, n), read as four sequential streams (the
// quarters of p) in step; n is a multiple of 64.
#pragma once

#include <cstdint>

namespace nt::perf {

namespace scalar {
double f32_fma_loop(int64_t iters, float seed, float* sink);
double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink);
uint64_t read_sum(const uint64_t* p, int64_t n);
}  // namespace scalar

namespace avx2 {
double f32_fma_loop(int64_t iters, float seed, float* sink);
double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink);
uint64_t read_sum(const uint64_t* p, int64_t n);
}  // namespace avx2

namespace avx512 {
double f32_fma_loop(int64_t iters, float seed, float* sink);
double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink);
}  // namespace avx512

// AArch64 (Advanced SIMD; int8_dot_loop needs dotprod: CpuFeatures::neon_dotprod).
namespace neon {
double f32_fma_loop(int64_t iters, float seed, float* sink);
double int8_dot_loop(int64_t iters, int32_t seed, int32_t* sink);
uint64_t read_sum(const uint64_t* p, int64_t n);
}  // namespace neon

// AMX: TDPBSSD on four accumulator tiles (peak_amx_loop.h); only call when kernels::amx_kernels_ready().
namespace amx {
double int8_tile_loop(int64_t iters, int32_t seed, int32_t* sink);
}  // namespace amx

}  // namespace nt::perf
