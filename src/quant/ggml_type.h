// ggml tensor element types as they appear in GGUF files, and a traits table per type
// (block size, bytes per block, name, reference row conversions).
// The numeric ids are ggml's own (enum ggml_type); they are stored verbatim in GGUF tensor infos.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/status.h"

namespace nt {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  // 4 and 5 were Q4_2 / Q4_3, removed from ggml long ago.
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
};

// Converts one row of `n` values from the stored type to f32. `n` is a multiple of the block size.
using DequantizeRowFn = void (*)(const void* src, float* dst, int64_t n);
// Converts one row of `n` f32 values to the stored type, byte-identical to ggml's reference quantizer.
using QuantizeRowFn = void (*)(const float* src, void* dst, int64_t n);

struct GgmlTypeTraits {
  GgmlType type;
  std::string_view name;       // ggml's spelling: "f32", "q8_0", "q4_K", ...
  int64_t block_size;          // elements per block (1 for plain types)
  size_t type_size;            // bytes per block
  bool is_quantized;
  DequantizeRowFn dequantize;  // nullptr: no dequantizer (type is unsupported for loading)
  QuantizeRowFn quantize;      // nullptr: we cannot write this type
};

// Traits for a raw ggml type id, or nullptr when the id is not one we know.
const GgmlTypeTraits* ggml_type_traits(uint32_t type_id);
const GgmlTypeTraits& ggml_type_traits(GgmlType type);
std::string_view ggml_type_name(GgmlType type);
// Parses ggml's spelling ("q4_K", case-insensitive); false if unknown.
bool ggml_type_from_name(std::string_view name, GgmlType* out);

// Bytes of one row of `n` elements; error when n is negative or not a multiple of the block size.
Result<size_t> ggml_row_size(GgmlType type, int64_t n);

// Checked row conversions: reject row lengths that are not a multiple of the block size,
// types without a (de)quantizer, misaligned block pointers and (for quantize) non-finite inputs.
Status dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);
Status quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

}  // namespace nt
