// The 64-byte AMX tile configuration that ldtilecfg loads (Intel SDM, "LDTILECFG"): palette 1 gives 8 tiles of up
// to 16 rows × 64 bytes; a tile is usable with rows and colsb both non-zero and unused with both zero. Reserved
// bytes, and the entries of tiles 8-15, must be zero or ldtilecfg faults.
#pragma once

#include <cstdint>

namespace nt::kernels {

struct alignas(64) TileConfig {
  uint8_t palette = 0;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};  // bytes per row of each tile
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

constexpr int kAmxTiles = 8;     // palette 1
constexpr int kAmxMaxRows = 16;
constexpr int kAmxMaxColsb = 64;

// The tiles of the packed Q8_0 / Q4_0 kernels (gemm_amx_impl.h), two blocks in flight:
//   tmm0, tmm1  C  16 tokens × 16 rows of int32 (a block's exact sums), for blocks ib and ib + 1
//   tmm2, tmm3  A  16 tokens × 32 activation bytes (one q8_0 block each)
//   tmm4, tmm5  B  8 × 64 bytes: the 8 chunks of a packed group's block record, k-bytes 4k..4k+3 of the 16 rows
inline TileConfig q8_block_tile_config() {
  TileConfig c;
  c.palette = 1;
  for (int t = 0; t < 2; ++t) {
    c.rows[t] = 16;
    c.colsb[t] = 64;
    c.rows[2 + t] = 16;
    c.colsb[2 + t] = 32;
    c.rows[4 + t] = 8;
    c.colsb[4 + t] = 64;
  }
  return c;
}

}  // namespace nt::kernels
