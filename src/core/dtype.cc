#include "core/dtype.h"

#include <cmath>

namespace nt {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::F8_E4M3: case DType::F8_E5M2: case DType::I8: case DType::U8: case DType::BOOL: return 1;
  }
  return 0;
}

namespace {
struct NameEntry { DType type; std::string_view name; };
constexpr NameEntry kNames[] = {
    {DType::F32, "F32"}, {DType::F16, "F16"}, {DType::BF16, "BF16"}, {DType::F64, "F64"},
    {DType::F8_E4M3, "F8_E4M3"}, {DType::F8_E5M2, "F8_E5M2"}, {DType::I8, "I8"}, {DType::U8, "U8"},
    {DType::I16, "I16"}, {DType::I32, "I32"}, {DType::I64, "I64"}, {DType::BOOL, "BOOL"},
};
}  // namespace

std::string_view dtype_name(DType t) {
  for (const auto& e : kNames) if (e.type == t) return e.name;
  return "?";
}

bool dtype_from_name(std::string_view name, DType* out) {
  for (const auto& e : kNames) {
    if (e.name == name) { *out = e.type; return true; }
  }
  return false;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1u, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);               // zero / subnormal
  else if (exp == 31) v = mant ? NAN : INFINITY;                              // inf / nan
  else v = std::ldexp(static_cast<float>(mant | 0x400u), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

uint16_t f32_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000u;
  uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);        // nan
  if (a >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);       // overflow -> inf (>= 65520)
  if (a < 0x38800000u) {                                                     // subnormal or zero in f16
    float af;
    std::memcpy(&af, &a, 4);
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(af * 16777216.0f)));
  }
  // Normal: rebias exponent, round mantissa to nearest even.
  uint32_t r = a - 0x38000000u;
  r += 0xfffu + ((r >> 13) & 1u);
  return static_cast<uint16_t>(sign | (r >> 13));
}

}  // namespace nt
