// Packed copies of weights kept in a file: written once, then memory-mapped on every load. For the routed MoE
// experts of a model whose packed copies do not fit the anonymous packing budget (packed_weight.h): their pages are
// then page cache, which the kernel may evict and re-read, and the packing cost is paid only by the first load.
//
// File layout (little-endian):
//   header: "NTPACKED" | u32 format version | u32 0 | u64 data offset | u64 key bytes | key | u64 weight count |
//           per weight: u8 layout, 7 zero bytes, i64 rows, i64 cols, u64 offset, u64 bytes
//   zero bytes up to the data offset (a 2 MiB boundary), then each weight's packed bytes at its offset (64-byte
//   aligned, in the order given). The file's size is the last weight's end.
// A file is used only when its header equals, byte for byte, the header that `key` and the weights' packed shapes
// give, and its size is the one they give; anything else (another model or build, a truncated or damaged file) is
// replaced. The file is written under a temporary name, flushed to disk and renamed, so a reader never sees a
// partial one.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "core/status.h"
#include "core/thread_pool.h"
#include "model/weights.h"

namespace nt::kernels {

// What a cache file holds: its path and the identity of the weights' source (the loader's key: the model files'
// paths, sizes and modification times).
struct PackedFileSpec {
  std::string path;
  std::string key;
};

// Maps spec.path if it holds the packed copies of `weights` (each with a group layout: has_group_layout) for
// spec.key; otherwise writes it first (the missing directories too), packing on the pool, when the file system keeps
// at least 2 GiB free beside it. Temporary files of writers that died are removed then. On success each
// weight's `packed` points into the mapping, *wrote says whether the file was written. On error (no space, an
// unwritable directory, an I/O error) nothing is changed and no temporary file is left. While the file is written,
// `packed(l)` is called (from the pool's threads) after each weight l has been read and written, so the caller can
// drop its source pages at once: the file and the source need not both fit in the page cache.
Status map_packed_file(std::span<Linear* const> weights, const PackedFileSpec& spec, ThreadPool& pool, bool* wrote,
                       const std::function<void(const Linear&)>& packed = {});

}  // namespace nt::kernels
