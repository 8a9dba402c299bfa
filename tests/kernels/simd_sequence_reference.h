// The SIMD Q8_0 / Q4_0 routes' operation sequence (src/kernels/gemm.h) in plain C++, independent of any kernel:
// per output element and block b, the exact integer s_b = Σ w·y (Q4_0: Σ (q − 8)·y), then
// acc = fma(float(s_b), d_w·d_y, acc) in block order from 0. Every SIMD kernel of these types (AVX2, AVX-512,
// AMX, NEON) must give these bits. Also the fp32 routes' sequence (fp32_sequence_reference).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/dtype.h"
#include "formats/tensor_view.h"
#include "kernels/kernel_test_util.h"

namespace nt::test {

// y[t·ldy + r] for rows r < nr of stored rows w (row_bytes apart, type Q8_0 or Q4_0 by `q4`) and tokens t < nt of
// q8_0 activations (qs [nt, n_in], d [nt, n_in / 32]).
inline void simd_sequence_reference(bool q4, const uint8_t* w, size_t row_bytes, int64_t nr, const int8_t* qs,
                                    const float* d, int64_t n_in, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = n_in / 32;
  const size_t block = q4 ? 18 : 34;
  for (int64_t t = 0; t < nt; ++t) {
    for (int64_t r = 0; r < nr; ++r) {
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* blk = w + static_cast<size_t>(r) * row_bytes + static_cast<size_t>(b) * block;
        uint16_t h;
        std::memcpy(&h, blk, 2);
        const int8_t* yq = qs + t * n_in + b * 32;
        int32_t s = 0;
        for (int i = 0; i < 32; ++i) {
          const int32_t wi = q4 ? static_cast<int32_t>(i < 16 ? blk[2 + i] & 0x0f : blk[2 + i - 16] >> 4) - 8
                                : static_cast<int8_t>(blk[2 + i]);
          s += wi * yq[i];
        }
        const float dwdy = f16_to_f32(h) * d[t * nb + b];
        acc = std::fma(static_cast<float>(s), dwdy, acc);
      }
      y[t * ldy + r] = acc;
    }
  }
}

// Element k of row r of a weight of dtype F32 / BF16 / F16, as fp32.
inline float weight_at(const TensorView& w, int64_t r, int64_t k) {
  const uint8_t* row = w.data + static_cast<size_t>(r) * w.row_bytes();
  uint16_t h;
  switch (w.dtype) {
    case DType::F32: {
      float f;
      std::memcpy(&f, row + 4 * k, 4);
      return f;
    }
    case DType::BF16: std::memcpy(&h, row + 2 * k, 2); return bf16_to_f32(h);
    default: std::memcpy(&h, row + 2 * k, 2); return f16_to_f32(h);
  }
}

// The SIMD fp32 routes' sequence (F32 / BF16 / F16 weights against fp32 activations, gemm_avx2.cc): 8 lanes, lane i
// taking fma(w[k + i], x[k + i], ·) for k in steps of 8 with the tail zero-padded, then summed as
// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)). weight(r, k) gives element k of row r as fp32; x: [nt, n].
template <class Weight>
void fp32_sequence_reference(Weight weight, int64_t nr, const float* x, int64_t n, int64_t nt, float* y, int64_t ldy) {
  for (int64_t t = 0; t < nt; ++t) {
    for (int64_t r = 0; r < nr; ++r) {
      float l[8] = {};
      for (int64_t k = 0; k < n; k += 8) {
        for (int i = 0; i < 8; ++i) {
          const bool in = k + i < n;
          l[i] = std::fma(in ? weight(r, k + i) : 0.0f, in ? x[t * n + k + i] : 0.0f, l[i]);
        }
      }
      const float s0 = l[0] + l[4], s1 = l[1] + l[5], s2 = l[2] + l[6], s3 = l[3] + l[7];
      y[t * ldy + r] = (s0 + s2) + (s1 + s3);
    }
  }
}

// The SIMD sequence-op GEMM (ops/seq_kernels.h; AVX2, AVX-512 and NEON sets): rows in blocks of 6, where `lower`
// stops a block's k at its last row + 1; per element sum = fma(A[i, k], B[k, j], sum) over k in order from 0, then
// C = fma(beta, C, sum) (beta == 0: C = sum).
inline void seq_gemm_reference(int64_t M, int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs,
                               const float* B, int64_t ldb, float* C, int64_t ldc, float beta, bool lower) {
  for (int64_t i0 = 0; i0 < M; i0 += 6) {
    const int64_t mr = M - i0 < 6 ? M - i0 : 6;
    const int64_t k_end = lower && i0 + mr < K ? i0 + mr : K;
    for (int64_t i = i0; i < i0 + mr; ++i) {
      for (int64_t j = 0; j < Nc; ++j) {
        float sum = 0.0f;
        for (int64_t k = 0; k < k_end; ++k) sum = std::fma(A[i * a_rs + k * a_cs], B[k * ldb + j], sum);
        C[i * ldc + j] = beta != 0.0f ? std::fma(beta, C[i * ldc + j], sum) : sum;
      }
    }
  }
}

// Runs `gemm` (a sequence-op GEMM, the signature of SeqKernels::gemm) over odd shapes (row blocks of 6 and their
// tails, column tails of every vector width, short K), with and without `lower` and beta, and calls
// mismatch(M, Nc, K, lower, beta) for each case whose output is not bitwise seq_gemm_reference's.
template <class Gemm, class Mismatch>
void compare_seq_gemm(Gemm gemm, Mismatch mismatch) {
  for (int64_t M : {1, 5, 6, 13}) {
    for (int64_t Nc : {1, 3, 4, 8, 17, 64, 70}) {
      for (int64_t K : {1, 7, 13}) {
        for (const bool lower : {false, true}) {
          for (const float beta : {0.0f, 0.75f}) {
            const int64_t a_rs = K + 2, ldb = Nc + 1, ldc = Nc + 3;
            auto A = random_vec(static_cast<size_t>(M * a_rs), static_cast<uint32_t>(M + K));
            if (lower)  // the kernels may skip or include A[i, k > i], which the contract makes zero
              for (int64_t i = 0; i < M; ++i)
                for (int64_t k = i + 1; k < K; ++k) A[static_cast<size_t>(i * a_rs + k)] = 0.0f;
            const auto B = random_vec(static_cast<size_t>(K * ldb), static_cast<uint32_t>(Nc + K));
            const auto C0 = random_vec(static_cast<size_t>(M * ldc), static_cast<uint32_t>(M * Nc));
            std::vector<float> want(C0), got(C0);
            seq_gemm_reference(M, Nc, K, A.data(), a_rs, 1, B.data(), ldb, want.data(), ldc, beta, lower);
            gemm(M, Nc, K, A.data(), a_rs, 1, B.data(), ldb, got.data(), ldc, beta, lower);
            if (std::memcmp(got.data(), want.data(), want.size() * sizeof(float)) != 0) mismatch(M, Nc, K, lower, beta);
          }
        }
      }
    }
  }
}

}  // namespace nt::test
