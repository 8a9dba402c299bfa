// The AMX kernels of gemm_amx_impl.h on the software tile model (amx_tile_model.h): same arguments and results as
// gemm.h's amx:: kernels, on any CPU with AVX-512 VNNI (the epilogue and the tails are AVX-512).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace nt::kernels::amx_model {

void tile_q8_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_q4_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_q4_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// perf::amx::int8_tile_loop (src/perf/peak_amx_loop.h) on the model.
double int8_tile_loop(int64_t iters, int32_t seed, int32_t* sink);
// TDPBSSD instructions the model has executed on this thread.
uint64_t dpbssd_count();

}  // namespace nt::kernels::amx_model
