// NumPy .npy files (format version 1.0), float32 little-endian, C order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace nt {

Status write_npy_f32(const std::string& path, const float* data, const std::vector<int64_t>& shape);

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};
// Reads '<f4' or '<f8' arrays (converted to float), C order.
Result<NpyArray> read_npy(const std::string& path);

}  // namespace nt
