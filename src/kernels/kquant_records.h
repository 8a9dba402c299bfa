// Byte offsets inside the packed K-quant records (the kQ4_KRows16, kQ5_KRows16 and kQ6_KRows16 layouts that
// kernels/packed_weight.h describes and writes), shared by every instruction set's kernels for them. Constants only,
// so the per-ISA files can include it.
#pragma once

#include <cstddef>

namespace nt::kernels::kquant_records {

// kQ4_KRows16 / kQ5_KRows16: one group of 16 rows, one super-block of 256 inputs.
constexpr size_t kQ4Record = 2368;
constexpr size_t kQ5Record = 2368 + 8 * 64;  // kQ5_KRows16: 8 qh columns too (k: row r at 4r = qh[4k ..])
constexpr size_t kQ4Scales = 64;   // 8 × 16 bytes: scale of chunk c, rows 0..15
constexpr size_t kQ4Mins = 192;    // 4 × 32 bytes: row r at 2r, 2r + 1 = mins of chunks 2p, 2p + 1
constexpr size_t kQ4Quants = 320;  // 32 × 64 bytes: chunk pair i, column k: row r at 4r = qs[32i + 4k ..]

// Offset of quant column (i, k) in a record. kQ5_KRows16 puts qh column k right after quant column (0, k), so the
// first pass over the chunk pairs reads the record in order (with the qh columns at its end the record streamed at
// 24-25 GB/s on 2 threads, and at 18-19 with them all before the quants).
template <bool kFive>
constexpr size_t quant_column(int i, int k) {
  if (!kFive) return kQ4Quants + 64 * (8 * i + k);
  return i == 0 ? kQ4Quants + 128 * k : kQ4Quants + 1024 + 64 * (8 * (i - 1) + k);
}
// Offset of qh column k (k < 8) in a kQ5_KRows16 record.
constexpr size_t qh_column(int k) { return kQ4Quants + 128 * k + 64; }

// kQ6_KRows16: one group of 16 rows, one super-block.
constexpr size_t kQ6Record = 3360;
constexpr size_t kQ6Scales = 32;  // 16 × 16 bytes: sub-block j's scale (int8) of row r at 16j + r
// Then 16 triples of quant columns in the order the kernels read them (one sequential stream: with ql and qh in
// separate regions the record streamed from DRAM at 17 GB/s on 2 threads, against 24-34 for the stored rows):
// triple 8h + k holds elements 4k .. 4k + 3 of chunks 4h .. 4h + 3.
constexpr size_t kQ6Quants = 288;
constexpr size_t kQ6Triple = 3 * 64;

constexpr size_t kQ8KBytes = 292;  // BlockQ8_K: float d, int8 qs[256], int16 bsums[16] (at 260)

}  // namespace nt::kernels::kquant_records
