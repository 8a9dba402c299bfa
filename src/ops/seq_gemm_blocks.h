// The row blocking of the SIMD sequence-op GEMMs (seq_kernels_avx2.cc, _avx512.cc, _neon.cc): rows in blocks of 6,
// and with `lower` a block's k stops after its last row (A is zero beyond the diagonal). All of them block rows the
// same way, so a `lower` product stops at the same k in every set and their results agree bit for bit. Included by
// per-ISA files: an anonymous namespace gives each its own copy.
#pragma once

#include <cstdint>

namespace nt::kernels {
namespace {

constexpr int64_t kSeqGemmRows = 6;

// f.template operator()<MR>(i, k_end) for each block of MR rows starting at row i, MR as a compile-time constant.
template <class F>
inline void for_seq_gemm_row_blocks(int64_t M, int64_t K, bool lower, F&& f) {
  for (int64_t i = 0; i < M; i += kSeqGemmRows) {
    const int64_t mr = M - i < kSeqGemmRows ? M - i : kSeqGemmRows;
    const int64_t k_end = lower && i + mr < K ? i + mr : K;
    switch (mr) {
      case 6: f.template operator()<6>(i, k_end); break;
      case 5: f.template operator()<5>(i, k_end); break;
      case 4: f.template operator()<4>(i, k_end); break;
      case 3: f.template operator()<3>(i, k_end); break;
      case 2: f.template operator()<2>(i, k_end); break;
      default: f.template operator()<1>(i, k_end); break;
    }
  }
}

}  // namespace
}  // namespace nt::kernels
