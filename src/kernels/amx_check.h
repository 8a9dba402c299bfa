// Whether the AMX prefill kernels (gemm.h's amx::) may run: the CPU and OS allow AMX int8 (cpu_features(), which
// NEMOTRON_ISA=avx512 turns off), and a self-check gave bitwise the VNNI kernels' results on fixed problems.
// The self-check runs once per process, in a forked child: a kernel that faulted there (a tile configuration the
// CPU rejects, a missing OS permission) costs the child, not the engine, and the engine then keeps to the VNNI
// kernels with a warning on stderr.
#pragma once

#include <span>

#include "kernels/gemm.h"
#include "quant/ggml_type.h"

namespace nt::kernels {

bool amx_kernels_ready();

// One case of the self-check: two tile kernels of type's packed layout (Q8_0, Q4_0 or Q4_K), and the route name
// linear() gives the candidate.
struct KernelPair {
  GgmlType type;
  TileFn reference;
  TileFn candidate;
  const char* route = "";
};

// Each AMX prefill kernel next to the AVX-512 VNNI kernel of the same packed layout that it must equal bitwise
// (empty in builds without the x86 kernels). The one list that the self-check, linear()'s route choice
// (kernels/linear_fast.cc) and the prefill roofline (perf/machine_roofline.h) read.
std::span<const KernelPair> amx_kernel_pairs();
// The pair whose reference is `vnni`, or null.
const KernelPair* amx_twin(TileFn vnni);
// True if the packed prefill of `type` runs on AMX tiles here (amx_kernels_ready() and a pair of that type).
bool amx_covers(GgmlType type);

// The self-check itself: in a child process, each case's candidate against its reference on 40 rows × 37 tokens ×
// 352 inputs (768 for Q4_K) of fixed pseudo-random data, with the Act fields the AVX-512 kernels of the type take.
// True if the child exited normally with every output bitwise equal; otherwise *why (if given) says what went
// wrong. Needs AVX-512 VNNI (the packed Q4_K layout).
bool packed_kernels_agree(std::span<const KernelPair> cases, const char** why = nullptr);

}  // namespace nt::kernels
