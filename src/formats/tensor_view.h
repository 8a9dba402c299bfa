// A non-owning view of a stored tensor: storage type, PyTorch-order shape, bytes in a mapped file.
//
// The weight type belongs to the weight: plain element types (F32/F16/BF16 from safetensors or GGUF) are
// described by `dtype`; block-quantized GGUF types (Q8_0, Q4_K, ...) set `qtype` and store each row
// (the last dimension) as ggml blocks, with `dtype` = U8 (raw bytes). Consumers convert rows to fp32
// through convert_rows (ops/linear.h), so one Linear serves every type.
// ModelOpt FP8 / NVFP4 weights (spec §13) set `wq` and carry their scales (bound by bind_weights): FP8 has
// dtype F8_E4M3 [out, in]; NVFP4 has dtype U8, packed [out, in/2] bytes, while `shape` stays the logical [out, in].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "quant/ggml_type.h"

namespace nt {

// ModelOpt weight quantization of a TensorView (src/quant/modelopt.h); None for every other tensor.
enum class WeightQuant : uint8_t { None, Fp8, Nvfp4 };

struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // PyTorch order: [out, in] for weights
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  GgmlType qtype = GgmlType::F32;  // block type; meaningful only when quantized()
  WeightQuant wq = WeightQuant::None;
  const uint8_t* wscale = nullptr;  // Fp8 per-channel: F32 [out] (null: per-tensor); Nvfp4: E4M3 [out, in/16]
  float wscale2 = 1.0f;             // Fp8 per-tensor weight_scale; Nvfp4 weight_scale_2

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
    if (wq == WeightQuant::Nvfp4) return static_cast<size_t>(cols() / 2);
    if (quantized()) {
      const GgmlTypeTraits& t = ggml_type_traits(qtype);
      return static_cast<size_t>(cols() / t.block_size) * t.type_size;
    }
    return static_cast<size_t>(cols()) * dtype_size(dtype);
  }
  // Name of the storage type: "BF16" for plain types, ggml's "q4_K" for block types.
  std::string type_name() const {
    if (wq == WeightQuant::Nvfp4) return "NVFP4";
    if (wq == WeightQuant::Fp8) return wscale ? "FP8_E4M3/channel" : "FP8_E4M3";
    return quantized() ? std::string(ggml_type_name(qtype)) : std::string(dtype_name(dtype));
  }
};

}  // namespace nt
