// The AMX int8 prefill kernels (gemm_amx_impl.h) on the tile unit. Reached only when amx_kernels_ready()
// (kernels/amx_check.h) holds: the CPU and OS allow AMX and a self-check in a child process gave bitwise the VNNI
// kernels' results.
#include "kernels/amx_tiles.h"
#include "kernels/gemm_amx_impl.h"

namespace nt::kernels::amx {

void tile_q8_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  AmxTiles tm;
  amx_then_rest(tm, amx_q8_0_packed<AmxTiles>, &avx512::tile_q8_0_packed, w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q4_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  AmxTiles tm;
  amx_then_rest(tm, amx_q4_0_packed<AmxTiles>, &avx512::tile_q4_0_packed, w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q4_K_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  AmxTiles tm;
  amx_then_rest(tm, amx_q4_K_packed<AmxTiles>, &avx512::tile_q4_K_packed, w, ws, nr, a, t0, nt, y, ldy);
}

}  // namespace nt::kernels::amx
