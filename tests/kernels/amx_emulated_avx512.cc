// gemm_amx_impl.h's kernels instantiated on the tile model (compiled with the AVX-512 flags, tests/CMakeLists.txt).
#include "amx_emulated.h"

#include "amx_tile_model.h"
#include "kernels/gemm_amx_impl.h"
#include "perf/peak_amx_loop.h"

namespace nt::kernels::amx_model {
namespace {
thread_local uint64_t executed = 0;
}  // namespace

void tile_q8_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  AmxTileModel tm;
  amx_then_rest(tm, amx_q8_0_packed<AmxTileModel>, &avx512::tile_q8_0_packed, w, ws, nr, a, t0, nt, y, ldy);
  executed += tm.dpbssd_count;
}

void tile_q4_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  AmxTileModel tm;
  amx_then_rest(tm, amx_q4_0_packed<AmxTileModel>, &avx512::tile_q4_0_packed, w, ws, nr, a, t0, nt, y, ldy);
  executed += tm.dpbssd_count;
}

void tile_q4_K_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  AmxTileModel tm;
  amx_then_rest(tm, amx_q4_K_packed<AmxTileModel>, &avx512::tile_q4_K_packed, w, ws, nr, a, t0, nt, y, ldy);
  executed += tm.dpbssd_count;
}

double int8_tile_loop(int64_t iters, int32_t seed, int32_t* sink) {
  AmxTileModel tm;
  const double ops = perf::amx_int8_tile_loop(tm, iters, seed, sink);
  executed += tm.dpbssd_count;
  return ops;
}

uint64_t dpbssd_count() { return executed; }

}  // namespace nt::kernels::amx_model
