// Facts about GGUF value types shared by gguf_reader.cc, gguf_writer.cc and gguf_value.cc.
#pragma once

#include <cstddef>
#include <cstdint>

#include "formats/gguf.h"

namespace nt::gguf_internal {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr int kMaxArrayDepth = 16;       // arrays of arrays nested deeper than this are refused

bool valid_type(uint32_t t);
// Bytes of a fixed-size type; 0 for STRING and ARRAY.
size_t fixed_size(GgufValueType t);
// Smallest possible encoding of one value of type t (bounds element counts before any allocation).
size_t min_encoded_size(GgufValueType t);
bool is_integer(GgufValueType t);

}  // namespace nt::gguf_internal
