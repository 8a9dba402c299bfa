// The AMX int8 roofline loop (TDPBSSD), written against the tile interface of kernels/amx_tiles.h so the tests run
// it on the software tile model too. Four independent accumulator tiles, each updated once per iteration from two
// A and two B tiles of 16 rows × 64 bytes: 4 × 16 × 16 × 64 multiply-adds per iteration. Include only from files
// compiled with the AMX flags or from the tile model's test file.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/amx_config.h"

namespace nt::perf {
namespace {

inline kernels::TileConfig full_tile_config() {
  kernels::TileConfig c;
  c.palette = 1;
  for (int t = 0; t < kernels::kAmxTiles; ++t) {
    c.rows[t] = kernels::kAmxMaxRows;
    c.colsb[t] = kernels::kAmxMaxColsb;
  }
  return c;
}

// Every A byte is seed & 0x3f, every B byte 3; *sink = element [0][0] of the first accumulator after `iters`
// iterations (iters · 64 · (seed & 0x3f) · 3, wrapping). Returns the operations done (a multiply-add counts as 2).
template <class Tiles>
double amx_int8_tile_loop(Tiles& tm, int64_t iters, int32_t seed, int32_t* sink) {
  alignas(64) int8_t a[16 * 64], b[16 * 64];
  alignas(64) int32_t c[16 * 16];
  std::memset(a, seed & 0x3f, sizeof(a));
  std::memset(b, 3, sizeof(b));
  const kernels::TileConfig cfg = full_tile_config();
  tm.configure(cfg);
  tm.template zero<0>();
  tm.template zero<1>();
  tm.template zero<2>();
  tm.template zero<3>();
  tm.template load<4>(a, 64);
  tm.template load<5>(a, 64);
  tm.template load<6>(b, 64);
  tm.template load<7>(b, 64);
  for (int64_t i = 0; i < iters; ++i) {
    tm.template dpbssd<0, 4, 6>();
    tm.template dpbssd<1, 4, 7>();
    tm.template dpbssd<2, 5, 6>();
    tm.template dpbssd<3, 5, 7>();
  }
  tm.template store<0>(c, 64);
  tm.release();
  *sink = c[0];
  return static_cast<double>(iters) * 4 * 16 * 16 * 64 * 2;
}

}  // namespace
}  // namespace nt::perf
