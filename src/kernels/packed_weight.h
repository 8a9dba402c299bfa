// Weights copied at load into a layout made for one fast kernel, next to (not instead of) the stored tensor:
// Linear::packed. The stored TensorView stays valid (the reference route, convert_rows and exports read it).
//
//   kQ4_0Rows16 (SIMD Q4_0 routes): rows in groups of 16; for group g and block b (32 inputs) one 288-byte record:
//     the 16 rows' fp16 scales (32 bytes), then 4 chunks of 64 bytes, chunk k holding quant bytes 4k..4k+3 of row
//     r at bytes 4r..4r+3. So one 512-bit load gives 16 rows × 4 bytes (elements 4k..4k+3 in the low nibbles,
//     16+4k..16+4k+3 in the high ones), an integer dot product lane per row, and each row's block total lands in
//     its own lane without any horizontal sum. A last group with fewer than 16 rows is zero-padded. The
//     per-element operations are those of the stored-layout kernels (gemm.h), so a packed weight gives bitwise
//     the results of the unpacked one.
//   kQ8_0Rows16 (SIMD Q8_0 routes): the same with 8 chunks of 64 bytes (a Q8_0 block has 32 weight bytes): per
//     group and block 544 bytes, chunk k holding weight bytes 4k..4k+3 of row r at bytes 4r..4r+3.
//   kQ5_0Rows16 (AVX-512 Q5_0 route): as kQ4_0Rows16 with each row's qh word (its 32 fifth bits) at 32 + 4r between
//     the scales and the quant columns: 352 bytes per group and block, 22 per row as stored.
//   kQ4_KRows16 (AVX-512 and AVX2 Q4_K routes): rows in groups of 16; for group g and super-block b (256 inputs) one
//     2368-byte record: the 16 rows' fp16 d (32 bytes) and dmin (32), their 6-bit scales unpacked to bytes (8 × 16:
//     chunk c's scale of row r at 64 + 16c + r), their mins in pairs (4 × 32: row r at 192 + 32p + 2r holds the mins
//     of chunks 2p, 2p + 1), then 32 quant columns of 64 bytes (column 8i + k holds quant bytes 32i + 4k .. 32i + 4k + 3
//     of row r at bytes 4r..4r+3: elements 4k.. of chunk 2i in the low nibbles, of chunk 2i + 1 in the high ones).
//     148 bytes per row and super-block against 144 stored. Gives bitwise the stored-row results (gemm.h's Q4_K
//     sequence adds each super-block's exact integer totals).
//   kQ5_KRows16 (AVX-512 and AVX2 Q5_K routes): the kQ4_KRows16 record with 8 columns of 64 bytes of fifth bits, qh
//     column k right after quant column k (k < 8), so the kernel reads the record front to back (qh column k holds qh
//     bytes 4k .. 4k + 3 of row r at 4r..4r+3; bit c of qh byte l is element l of chunk c). 180 bytes per row and
//     super-block against 176 stored.
//   kQ6_KRows16 (AVX-512 and AVX2 Q6_K routes): rows in groups of 16; for group g and super-block b one 3360-byte
//     record: the 16 rows' fp16 d (32 bytes), their int8 scales (16 × 16: sub-block j's scale of row r at
//     32 + 16j + r), then 16 triples of 64-byte quant columns in reading order: triple 8h + k holds elements
//     4k .. 4k + 3 of the four 32-element chunks 4h .. 4h + 3 (6-bit quants q0..q3, row r at 4r..4r+3 of each
//     column), column c's byte = q_c | (bits 2c, 2c + 1 of q3) << 6, so three chunks unpack with one AND each and the
//     fourth from the columns' top bits. 210 bytes per row and super-block, as stored.
//   kStoredRows (types without a packed layout whose fast route reads the stored rows, e.g. BF16, Q4_1, Q5_1): the
//     stored rows byte for byte, copied into 2 MiB pages. A pass over the weight then takes 1/512 of the TLB misses
//     it takes over the mapped file's 4 KiB pages; on a virtual machine with shadow page tables a refill can cost
//     an exit to the hypervisor. Measured on the 8B shape (2-core VM): the Q6_K output head, 440 MB, read in
//     13.7 ms per decode step from the copy against 23-33 ms from the file, and 35 ms against 72-79 ms for an
//     8-sequence batched step. Only for weights of at least one huge page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/thread_pool.h"
#include "formats/tensor_view.h"
#include "kernels/packed_file.h"
#include "model/weights.h"

namespace nt::kernels {

enum class PackedLayout : uint8_t {
  kQ4_0Rows16,
  kQ8_0Rows16,
  kQ5_0Rows16,
  kQ4_KRows16,
  kQ5_KRows16,
  kQ6_KRows16,
  kStoredRows
};

constexpr int64_t kPackedGroupRows = 16;
constexpr size_t kQ4_0Rows16Record = 32 + 4 * 64;  // per group and block: 16 fp16 scales, 4 quant chunks
constexpr size_t kQ8_0Rows16Record = 32 + 8 * 64;  // ... 8 weight chunks
constexpr size_t kQ5_0Rows16Record = 32 + 64 + 4 * 64;  // ... 16 fp16 scales, the qh column, 4 quant columns
constexpr size_t kQ4_KRows16Record = 64 + 128 + 128 + 32 * 64;  // per group and super-block: d, dmin, scales, mins, quants
constexpr size_t kQ5_KRows16Record = kQ4_KRows16Record + 8 * 64;  // ... and 8 qh columns
constexpr size_t kQ6_KRows16Record = 32 + 256 + 32 * 64 + 16 * 64;  // ... d, scales, ql columns, qh columns

struct PackedWeight {
  PackedLayout layout = PackedLayout::kQ4_0Rows16;
  int64_t rows = 0, cols = 0;
  size_t group_bytes = 0;  // one group of kPackedGroupRows rows, all blocks (kStoredRows: one stored row)
  uint8_t* data = nullptr;  // [ceil(rows / kPackedGroupRows), group_bytes], 64-byte aligned (kStoredRows: [rows, row])
  size_t bytes = 0;
  std::shared_ptr<uint8_t> storage;  // owns data: its own allocation, or the arena of all the model's packed weights
  bool in_file = false;  // data lies in the read-only mapping of a packed-weights file (kernels/packed_file.h)
};

// True if linear() on this CPU would use a packed copy of w: the fast route is on and the ISA has a packed kernel
// for w's type, or w's route reads the stored rows and w fills at least one huge page (kStoredRows).
bool packing_applies(const TensorView& w);

// Bytes of w's packed copy (0 when packing_applies(w) is false).
size_t packed_size(const TensorView& w);

// True if w's type has a packed layout with SIMD kernels on this CPU (Q4_0 / Q8_0 rows of whole 32-blocks:
// kQ4_0Rows16 or kQ8_0Rows16; Q4_K / Q5_K / Q6_K rows of whole 256-blocks: kQ4_KRows16 / kQ5_KRows16 /
// kQ6_KRows16; with AVX-512 VNNI also Q5_0: kQ5_0Rows16), whatever the route and memory policy.
bool has_group_layout(const TensorView& w);
// For such a w: the layout and group_bytes of its packed copy (data null), and groups [g0, g1) of that copy written
// to dst ((g1 − g0) · group_bytes bytes) on the calling thread. Prefill packs the row blocks of weights that were
// not packed at load (routed experts) this way, just before multiplying them (kernels/linear_fast.cc).
// With `simd`, whole Q4_0 / Q8_0 groups go through the AVX-512 writer where the CPU has it (kernels/pack_simd.h),
// the same bytes as the portable one.
PackedWeight group_layout(const TensorView& w);
void pack_groups(const TensorView& w, int64_t g0, int64_t g1, uint8_t* dst, bool simd = true);

// The packed copy of w in its own allocation (null when packing_applies(w) is false or memory runs out).
std::shared_ptr<const PackedWeight> pack_weight(const TensorView& w, ThreadPool& pool);

struct PackModelOptions {
  // Pack the routed MoE experts too: into the anonymous arena when all of them fit in what the budget leaves after
  // the other weights, else into expert_file when it has a path.
  bool pack_experts = false;
  // A file of the experts' packed copies (kernels/packed_file.h), written by the first load and memory-mapped by
  // the later ones. Empty path: experts that do not fit the budget stay memory-mapped as stored rows.
  PackedFileSpec expert_file{};
  // Use expert_file even when the experts would fit the budget (their pages stay evictable page cache).
  bool experts_to_file = false;
  // Called instead of `release` for each expert just packed into a newly written expert_file: drops its stored
  // pages from the page cache too (TensorStore::release_pages with reclaim), which later loads no longer read.
  std::function<void(const uint8_t*, size_t)> reclaim{};
};

// Packs the Linears of the model that packing applies to while the packed bytes stay within half the machine's
// physical memory; release(p, n) is then called with the stored bytes of each packed weight (the loader drops the
// file pages, so the weight is not resident twice). Routed MoE experts are packed only with `pack_experts` and only all
// together (see PackModelOptions); otherwise they stay memory-mapped as stored rows (a token reads only its top-k,
// and mapped pages can be evicted and re-read).
// Packed experts decode faster (30B-A3B Q4_0, 2 threads: 48 against 38 GB/s) but take load time (about 11 s for
// 15.5 GB on 2 cores) and, in the arena, stay in anonymous memory.
// All the arena's copies share one allocation in 2 MiB pages: a weight smaller than a huge page, or one that would
// waste much of its last page (a 2.8 MB expert, a 6 MB projection), is then read through huge pages too. Returns
// the number of packed weights.
int64_t pack_model_weights(ModelWeights& w, const std::function<void(const uint8_t*, size_t)>& release,
                           ThreadPool& pool, const PackModelOptions& opts = {});

}  // namespace nt::kernels
