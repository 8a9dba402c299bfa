// The fast linear layer: picks a route for the weight's storage type and the instruction set, prepares the
// activations once per call (ggml's q8_0 / q8_K quantization for the integer routes, fp32 otherwise), and hands
// row blocks of the output to the thread pool. Reached through nt::linear() (ops/linear.h); exposed here so
// tests and benchmarks can run one instruction set's kernels explicitly.
//
// Routes (weight type -> activations, dot product):
//   Q8_0, Q4_0         -> q8_0, integer dot per 32-block, one fp32 multiply-add per block (ggml's vec_dot)
//   Q4_K, Q6_K         -> q8_K, ggml's K-quant integer dots per super-block
//   F32, BF16, F16     -> fp32, weights widened in registers, FMA
//   ModelOpt FP8/NVFP4 -> fp32 (NVFP4: in pair order), exact weight values decoded in registers, FMA; the scale
//                         that is constant over a row (per tensor / channel) multiplies the finished sum
//   any other type     -> fp32: a tile of rows converted by convert_rows, then the F32 kernel ("convert")
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/thread_pool.h"
#include "model/weights.h"
#include "quant/blocks.h"

namespace nt::kernels {

// kAvx512: AVX-512 F/BW/VL + VNNI kernels for the Q8_0, Q4_0, Q4_K and Q6_K routes (bitwise the AVX2 results)
// and the ModelOpt FP8 / NVFP4 routes, the AVX2 kernels for the rest.
// kNeon: AArch64 Advanced SIMD + dotprod kernels for the Q8_0 and Q4_0 routes (bitwise the AVX2 results), the
// portable kernels for the rest.
enum class Isa { kScalar, kAvx2, kAvx512, kNeon };

// The best instruction set cpu_features() allows (NEMOTRON_ISA caps it).
Isa best_isa();
bool isa_available(Isa isa);
const char* isa_name(Isa isa);

// y[T, out] = x[T, in] · Wᵀ (+ b) with the kernels of `isa`, which must be available.
void linear_fast(const Linear& l, const float* x, int64_t T, float* y, ThreadPool& pool, Isa isa);

// Several independent linear layers in one round of the pool (their row blocks share one work queue), each with
// exactly the results linear_fast gives it alone. For many small matrices, e.g. the experts a token selects.
void linear_fast_many(std::span<const LinearCall> calls, ThreadPool& pool, Isa isa);

// The route linear_fast takes for this weight, e.g. "avx2/q8_0", "scalar/convert(q5_K)", "avx512/q4_0x16" (packed).
struct PackedWeight;
std::string route_name(const TensorView& w, Isa isa);
std::string route_name(const Linear& l, Isa isa);
std::string route_name(const TensorView& w, Isa isa, const PackedWeight* packed);

// True if this weight's route (without a packed copy) has its tile kernel read the stored rows in place, i.e.
// neither converts them first nor reads ModelOpt side tensors next to them.
bool route_reads_stored_rows(const TensorView& w, Isa isa);

// Activation quantization to ggml's q8_0, split layout: x [n] -> qs [n], d [n / 32]. n % 32 == 0.
void quantize_act_q8_0(Isa isa, const float* x, int64_t n, int8_t* qs, float* d);
// Activation quantization to ggml's q8_K: x [n] -> out [n / 256], byte-identical to quant::quantize_row_q8_K.
void quantize_act_q8_K(Isa isa, const float* x, int64_t n, BlockQ8_K* out);
// Act::q8k_bsum2 of one token: q [nb] -> out [nb, 4], pair p of a super-block = the int16 sums of its 32-element
// chunks 2p (low half) and 2p + 1 (high half).
void q8k_pair_sums(const BlockQ8_K* q, int64_t nb, int32_t* out);

}  // namespace nt::kernels
