// Safetensors checkpoints: one file, or shards listed by model.safetensors.index.json. Memory-mapped, zero-copy.
//
// File layout: u64 little-endian header length N | N bytes of JSON header | data. The header maps tensor names
// to {"dtype", "shape", "data_offsets": [begin, end]} relative to the data section; "__metadata__" is optional.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"
#include "formats/tensor_view.h"

namespace nt {

// All tensors of a checkpoint, by name. Keeps the mapped files alive.
class TensorStore {
 public:
  // Opens `dir`/model.safetensors.index.json if present, else `dir`/model.safetensors, else the single
  // *.safetensors file in dir. `path` may also be a .safetensors file.
  static Result<TensorStore> open(const std::string& path);
  // Parses one file and adds its tensors (duplicate names across files are an error).
  Status add_file(const std::string& file);

  // Adds a view into memory kept alive by `owner` (GGUF files, converted copies); duplicate names are an error.
  Status add_view(TensorView view, std::shared_ptr<const void> owner);

  // Records [base, base + size) as the read-only mapping of `file` (safetensors files are recorded by add_file;
  // the GGUF loader records its file).
  void add_file_range(const uint8_t* base, size_t size, const std::string& file);
  // Drops this process's page mappings of the whole pages inside [p, p + n) when the range lies in a recorded
  // file mapping (the data stays in the file and the page cache; a later read maps it again). Anything else is
  // left alone. Used after the kernels copied a weight into their own layout, so it is not resident twice.
  // With `reclaim`, also drops them from the page cache (release_file_pages): for weights that loads read from
  // elsewhere from now on (routed experts packed into their cache file).
  void release_pages(const uint8_t* p, size_t n, bool reclaim = false) const;

  const TensorView* find(const std::string& name) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  // The files mapped: the safetensors shards, or the GGUF file.
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::vector<std::shared_ptr<MappedFile>> maps_;
  std::vector<std::shared_ptr<const void>> owners_;
  std::vector<std::pair<const uint8_t*, size_t>> file_ranges_;
  std::vector<std::string> files_;
  std::map<std::string, TensorView> tensors_;
};

// Parses the header of a mapped safetensors file into views (validated: offsets inside the file, sizes matching
// dtype × shape, no overlaps). Exposed for tests and fuzzing.
Result<std::vector<TensorView>> parse_safetensors(const uint8_t* data, size_t size, const std::string& what);

}  // namespace nt

namespace nt {

// One tensor to write: name, dtype, PyTorch-order shape and its raw little-endian bytes.
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void* data;
  size_t nbytes;
};

// Writes a safetensors file from tensors in memory (header padded to 8 bytes, tensors in the given order).
// Streamed and sharded writing: formats/safetensors_write.h.
Status write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                         const std::map<std::string, std::string>& metadata = {});

}  // namespace nt
