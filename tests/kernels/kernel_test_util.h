// Helpers for the linear-kernel tests: random weights of any storage type, and a Linear over them.
#pragma once

#include <cstring>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "formats/tensor_view.h"
#include "model/weights.h"
#include "quant/ggml_type.h"

namespace nt::test {

// A weight type under test: a ggml block type, or a plain dtype.
struct WType {
  bool quantized;
  GgmlType q;
  DType d;
  const char* name;
};

inline std::vector<WType> all_wtypes() {
  return {{false, GgmlType::F32, DType::F32, "f32"},   {false, GgmlType::F32, DType::BF16, "bf16"},
          {false, GgmlType::F32, DType::F16, "f16"},   {true, GgmlType::Q8_0, DType::U8, "q8_0"},
          {true, GgmlType::Q4_0, DType::U8, "q4_0"},   {true, GgmlType::Q4_1, DType::U8, "q4_1"},
          {true, GgmlType::Q5_0, DType::U8, "q5_0"},   {true, GgmlType::Q5_1, DType::U8, "q5_1"},
          {true, GgmlType::Q4_K, DType::U8, "q4_K"},   {true, GgmlType::Q6_K, DType::U8, "q6_K"},
          {true, GgmlType::Q5_K, DType::U8, "q5_K"},   {true, GgmlType::Q3_K, DType::U8, "q3_K"},
          {true, GgmlType::Q2_K, DType::U8, "q2_K"}};
}

// The types test weights can be made of (a block type needs a reference quantizer).
inline std::vector<WType> testable_wtypes() {
  std::vector<WType> v;
  for (const WType& t : all_wtypes())
    if (!t.quantized || ggml_type_traits(t.q).quantize != nullptr) v.push_back(t);
  return v;
}

inline int64_t block_of(const WType& t) { return t.quantized ? ggml_type_traits(t.q).block_size : 1; }

// Owns the bytes of a [out, in] weight of type `t` made from normal random values.
struct OwnedLinear {
  std::vector<uint8_t> bytes;
  Linear l;
};

inline OwnedLinear make_linear(const WType& t, int64_t out, int64_t in, uint32_t seed, bool bias = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> w(static_cast<size_t>(out * in));
  for (auto& v : w) v = nd(rng);
  OwnedLinear o;
  if (t.quantized) {
    const GgmlTypeTraits& tr = ggml_type_traits(t.q);
    const size_t rb = static_cast<size_t>(in / tr.block_size) * tr.type_size;
    o.bytes.resize(rb * static_cast<size_t>(out));  // exact size: a kernel reading past the end trips ASan
    for (int64_t r = 0; r < out; ++r) tr.quantize(w.data() + r * in, o.bytes.data() + r * rb, in);
  } else {
    o.bytes.resize(w.size() * dtype_size(t.d));
    for (size_t i = 0; i < w.size(); ++i) {
      if (t.d == DType::F32) {
        std::memcpy(&o.bytes[4 * i], &w[i], 4);
      } else {
        const uint16_t h = t.d == DType::F16 ? f32_to_f16(w[i]) : f32_to_bf16(w[i]);
        std::memcpy(&o.bytes[2 * i], &h, 2);
      }
    }
  }
  o.l.w = TensorView{"w", t.d, {out, in}, o.bytes.data(), o.bytes.size(), t.quantized ? t.q : GgmlType::F32};
  if (bias) {
    o.l.bias.resize(static_cast<size_t>(out));
    for (auto& b : o.l.bias) b = nd(rng);
  }
  return o;
}

inline std::vector<float> random_vec(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> v(n);
  for (auto& x : v) x = scale * nd(rng);
  return v;
}

}  // namespace nt::test
