// The AMX TDPBSSD roofline loop (peak_amx_loop.h) on the tile unit.
#include "kernels/amx_tiles.h"
#include "perf/peak_amx_loop.h"
#include "perf/peak_kernels.h"

namespace nt::perf::amx {

double int8_tile_loop(int64_t iters, int32_t seed, int32_t* sink) {
  kernels::AmxTiles tm;
  return amx_int8_tile_loop(tm, iters, seed, sink);
}

}  // namespace nt::perf::amx
