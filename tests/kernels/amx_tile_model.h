// A software model of the AMX tile unit (palette 1: 8 tiles of up to 16 rows × 64 bytes) with the interface of
// src/kernels/amx_tiles.h, so the AMX kernels' tile code runs, and is checked, on CPUs without AMX. It follows the
// Intel SDM's pseudocode for LDTILECFG, TILELOADD, TILESTORED, TILEZERO and TDPBSSD, and treats what the hardware
// rejects as a fault (an unconfigured tile, a configuration LDTILECFG refuses, TDPBSSD operands whose shapes do not
// match or that are not three distinct tiles): it prints what it found and aborts. Loads and stores touch exactly
// rows × colsb bytes per tile, as the hardware does, so AddressSanitizer sees a kernel's out-of-bounds tile loads.
// It also counts the TDPBSSD it executed, so a test can tell that the tile path ran.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/amx_config.h"

namespace nt::kernels {
namespace {

class AmxTileModel {
 public:
  void configure(const TileConfig& cfg) {
    if (cfg.palette == 0) {  // palette 0 is the init state: every tile unconfigured
      configured_ = false;
      return;
    }
    if (cfg.palette != 1) fault("palette %d is not 1", cfg.palette);
    if (cfg.start_row != 0) fault("start_row %d is not 0", cfg.start_row);
    for (uint8_t b : cfg.reserved)
      if (b != 0) fault("a reserved byte is not 0");
    for (int t = 0; t < 16; ++t) {
      const int rows = cfg.rows[t], colsb = cfg.colsb[t];
      if (t >= kAmxTiles && (rows != 0 || colsb != 0)) fault("tile %d does not exist in palette 1", t);
      if (rows > kAmxMaxRows || colsb > kAmxMaxColsb) fault("tile %d is %d rows x %d bytes", t, rows, colsb);
      if ((rows == 0) != (colsb == 0)) fault("tile %d has %d rows of %d bytes", t, rows, colsb);
    }
    cfg_ = cfg;
    configured_ = true;
    std::memset(tiles_, 0, sizeof(tiles_));  // LDTILECFG zeroes the tile data
  }
  void release() {
    configured_ = false;
    std::memset(tiles_, 0, sizeof(tiles_));
  }
  template <int T>
  void zero() {
    check_tile(T);
    std::memset(tiles_[T], 0, sizeof(tiles_[T]));
  }
  template <int T>
  void load(const void* base, size_t stride) {
    check_tile(T);
    std::memset(tiles_[T], 0, sizeof(tiles_[T]));
    for (int r = 0; r < cfg_.rows[T]; ++r)
      std::memcpy(tiles_[T][r], static_cast<const uint8_t*>(base) + r * stride, cfg_.colsb[T]);
  }
  template <int T>
  void store(void* base, size_t stride) {
    check_tile(T);
    for (int r = 0; r < cfg_.rows[T]; ++r)
      std::memcpy(static_cast<uint8_t*>(base) + r * stride, tiles_[T][r], cfg_.colsb[T]);
  }
  // C[m][n] += Σ_k Σ_i A[m][4k + i] · B[k][4n + i] over int8 values, in wrapping int32.
  template <int C, int A, int B>
  void dpbssd() {
    check_tile(C);
    check_tile(A);
    check_tile(B);
    if (C == A || C == B || A == B) fault("tdpbssd operands tmm%d, tmm%d, tmm%d are not distinct", C, A, B);
    const int M = cfg_.rows[C], N = cfg_.colsb[C] / 4, K = cfg_.colsb[A] / 4;
    if (cfg_.colsb[C] % 4 != 0) fault("tdpbssd C has %d bytes per row", cfg_.colsb[C]);
    if (cfg_.rows[A] != M) fault("tdpbssd A has %d rows, C %d", cfg_.rows[A], M);
    if (cfg_.rows[B] != K) fault("tdpbssd B has %d rows, A %d dwords per row", cfg_.rows[B], K);
    if (cfg_.colsb[B] != cfg_.colsb[C]) fault("tdpbssd B has %d bytes per row, C %d", cfg_.colsb[B], cfg_.colsb[C]);
    for (int m = 0; m < M; ++m) {
      for (int n = 0; n < N; ++n) {
        int32_t acc;
        std::memcpy(&acc, &tiles_[C][m][4 * n], 4);
        uint32_t sum = static_cast<uint32_t>(acc);
        for (int k = 0; k < K; ++k) {
          for (int i = 0; i < 4; ++i) {
            const int32_t a = static_cast<int8_t>(tiles_[A][m][4 * k + i]);
            const int32_t b = static_cast<int8_t>(tiles_[B][k][4 * n + i]);
            sum += static_cast<uint32_t>(a * b);
          }
        }
        std::memcpy(&tiles_[C][m][4 * n], &sum, 4);
      }
    }
    ++dpbssd_count;
  }

  uint64_t dpbssd_count = 0;

 private:
  [[noreturn]] static void fault(const char* fmt, int a = 0, int b = 0, int c = 0) {
    std::fprintf(stderr, "AMX tile model: fault: ");
    std::fprintf(stderr, fmt, a, b, c);
    std::fprintf(stderr, "\n");
    std::abort();
  }
  void check_tile(int t) const {
    if (!configured_) fault("a tile instruction ran without a tile configuration");
    if (t < 0 || t >= kAmxTiles || cfg_.rows[t] == 0) fault("tile %d is not configured", t);
  }

  TileConfig cfg_;
  bool configured_ = false;
  uint8_t tiles_[kAmxTiles][kAmxMaxRows][kAmxMaxColsb] = {};
};

}  // namespace
}  // namespace nt::kernels
