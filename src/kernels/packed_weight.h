// Weights copied at load into a layout made for one fast kernel, next to (not instead of) the stored tensor:
// Linear::packed. The stored TensorView stays valid (the reference route, convert_rows and exports read it).
//
//   kQ4_0Rows4 (AVX2 Q4_0 route): rows in groups of 4; for group g and block b (32 inputs) 72 bytes: the 4 rows'
//     fp16 scales (8 bytes), then each row's 16 quant bytes (rows 4g .. 4g+3 in order). A last group with fewer
//     than 4 rows repeats its last row. One contiguous stream per group instead of four row streams, and the
//     group's scales in one load: the per-element operations are unchanged (gemm.h contract), so a packed
//     weight gives bitwise the results of the unpacked one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/thread_pool.h"
#include "formats/tensor_view.h"
#include "model/weights.h"

namespace nt::kernels {

enum class PackedLayout : uint8_t { kQ4_0Rows4 };

struct PackedWeight {
  PackedLayout layout = PackedLayout::kQ4_0Rows4;
  int64_t rows = 0, cols = 0;
  size_t group_bytes = 0;  // one group of 4 rows, all blocks
  uint8_t* data = nullptr;  // [ceil(rows / 4), group_bytes], 64-byte aligned
  size_t bytes = 0;
  PackedWeight() = default;
  PackedWeight(const PackedWeight&) = delete;
  PackedWeight& operator=(const PackedWeight&) = delete;
  ~PackedWeight();
};

// True if linear() on this CPU would use a packed copy of w (the fast route is on, the ISA has a packed kernel
// for w's type).
bool packing_applies(const TensorView& w);

// The packed copy of w (null when packing_applies(w) is false).
std::shared_ptr<const PackedWeight> pack_weight(const TensorView& w, ThreadPool& pool);

// Packs the Linears of the model that packing applies to, except routed MoE experts (they stay memory-mapped),
// while the packed bytes stay within half the machine's physical memory; release(p, n) is then called with the
// stored bytes of each packed weight (the loader drops the file pages, so the weight is not resident twice).
// Returns the number of packed weights.
int64_t pack_model_weights(ModelWeights& w, const std::function<void(const uint8_t*, size_t)>& release,
                           ThreadPool& pool);

}  // namespace nt::kernels
