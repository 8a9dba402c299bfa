// Whether the AMX prefill kernels (gemm.h's amx::) may run: the CPU and OS allow AMX int8 (cpu_features(), which
// NEMOTRON_ISA=avx512 turns off), and a self-check gave bitwise the VNNI kernels' results on a fixed problem.
// The self-check runs once per process, in a forked child: a kernel that faulted there (a tile configuration the
// CPU rejects, a missing OS permission) costs the child, not the engine, and the engine then keeps to the VNNI
// kernels with a warning on stderr.
#pragma once

#include "kernels/gemm.h"

namespace nt::kernels {

bool amx_kernels_ready();

// The self-check itself: in a child process, candidate_q8 / candidate_q4 against reference_q8 / reference_q4 (tile
// kernels of the packed Q8_0 / Q4_0 layouts, taking Act::ybias with c = 128 / 8) on 40 rows × 352 inputs × 37
// tokens of fixed pseudo-random data. True if the child exited normally with every output bitwise equal;
// *why (if given) then says what went wrong otherwise. Needs AVX2 (the activations' block sums).
bool packed_kernels_agree(TileFn reference_q8, TileFn candidate_q8, TileFn reference_q4, TileFn candidate_q4,
                          const char** why = nullptr);

}  // namespace nt::kernels
