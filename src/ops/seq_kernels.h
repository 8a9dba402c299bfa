// Inner kernels of the sequence ops (Mamba conv/scan, attention, norms), one set per instruction set, picked
// at run time. The drivers in ssm.cc / attention.cc / norm.cc split the work across threads and call these on
// raw pointers. Every kernel computes each output element with a fixed sequence of operations that does not
// depend on how rows or columns are blocked, so results do not depend on the thread count nor on which other
// rows share a call.
#pragma once

#include <cstdint>

namespace nt::kernels {

struct SeqKernels {
  const char* name;

  // C[i, j] = beta·C[i, j] + Σ_k A[i·a_rs + k·a_cs] · B[k·ldb + j] for i < M, j < Nc, k < K.
  // beta == 0 writes C without reading it. With `lower`, A must be zero where k > i (the kernel may skip or
  // include those terms).
  void (*gemm)(int64_t M, int64_t Nc, int64_t K, const float* A, int64_t a_rs, int64_t a_cs, const float* B,
               int64_t ldb, float* C, int64_t ldc, float beta, bool lower);

  // L[t, s] = CB[t, s] · exp(cum[t] − cum[s]) for s ≤ t, 0 for s > t; t, s < q. Rows of CB / L have stride ld.
  void (*decay_mask)(int64_t q, const float* cum, const float* CB, float* L, int64_t ld);

  // Recurrence of one Mamba head over T tokens (spec §5.4). S: [P, N], updated. Token t reads x + t·xs ([P]),
  // B + t·bs, C + t·bs ([N]) and writes y + t·ys ([P]). dt[t] = Δ_t, dA[t] = exp(Δ_t·A).
  void (*scan_head)(int64_t P, int64_t N, int64_t T, float* S, const float* x, int64_t xs, const float* B,
                    const float* C, int64_t bs, const float* dt, const float* dA, float D, float* y, int64_t ys);

  // Causal depthwise conv + SiLU for channels [c0, c1) over T rows. Window row r: r < K−1 → state + r·C,
  // else in + (r − K + 1)·in_stride. out: [T, C]; then state ← the last K−1 window rows (for those channels).
  // w: [C, K], b: [C].
  void (*conv_silu)(int64_t c0, int64_t c1, int64_t T, int64_t C, int64_t K, const float* in, int64_t in_stride,
                    float* state, const float* w, const float* b, float* out);

  // s[r·lds + j] = scale · (q[r·dh ..] · k[j·ks ..]) for r < R, j < nj.
  void (*qk_scores)(int64_t R, int64_t nj, int64_t dh, const float* q, const float* k, int64_t ks, float scale,
                    float* s, int64_t lds);

  // p[j] = exp(x[j] − m) for j < valid, 0 for valid ≤ j < n (n ≤ a multiple of 8 the buffers hold). Returns Σ p
  // summed in a fixed order that zero entries do not change.
  float (*exp_shift_sum)(int64_t n, int64_t valid, const float* x, float m, float* p);

  // Σ x[i]² in double.
  double (*sum_squares)(const float* x, int64_t n);
  // out[i] = w[i] · (x[i] · scale).
  void (*scale_mul)(const float* x, const float* w, float scale, int64_t n, float* out);
  // out[i] = y[i] · silu(z[i]); returns Σ out[i]² in double.
  double (*gate_silu_ss)(const float* y, const float* z, int64_t n, float* out);
  // h[i] = max(h[i], 0)² in place (x > 0 ? x² : 0, so NaN gives 0).
  void (*relu_sq)(float* h, int64_t n);
  // out[i·ldo + j] = w_j · x_i (w_j = w + j·ldw, x_i = x + i·ldx, n terms) for i < nx, j < nw, each in the operation
  // order of dot_f32 (ops/linear.h): 16 lane sums over the whole steps of 16 (a multiply, then an add), a
  // sequential sum of the rest, then that sum plus lanes 0..15 in order. So every set gives dot_f32's bits. (The MoE
  // router's logits: a gate row is read once for several tokens.)
  void (*dots)(int64_t nx, int64_t nw, int64_t n, const float* x, int64_t ldx, const float* w, int64_t ldw, float* out,
               int64_t ldo);
};

namespace scalar {
extern const SeqKernels kSeqKernels;
}
#if defined(NEMOTRON_X86)
namespace avx2 {
extern const SeqKernels kSeqKernels;
}
namespace avx512 {
// The AVX2 set with its GEMM on 512-bit registers (bitwise the same results).
SeqKernels with_avx512_gemm(const SeqKernels& avx2_set);
}
#endif
#if defined(NEMOTRON_NEON)
namespace neon {
// The portable set with its GEMM on NEON registers (bitwise the AVX2 GEMM's results).
SeqKernels with_neon_gemm(const SeqKernels& portable_set);
}
#endif

// The best set this CPU allows (after the NEMOTRON_ISA cap).
const SeqKernels& seq_kernels();

// Every set usable on this CPU, scalar first (for tests and benchmarks). Returns the count written (≤ 4).
int available_seq_kernels(const SeqKernels** out, int max);

}  // namespace nt::kernels
