// Read-only memory-mapped file. Weights stay in the page cache; nothing is copied at load time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace nt {

class MappedFile {
 public:
  static Result<std::shared_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// madvise(MADV_DONTNEED) on the whole pages inside [p, p + n). Only for read-only file mappings (MappedFile):
// their data stays in the file, and a later access maps the page again.
// With `reclaim`, the kernel is also asked to drop the pages from the page cache where no other process maps them
// (MADV_PAGEOUT): for data this process and later loads will not read again.
void release_file_pages(const uint8_t* p, size_t n, bool reclaim = false);

// Reads a whole (small) file into a string: configs, JSON indexes, templates. Refuses files above max_bytes.
Result<std::string> read_text_file(const std::string& path, size_t max_bytes = size_t{256} << 20);

// Creates (or truncates) path and writes text to it: configs, JSON indexes. The error names the path and the cause.
Status write_text_file(const std::string& path, const std::string& text);

bool file_exists(const std::string& path);

}  // namespace nt
