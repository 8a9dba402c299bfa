// Streamed safetensors writing: the header is built from names, dtypes and shapes alone, then each tensor's bytes
// are produced one block of rows at a time, so a checkpoint of any size is written in a few MiB of memory.
//
// A Hugging Face checkpoint directory is written as one model.safetensors, or, above `max_shard_bytes`, as
// model-00001-of-0000N.safetensors ... plus model.safetensors.index.json ({"metadata": {"total_size"},
// "weight_map": {tensor: shard}}), the way transformers' save_pretrained shards: tensors in the given order, a new
// shard when the next tensor would overflow the current one (a tensor larger than the limit gets a shard alone).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "core/thread_pool.h"

namespace nt {

// One tensor whose bytes are produced on demand. Seen as [rows, last dim]: rows = product of the leading
// dimensions (1 for a scalar or a vector), each row row_bytes() long.
struct StreamedTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // PyTorch order
  // Optional, run once before the first row (e.g. a pass over the source for a tensor-wide scale).
  std::function<Status(ThreadPool&)> prepare;
  // Writes rows [row, row + count) to out ([count, row_bytes()]). Called from several threads at once with
  // disjoint row ranges.
  std::function<void(int64_t row, int64_t count, uint8_t* out)> fill;
  // Optional, run once after the last row was written.
  std::function<void()> done;

  int64_t numel() const;
  int64_t rows() const;
  size_t row_bytes() const;
  uint64_t nbytes() const { return static_cast<uint64_t>(numel()) * dtype_size(dtype); }
};

// Writes one safetensors file: header (padded with spaces to a multiple of 8 bytes), then the tensors in order.
Status write_safetensors_streamed(const std::string& path, const std::vector<StreamedTensor>& tensors,
                                  const std::map<std::string, std::string>& metadata, ThreadPool& pool);

struct CheckpointWriteOptions {
  uint64_t max_shard_bytes = 5'000'000'000;  // transformers' default max_shard_size, "5GB"
  std::map<std::string, std::string> metadata = {{"format", "pt"}};
};

// Writes the weights of a Hugging Face checkpoint into `dir` (created if needed). Files of an earlier checkpoint
// with the names this writer uses (model.safetensors, model-*-of-*.safetensors, model.safetensors.index.json) are
// removed first, so a stale index or shard can never be loaded with the new weights.
Status write_safetensors_checkpoint(const std::string& dir, const std::vector<StreamedTensor>& tensors,
                                    const CheckpointWriteOptions& options, ThreadPool& pool);

}  // namespace nt
