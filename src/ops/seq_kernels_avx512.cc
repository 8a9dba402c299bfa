// AVX-512 sequence-op kernels (see seq_kernels.h): the AVX2 set with the GEMM of the chunked SSD scan on 512-bit
// registers. Each output element gets the AVX2 kernel's operation sequence (fma over k in order from zero, then
// fma(beta, C, sum)) and the same 6-row blocking, which decides where a `lower` product stops; so the results are
// bitwise the AVX2 ones. Raw pointers and intrinsics only: no std:: templates in this file.
#include <immintrin.h>

#include "kernels/simd.h"
#include "ops/seq_gemm_blocks.h"
#include "ops/seq_kernels.h"

namespace nt::kernels::avx512 {
namespace {

// Lanes i < n set, n in 1..16.
inline __mmask16 tail_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }

// MR rows × NV vectors of 16 columns; the last vector is masked by `mlast`.
template <int MR, int NV>
void gemm_block(int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb, float* C,
                int64_t ldc, float beta, __mmask16 mlast) {
  __m512 acc[MR][NV];
  NT_UNROLL for (int i = 0; i < MR; ++i)
    NT_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    const float* b = B + k * ldb;
    __m512 bv[NV];
    NT_UNROLL for (int v = 0; v < NV - 1; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
    bv[NV - 1] = _mm512_maskz_loadu_ps(mlast, b + 16 * (NV - 1));
    const float* a = A + k * a_cs;
    NT_UNROLL for (int i = 0; i < MR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i * a_rs]);
      NT_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
    }
  }
  const __m512 bt = _mm512_set1_ps(beta);
  NT_UNROLL for (int i = 0; i < MR; ++i) {
    float* c = C + i * ldc;
    NT_UNROLL for (int v = 0; v < NV; ++v) {
      const __mmask16 m = v == NV - 1 ? mlast : static_cast<__mmask16>(0xFFFF);
      __m512 r = acc[i][v];
      if (beta != 0.0f) r = _mm512_fmadd_ps(bt, _mm512_maskz_loadu_ps(m, c + 16 * v), r);
      _mm512_mask_storeu_ps(c + 16 * v, m, r);
    }
  }
}

template <int MR>
void gemm_rows(int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb,
               float* C, int64_t ldc, float beta) {
  int64_t j = 0;
  for (; j + 64 <= Nc; j += 64) gemm_block<MR, 4>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, tail_mask(16));
  const int64_t rest = Nc - j;
  if (rest == 0) return;
  const __mmask16 m = tail_mask(rest - (rest - 1) / 16 * 16);
  switch ((rest + 15) / 16) {
    case 1: gemm_block<MR, 1>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, m); break;
    case 2: gemm_block<MR, 2>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, m); break;
    case 3: gemm_block<MR, 3>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, m); break;
    default: gemm_block<MR, 4>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, m); break;
  }
}

void gemm(int64_t M, int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb,
          float* C, int64_t ldc, float beta, bool lower) {
  for_seq_gemm_row_blocks(M, K, lower, [&]<int MR>(int64_t i, int64_t k_end) {
    gemm_rows<MR>(Nc, k_end, A + i * a_rs, a_rs, a_cs, B, ldb, C + i * ldc, ldc, beta);
  });
}

}  // namespace

SeqKernels with_avx512_gemm(const SeqKernels& avx2_set) {
  SeqKernels k = avx2_set;
  k.name = "avx512";
  k.gemm = gemm;
  return k;
}

}  // namespace nt::kernels::avx512
