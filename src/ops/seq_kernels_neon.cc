// AArch64 NEON sequence-op kernels (see seq_kernels.h): the portable set with the GEMM of the chunked SSD scan on
// 128-bit registers. Each output element gets the AVX2 kernel's operation sequence (fma over k in order from zero,
// then fma(beta, C, sum)) and the same 6-row blocking, which decides where a `lower` product stops; so the results
// are bitwise the AVX2 and AVX-512 ones. Raw pointers and intrinsics only: no std:: templates in this file.
#include <arm_neon.h>

#include "ops/seq_gemm_blocks.h"
#include "ops/seq_kernels.h"

namespace nt::kernels::neon {
namespace {

// MR rows × NV vectors of 4 columns; the last vector holds `nlast` (1..4) real columns.
template <int MR, int NV>
void gemm_block(int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb, float* C,
                int64_t ldc, float beta, int nlast) {
  float32x4_t acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = vdupq_n_f32(0.0f);
  for (int64_t k = 0; k < K; ++k) {
    const float* b = B + k * ldb;
    float32x4_t bv[NV];
    for (int v = 0; v < NV - 1; ++v) bv[v] = vld1q_f32(b + 4 * v);
    if (nlast == 4) {
      bv[NV - 1] = vld1q_f32(b + 4 * (NV - 1));
    } else {
      float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
      for (int l = 0; l < nlast; ++l) t[l] = b[4 * (NV - 1) + l];
      bv[NV - 1] = vld1q_f32(t);
    }
    const float* a = A + k * a_cs;
    for (int i = 0; i < MR; ++i) {
      const float32x4_t av = vdupq_n_f32(a[i * a_rs]);
      for (int v = 0; v < NV; ++v) acc[i][v] = vfmaq_f32(acc[i][v], av, bv[v]);
    }
  }
  const float32x4_t bt = vdupq_n_f32(beta);
  for (int i = 0; i < MR; ++i) {
    float* c = C + i * ldc;
    for (int v = 0; v < NV; ++v) {
      const int n = v == NV - 1 ? nlast : 4;
      float32x4_t r = acc[i][v];
      if (n == 4) {
        if (beta != 0.0f) r = vfmaq_f32(r, bt, vld1q_f32(c + 4 * v));
        vst1q_f32(c + 4 * v, r);
      } else {
        float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        if (beta != 0.0f) {
          for (int l = 0; l < n; ++l) t[l] = c[4 * v + l];
          r = vfmaq_f32(r, bt, vld1q_f32(t));
        }
        vst1q_f32(t, r);
        for (int l = 0; l < n; ++l) c[4 * v + l] = t[l];
      }
    }
  }
}

template <int MR>
void gemm_rows(int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb,
               float* C, int64_t ldc, float beta) {
  int64_t j = 0;
  for (; j + 16 <= Nc; j += 16) gemm_block<MR, 4>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, 4);
  const int64_t rest = Nc - j;
  if (rest == 0) return;
  const int nlast = static_cast<int>(rest - (rest - 1) / 4 * 4);
  switch ((rest + 3) / 4) {
    case 1: gemm_block<MR, 1>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, nlast); break;
    case 2: gemm_block<MR, 2>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, nlast); break;
    case 3: gemm_block<MR, 3>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, nlast); break;
    default: gemm_block<MR, 4>(K, A, a_rs, a_cs, B + j, ldb, C + j, ldc, beta, nlast); break;
  }
}

void gemm(int64_t M, int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B, int64_t ldb,
          float* C, int64_t ldc, float beta, bool lower) {
  for_seq_gemm_row_blocks(M, K, lower, [&]<int MR>(int64_t i, int64_t k_end) {
    gemm_rows<MR>(Nc, k_end, A + i * a_rs, a_rs, a_cs, B, ldb, C + i * ldc, ldc, beta);
  });
}

}  // namespace

SeqKernels with_neon_gemm(const SeqKernels& portable_set) {
  SeqKernels k = portable_set;
  k.name = "neon";
  k.gemm = gemm;
  return k;
}

}  // namespace nt::kernels::neon
