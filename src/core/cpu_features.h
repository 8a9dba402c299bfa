// What the CPU and the OS let this process use, detected once at run time (cpuid + xgetbv, and the Linux
// permission request that AMX tiles need; on AArch64 the kernel's hwcaps). Kernels dispatch on this;
// NEMOTRON_ISA=scalar|avx2|avx512 caps the level (for tests and for comparing kernels on one machine).
#pragma once

#include <string>

namespace nt {

struct CpuFeatures {
  bool avx2 = false;        // AVX2 + FMA + F16C, with the OS saving ymm state
  bool avx512 = false;      // AVX-512 F/BW/VL/DQ, with the OS saving zmm state
  bool avx512_vnni = false;
  bool avx512_bf16 = false;
  bool amx_int8 = false;    // AMX TILE + INT8, and the OS granted the tile data permission
  bool amx_bf16 = false;
  bool neon_dotprod = false;  // AArch64 Advanced SIMD with the dot-product instructions (sdot)
};

// Detected features after the NEMOTRON_ISA cap. Thread-safe; computed on first use.
const CpuFeatures& cpu_features();

// Short description, e.g. "avx2 fma f16c avx512 vnni bf16 amx-int8 amx-bf16" or "neon dotprod".
std::string describe(const CpuFeatures& f);

}  // namespace nt
