// A non-owning view of a stored tensor: storage type, PyTorch-order shape, bytes in a mapped file.
//
// The weight type belongs to the weight: plain element types (F32/F16/BF16 from safetensors or GGUF) are
// described by `dtype`; block-quantized GGUF types (Q8_0, Q4_K, ...) set `qtype` and store each row
// (the last dimension) as ggml blocks, with `dtype` = U8 (raw bytes). Consumers convert rows to fp32
// through convert_rows (ops/linear.h), so one Linear serves every type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "quant/ggml_type.h"

namespace nt {

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // PyTorch order: [out, in] for weights
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  GgmlType qtype = GgmlType::F32;  // block type; meaningful only when quantized()

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  int64_t dim(int i) const { return shape[static_cast<size_t>(i)]; }
  int rank() const { return static_cast<int>(shape.size()); }
  int64_t cols() const { return shape.empty() ? 1 : shape.back(); }
  bool quantized() const { return ggml_type_traits(qtype).is_quantized; }
  // Bytes of one row (the last dimension).
  size_t row_bytes() const {
    if (quantized()) {
      const GgmlTypeTraits& t = ggml_type_traits(qtype);
      return static_cast<size_t>(cols() / t.block_size) * t.type_size;
    }
    return static_cast<size_t>(cols()) * dtype_size(dtype);
  }
  // Name of the storage type: "BF16" for plain types, ggml's "q4_K" for block types.
  std::string type_name() const {
    return quantized() ? std::string(ggml_type_name(qtype)) : std::string(dtype_name(dtype));
  }
};

}  // namespace nt
