// SIMD writers of the packed group layouts (kernels/packed_weight.h) for whole groups of 16 stored rows: the bytes
// of pack_groups' portable writer, record by record. Prefill repacks the routed experts it multiplies (they stay
// memory-mapped), every step, so the writer's speed is part of a 30B-A3B prefill.
// This header is included by the per-ISA files, so it holds only plain declarations.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nt::kernels::avx512 {
// Rows row0 + j · row_bytes (j < 16) of nb blocks each (ggml block_q4_0 / block_q8_0) -> nb kQ4_0Rows16 /
// kQ8_0Rows16 records at out.
void pack_q4_0_group(const uint8_t* row0, size_t row_bytes, int64_t nb, uint8_t* out);
void pack_q8_0_group(const uint8_t* row0, size_t row_bytes, int64_t nb, uint8_t* out);
}  // namespace nt::kernels::avx512
