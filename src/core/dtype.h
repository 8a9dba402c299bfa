// Element types of stored tensors and their scalar conversions.
// Block-quantized types (Q8_0, Q4_K, ...) are described in src/quant/; this file covers plain element types.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace nt {

enum class DType : uint8_t {
  F32,
  F16,
  BF16,
  F64,
  F8_E4M3,
  F8_E5M2,
  I8,
  U8,
  I16,
  I32,
  I64,
  BOOL,
};

// Bytes per element.
size_t dtype_size(DType t);
// Safetensors spelling ("F32", "BF16", ...).
std::string_view dtype_name(DType t);
// Parses a safetensors dtype string; false if unknown.
bool dtype_from_name(std::string_view name, DType* out);

inline float bf16_to_f32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Round-to-nearest-even, NaN preserved (quiet).
inline uint16_t f32_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// Rounds a float through bf16 and back.
inline float round_bf16(float f) { return bf16_to_f32(f32_to_bf16(f)); }

}  // namespace nt
