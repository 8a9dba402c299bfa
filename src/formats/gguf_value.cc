// GgufValue helpers and GGUF value-type facts shared by the reader and the writer.
#include "formats/gguf.h"

#include "formats/gguf_internal.h"

namespace nt {

std::string_view gguf_value_type_name(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: return "u8";
    case GgufValueType::I8: return "i8";
    case GgufValueType::U16: return "u16";
    case GgufValueType::I16: return "i16";
    case GgufValueType::U32: return "u32";
    case GgufValueType::I32: return "i32";
    case GgufValueType::F32: return "f32";
    case GgufValueType::BOOL: return "bool";
    case GgufValueType::STRING: return "string";
    case GgufValueType::ARRAY: return "array";
    case GgufValueType::U64: return "u64";
    case GgufValueType::I64: return "i64";
    case GgufValueType::F64: return "f64";
  }
  return "unknown";
}

namespace gguf_internal {

bool valid_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::F64); }

size_t fixed_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::BOOL: return 1;
    case GgufValueType::U16: case GgufValueType::I16: return 2;
    case GgufValueType::U32: case GgufValueType::I32: case GgufValueType::F32: return 4;
    case GgufValueType::U64: case GgufValueType::I64: case GgufValueType::F64: return 8;
    case GgufValueType::STRING: case GgufValueType::ARRAY: return 0;
  }
  return 0;
}

size_t min_encoded_size(GgufValueType t) {
  if (t == GgufValueType::STRING) return 8;   // u64 length
  if (t == GgufValueType::ARRAY) return 12;   // u32 type + u64 count
  return fixed_size(t);
}

bool is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::U16: case GgufValueType::I16:
    case GgufValueType::U32: case GgufValueType::I32: case GgufValueType::U64: case GgufValueType::I64:
      return true;
    default:
      return false;
  }
}

}  // namespace gguf_internal

GgufValue GgufValue::array(GgufValueType elem_type, std::vector<GgufValue> elems) {
  GgufValue x;
  x.type = GgufValueType::ARRAY;
  x.elem_type = elem_type;
  x.elems = std::move(elems);
  return x;
}

GgufValue GgufValue::string_array(const std::vector<std::string>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (const auto& s : v) e.push_back(string(s));
  return array(GgufValueType::STRING, std::move(e));
}

GgufValue GgufValue::i32_array(const std::vector<int32_t>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (int32_t x : v) e.push_back(i32(x));
  return array(GgufValueType::I32, std::move(e));
}

GgufValue GgufValue::u32_array(const std::vector<uint32_t>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (uint32_t x : v) e.push_back(u32(x));
  return array(GgufValueType::U32, std::move(e));
}

GgufValue GgufValue::f32_array(const std::vector<float>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (float x : v) e.push_back(f32(x));
  return array(GgufValueType::F32, std::move(e));
}

bool GgufValue::operator==(const GgufValue& o) const {
  if (type != o.type) return false;
  switch (type) {
    case GgufValueType::STRING: return s == o.s;
    case GgufValueType::ARRAY: return elem_type == o.elem_type && elems == o.elems;
    case GgufValueType::F32: case GgufValueType::F64:
      return f == o.f || (f != f && o.f != o.f);  // NaN equals NaN here: same stored value
    case GgufValueType::I8: case GgufValueType::I16: case GgufValueType::I32: case GgufValueType::I64:
      return i == o.i;
    default:
      return u == o.u;
  }
}

}  // namespace nt
