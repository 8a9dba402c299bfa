// Tile kernels behind the fast linear layer (ops/linear.h, kernels/linear_fast.h), one set per instruction set.
//
// A tile computes y[t * ldy + r] = dot(weight row r, activation row t0 + t) for r < nr, t < nt. Weight rows are
// `w_stride` bytes apart in their stored type (or fp32 for the *_f32 kernels). The contract that makes batching
// safe: every output element is computed by one fixed sequence of floating-point operations that depends only
// on the weight row, the activation row, n_in and the instruction set, never on nr, nt, t0 or the thread. Integer
// block sums are exact; block results are accumulated into the element's own accumulator in block order.
//
// This header is included by the per-ISA files, so it holds only plain types and declarations.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nt::kernels {

// Activations prepared once per linear() call, one row per token.
struct Act {
  int64_t n_in = 0;
  // q8_0 (ggml's block_q8_0, stored split for aligned loads): quants [T, n_in], scales [T, n_in / 32] (the
  // block's fp16 scale, widened to fp32).
  const int8_t* qs = nullptr;
  const float* d = nullptr;
  // SIMD Q8_0 / Q4_0 routes: [T, n_in / 32] int32, per block −c·Σ qs over its 32 quants (block_bias). The weights
  // enter the integer dot products unsigned with an offset c (Q4_0 nibbles q = w + 8: c = 8; VNNI's Q8_0 w + 128:
  // c = 128); a block's integer sum starts from this value, so the offset comes out exactly.
  const int32_t* ybias = nullptr;
  // q8_K: ggml's block_q8_K (BlockQ8_K), [T, n_in / 256].
  const void* q8k = nullptr;
  // Packed Q4_K route: [T, n_in / 256, 4], pair p of a super-block = the int16 sums of its 32-element chunks 2p (low
  // half) and 2p + 1 (high half), from q8k's bsums.
  const int32_t* q8k_bsum2 = nullptr;
  // Packed Q6_K route: [T, n_in / 256, 16], −32 · q8k's bsums (each 16-element sub-block's start value).
  const int32_t* q8k_bias32 = nullptr;
  // fp32: [T, n_in].
  const float* x = nullptr;
  // fp32 in the NVFP4 kernels' column order (pair_order): [T, n_in].
  const float* xp = nullptr;
  // ModelOpt FP8 / NVFP4 weights (the *_fp8 / *_nvfp4 kernels): the weight's row 0 and its scales, as in TensorView
  // (wscale, wscale2). A tile's first row is (w − wq_rows) / w_stride.
  const uint8_t* wq_rows = nullptr;
  const uint8_t* wq_scale = nullptr;
  float wq_scale2 = 1.0f;
};

using TileFn = void (*)(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                        int64_t ldy);

// Portable kernels (every CPU). The integer routes follow quant::vec_dot_* (reference.h) operation for operation.
// (The SIMD Q8_0 / Q4_0 kernels have their own order, below: one fma per block of the exact block total.)
namespace scalar {
void tile_q8_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q4_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q4_K(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q6_K(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// fp32 weight rows (stored F32, or converted by convert_rows) with fp32 activations.
void tile_f32(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// x: [n] -> quants [n], scales [n / 32]; byte-identical to quant::quantize_row_q8_0.
void quantize_q8_0(const float* x, int64_t n, int8_t* qs, float* d);
// The column order of Act::xp: each group of 32 columns (and a last group of 16 when n % 32 == 16) stores its even
// columns, then its odd ones — the order in which a packed NVFP4 byte's low and high nibbles (columns 2j, 2j+1)
// land in the kernels' lanes. x [n] -> out [n], n % 16 == 0.
void pair_order(const float* x, int64_t n, float* out);
}  // namespace scalar

// AVX2 + FMA + F16C kernels (gemm_avx2.cc); only call when cpu_features().avx2.
namespace avx2 {
// Q8_0 and Q4_0 (gemm_q8_0_avx2.cc, gemm_q4_0_avx2.cc). The SIMD kernels of these types (both instruction sets,
// both layouts) share one operation sequence per output element: per block b, the exact integer sum
// s_b = Σ w·y (Q4_0: Σ (q − 8)·y), then acc = fma(float(s_b), d_w·d_y, acc) in block order from acc = 0. So AVX2
// and AVX-512 agree bit for bit, and a packed weight gives the results of its stored rows.
void tile_q8_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// Q8_0 in the kQ8_0Rows16 layout (kernels/packed_weight.h); w and w_stride as for tile_q4_0_packed.
void tile_q8_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_q4_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// Q4_0 in the kQ4_0Rows16 layout (kernels/packed_weight.h): w is the group holding the tile's first row (which
// is a multiple of 16), w_stride the group stride.
void tile_q4_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// Q5_0 stored rows (gemm_q4_0_avx2.cc), the Q4_0 sequence with s = Σ (q − 16)·y (Act::ybias with c = 16); also the
// AVX-512 route's kernel (an AVX-512 variant with the fifth bits as byte masks was slower: 13.7 against 15.8 GB/s of
// Q5_0 on one core in L2).
void tile_q5_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// Q4_1 / Q5_1 stored rows (x = d·q + m; gemm_q4_0_avx2.cc), also the AVX-512 route's kernels: per block the exact
// s = Σ q·y, then acc = fma(float(s), d_w·d_y, acc) and acc = fma(m_w, d_y·Σy, acc), Σy from Act::ybias with c = 1.
// llama-quantize writes Q5_1 for a Q5_K tensor whose rows are not whole 256-blocks (the routed experts of the
// Q5_K_M Nemotron-3-Nano-30B-A3B files).
void tile_q4_1(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q5_1(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// gemm_kquant_avx2.cc. The SIMD K-quant kernels (both instruction sets, stored rows and the packed layouts) share one
// operation sequence per output element: per super-block the exact integers S and M, Q4_K S = Σ_c sc_c·Σ q·y and
// M = Σ_c m_c·Σ y over its 8 chunks of 32, Q6_K S = Σ_j sc_j·(Σ q·y − 32·Σ y) over its 16 sub-blocks of 16 and
// M = 0; then acc = fma(float(S), d·dy, acc) and accm = fma(float(M), dmin·dy, accm) from 0 in super-block order
// (Q6_K dmin = 0), y = acc − accm.
void tile_q4_K(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// Q4_K in the kQ4_KRows16 layout (gemm_q4_K_avx2.cc), as avx512::tile_q4_K_packed: Act::q8k and Act::q8k_bsum2;
// bitwise tile_q4_K on the stored rows. tile_q5_K_packed: the same for Q5_K in kQ5_KRows16, bitwise tile_q5_K.
void tile_q4_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_q5_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// Q5_K: the Q4_K sequence with 5-bit quants (also the AVX-512 route's stored-row kernel).
void tile_q5_K(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q6_K(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// Q6_K in the kQ6_KRows16 layout (gemm_q6_K_avx2.cc): Act::q8k (neither bsum2 nor bias32); bitwise tile_q6_K on the
// stored rows.
void tile_q6_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_f32(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_bf16(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_f16(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void quantize_q8_0(const float* x, int64_t n, int8_t* qs, float* d);
// x: [n] (n % 256 == 0) -> n / 256 BlockQ8_K at out; byte-identical to quant::quantize_row_q8_K.
void quantize_q8_K(const float* x, int64_t n, uint8_t* out);
// ModelOpt weights against fp32 activations (gemm_fp_avx2.cc): FP8 takes Act::x, NVFP4 Act::xp; both Act::wq_*.
void tile_fp8(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_nvfp4(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// qs [n] (q8_0 quants) -> bias [n / 32] = −c · Σ of each block's 32 quants, Act::ybias.
void block_bias(const int8_t* qs, int64_t n, int32_t c, int32_t* bias);
}  // namespace avx2

// AVX-512 F/BW/VL + VNNI kernels; only call when cpu_features().avx512 and avx512_vnni. The Q8_0 / Q4_0 kernels
// (gemm_q8_0_avx512.cc, gemm_q4_0_avx512.cc) and Q4_K / Q6_K kernels (gemm_kquant_avx512.cc) give bitwise the
// results of the AVX2 kernels of the same name (same per-element operations, wider registers).
namespace avx512 {
void tile_q8_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q8_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_q4_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q4_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// gemm_kquant_avx512.cc (AVX-512 BW + VNNI; the integer work of gemm_kquant_avx2.cc in wider registers)
void tile_q4_K(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q6_K(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
// Q4_K in the kQ4_KRows16 layout (gemm_q4_K_avx512.cc); w and w_stride as for tile_q4_0_packed. Takes Act::q8k and
// Act::q8k_bsum2; bitwise the results of tile_q4_K (both instruction sets) on the stored rows.
void tile_q4_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// Q5_0 in the kQ5_0Rows16 layout (gemm_q4_0_avx512.cc), as tile_q4_0_packed with Act::ybias for c = 16; bitwise the
// AVX2 tile_q5_0 on the stored rows.
void tile_q5_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// Q5_K in the kQ5_KRows16 layout (gemm_q4_K_avx512.cc), as tile_q4_K_packed; bitwise the AVX2 tile_q5_K.
void tile_q5_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// Q6_K in the kQ6_KRows16 layout (gemm_q6_K_avx512.cc), as tile_q4_K_packed with Act::q8k_bias32 (not q8k_bsum2).
void tile_q6_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
// ModelOpt FP8 / NVFP4 (gemm_fp_avx512.cc), as the AVX2 kernels of the same name take them; their own operation
// order (16 lanes), so not bitwise the AVX2 results.
void tile_fp8(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_nvfp4(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
}  // namespace avx512

// AMX int8 kernels (gemm_amx.cc, gemm_amx_impl.h) for the packed Q8_0, Q4_0 and Q4_K layouts, bitwise the results of
// the avx512 kernels of the same name: whole tiles of 16 tokens on the tile unit, the rest of the tokens (and decode)
// through those kernels, so they take the Act fields those do. Only call when amx_kernels_ready() (amx_check.h).
namespace amx {
void tile_q4_K_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_q8_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
void tile_q4_0_packed(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy);
}  // namespace amx

// AArch64 Advanced SIMD + dotprod kernels (gemm_neon.cc): stored Q8_0 / Q4_0 rows against q8_0 activations, and
// F32 / BF16 / F16 rows (or converted ones, F32) against fp32 activations; only call when cpu_features().neon_dotprod.
// Bitwise the results of the AVX2 kernels of the same name.
namespace neon {
void tile_f32(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_bf16(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_f16(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q8_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
void tile_q4_0(const uint8_t* w, size_t w_stride, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy);
}  // namespace neon

}  // namespace nt::kernels
