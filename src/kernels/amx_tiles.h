// AMX tile operations for the kernels of gemm_amx_impl.h, behind a small interface that a software model of the
// tile unit also implements (tests/kernels/amx_tile_model.h), so the kernels' tile code is tested on CPUs without
// AMX:
//   configure(cfg)              ldtilecfg      release()              tilerelease
//   zero<T>()                   tilezero       dpbssd<C, A, B>()      tdpbssd: C[m][n] += Σ_k A[m][k]·B[k/4][4n + k%4]
//   load<T>(base, stride)       tileloadd      store<T>(base, stride) tilestored
// (int8 × int8 products summed in int32; rows of a tile are `stride` bytes apart in memory).
//
// Every operation is an asm statement of ours, not a compiler intrinsic. GCC 12's intrinsics describe their memory
// operands wrongly: _tile_loadconfig declares an 8-byte read of the 64-byte configuration, so the compiler may drop
// the stores that fill it (ldtilecfg then faults or loads garbage), and _tile_loadd declares no memory read at all,
// so stores to a buffer that only a tile load reads could be dropped or sunk past it. Here ldtilecfg takes the whole
// TileConfig as its operand and the loads and stores clobber memory. Include only from *_amx.cc files.
#pragma once

#include <cstddef>

#include "kernels/amx_config.h"

namespace nt::kernels {
namespace {

struct AmxTiles {
  void configure(const TileConfig& cfg) { __asm__ volatile("ldtilecfg %0" ::"m"(cfg)); }
  void release() { __asm__ volatile("tilerelease" ::: "memory"); }
  template <int T>
  void zero() {
    __asm__ volatile("tilezero %%tmm%c0" ::"i"(T));
  }
  template <int T>
  void load(const void* base, size_t stride) {
    __asm__ volatile("tileloadd (%0,%1,1), %%tmm%c2" ::"r"(base), "r"(stride), "i"(T) : "memory");
  }
  template <int T>
  void store(void* base, size_t stride) {
    __asm__ volatile("tilestored %%tmm%c2, (%0,%1,1)" ::"r"(base), "r"(stride), "i"(T) : "memory");
  }
  // AT&T operand order: B, A, C (Intel: tdpbssd C, A, B).
  template <int C, int A, int B>
  void dpbssd() {
    __asm__ volatile("tdpbssd %%tmm%c0, %%tmm%c1, %%tmm%c2" ::"i"(B), "i"(A), "i"(C));
  }
};

}  // namespace
}  // namespace nt::kernels
