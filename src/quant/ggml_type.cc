#include "quant/ggml_type.h"

#include <cmath>

#include "core/strings.h"
#include "quant/reference.h"

namespace nt {
namespace {

// Adapters from the typed reference functions to the type-erased table entries.
template <typename Block, void (*Fn)(const Block*, float*, int64_t)>
void dequant_adapter(const void* src, float* dst, int64_t n) {
  Fn(static_cast<const Block*>(src), dst, n);
}
template <typename Block, void (*Fn)(const float*, Block*, int64_t)>
void quant_adapter(const float* src, void* dst, int64_t n) {
  Fn(src, static_cast<Block*>(dst), n);
}

using namespace quant;

const GgmlTypeTraits kTraits[] = {
    {GgmlType::F32, "f32", 1, 4, false, dequant_adapter<float, dequantize_row_f32>,
     quant_adapter<float, quantize_row_f32>},
    {GgmlType::F16, "f16", 1, 2, false, dequant_adapter<uint16_t, dequantize_row_f16>,
     quant_adapter<uint16_t, quantize_row_f16>},
    {GgmlType::Q4_0, "q4_0", kQK4_0, sizeof(BlockQ4_0), true, dequant_adapter<BlockQ4_0, dequantize_row_q4_0>,
     quant_adapter<BlockQ4_0, quantize_row_q4_0>},
    {GgmlType::Q4_1, "q4_1", kQK4_1, sizeof(BlockQ4_1), true, dequant_adapter<BlockQ4_1, dequantize_row_q4_1>,
     quant_adapter<BlockQ4_1, quantize_row_q4_1>},
    {GgmlType::Q5_0, "q5_0", kQK5_0, sizeof(BlockQ5_0), true, dequant_adapter<BlockQ5_0, dequantize_row_q5_0>,
     quant_adapter<BlockQ5_0, quantize_row_q5_0>},
    {GgmlType::Q5_1, "q5_1", kQK5_1, sizeof(BlockQ5_1), true, dequant_adapter<BlockQ5_1, dequantize_row_q5_1>,
     quant_adapter<BlockQ5_1, quantize_row_q5_1>},
    {GgmlType::Q8_0, "q8_0", kQK8_0, sizeof(BlockQ8_0), true, dequant_adapter<BlockQ8_0, dequantize_row_q8_0>,
     quant_adapter<BlockQ8_0, quantize_row_q8_0>},
    // Q8_1 is an activation format only; ggml has no dequantizer for it either.
    {GgmlType::Q8_1, "q8_1", kQK8_1, sizeof(BlockQ8_1), true, nullptr, quant_adapter<BlockQ8_1, quantize_row_q8_1>},
    {GgmlType::Q2_K, "q2_K", kQK_K, sizeof(BlockQ2_K), true, dequant_adapter<BlockQ2_K, dequantize_row_q2_K>,
     nullptr},
    {GgmlType::Q3_K, "q3_K", kQK_K, sizeof(BlockQ3_K), true, dequant_adapter<BlockQ3_K, dequantize_row_q3_K>,
     nullptr},
    {GgmlType::Q4_K, "q4_K", kQK_K, sizeof(BlockQ4_K), true, dequant_adapter<BlockQ4_K, dequantize_row_q4_K>,
     quant_adapter<BlockQ4_K, quantize_row_q4_K>},
    {GgmlType::Q5_K, "q5_K", kQK_K, sizeof(BlockQ5_K), true, dequant_adapter<BlockQ5_K, dequantize_row_q5_K>,
     quant_adapter<BlockQ5_K, quantize_row_q5_K>},
    {GgmlType::Q6_K, "q6_K", kQK_K, sizeof(BlockQ6_K), true, dequant_adapter<BlockQ6_K, dequantize_row_q6_K>,
     quant_adapter<BlockQ6_K, quantize_row_q6_K>},
    {GgmlType::Q8_K, "q8_K", kQK_K, sizeof(BlockQ8_K), true, dequant_adapter<BlockQ8_K, dequantize_row_q8_K>,
     quant_adapter<BlockQ8_K, quantize_row_q8_K>},
    {GgmlType::BF16, "bf16", 1, 2, false, dequant_adapter<uint16_t, dequantize_row_bf16>,
     quant_adapter<uint16_t, quantize_row_bf16>},
};

// Alignment the block struct needs when read in place (fp16 fields: 2; Q8_K's f32: 4).
size_t block_alignment(GgmlType t) {
  switch (t) {
    case GgmlType::F32: case GgmlType::Q8_K: return 4;
    default: return 2;
  }
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

const GgmlTypeTraits* ggml_type_traits(uint32_t type_id) {
  for (const auto& t : kTraits) {
    if (static_cast<uint32_t>(t.type) == type_id) return &t;
  }
  return nullptr;
}

const GgmlTypeTraits& ggml_type_traits(GgmlType type) {
  const GgmlTypeTraits* t = ggml_type_traits(static_cast<uint32_t>(type));
  NT_CHECK(t != nullptr);  // every enumerator has a table row
  return *t;
}

std::string_view ggml_type_name(GgmlType type) { return ggml_type_traits(type).name; }

bool ggml_type_from_name(std::string_view name, GgmlType* out) {
  for (const auto& t : kTraits) {
    if (t.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = lower(t.name[i]) == lower(name[i]);
    if (same) {
      *out = t.type;
      return true;
    }
  }
  return false;
}

Result<size_t> ggml_row_size(GgmlType type, int64_t n) {
  const GgmlTypeTraits& t = ggml_type_traits(type);
  if (n < 0 || n % t.block_size != 0) {
    return Status::error(cat("row length ", n, " is not a multiple of the ", t.name, " block size ", t.block_size));
  }
  return static_cast<size_t>(n / t.block_size) * t.type_size;
}

Status dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  const GgmlTypeTraits& t = ggml_type_traits(type);
  NT_ASSIGN_OR_RETURN(size_t bytes, ggml_row_size(type, n));
  (void)bytes;
  if (t.dequantize == nullptr) return Status::error(cat("unsupported tensor type ", t.name, ": no dequantizer"));
  if (reinterpret_cast<uintptr_t>(src) % block_alignment(type) != 0) {
    return Status::error(cat(t.name, " data is not aligned to ", block_alignment(type), " bytes"));
  }
  t.dequantize(src, dst, n);
  return Status::ok();
}

Status quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  const GgmlTypeTraits& t = ggml_type_traits(type);
  NT_ASSIGN_OR_RETURN(size_t bytes, ggml_row_size(type, n));
  (void)bytes;
  if (t.quantize == nullptr) return Status::error(cat("cannot quantize to ", t.name, ": no reference quantizer"));
  if (reinterpret_cast<uintptr_t>(dst) % block_alignment(type) != 0) {
    return Status::error(cat(t.name, " output is not aligned to ", block_alignment(type), " bytes"));
  }
  // ggml's quantizers assume finite input (NaN would reach float->int casts); refuse it instead.
  if (t.is_quantized) {
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(src[i])) return Status::error(cat("cannot quantize to ", t.name, ": non-finite value at index ", i));
    }
  }
  t.quantize(src, dst, n);
  return Status::ok();
}

}  // namespace nt
