// Linear over F32/F16/BF16 weights vs a double reference, odd sizes, threads, bias.
#include "ops/linear.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace nt {
namespace {

TEST(Linear, AllDtypesOddSizes) {
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    for (auto [out, in, T] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 1, 1}, {17, 33, 3}, {50, 129, 5}}) {
      std::mt19937 rng(static_cast<unsigned>(out * in));
      std::normal_distribution<float> nd;
      std::vector<float> w(static_cast<size_t>(out * in)), x(static_cast<size_t>(T * in)), wq(w.size());
      for (auto& v : w) v = nd(rng);
      for (auto& v : x) v = nd(rng);
      std::vector<uint8_t> bytes(w.size() * dtype_size(dt));
      for (size_t i = 0; i < w.size(); ++i) {
        if (dt == DType::F32) { std::memcpy(&bytes[4 * i], &w[i], 4); wq[i] = w[i]; }
        else {
          uint16_t h = dt == DType::F16 ? f32_to_f16(w[i]) : f32_to_bf16(w[i]);
          std::memcpy(&bytes[2 * i], &h, 2);
          wq[i] = dt == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
        }
      }
      Linear l;
      l.w = TensorView{"w", dt, {out, in}, bytes.data(), bytes.size()};
      l.bias.resize(static_cast<size_t>(out));
      for (auto& b : l.bias) b = nd(rng);
      std::vector<float> y(static_cast<size_t>(T * out));
      ThreadPool pool(2);
      linear(l, x.data(), T, y.data(), pool);
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t o = 0; o < out; ++o) {
          double ref = l.bias[o];
          for (int64_t i = 0; i < in; ++i) ref += double(wq[o * in + i]) * x[t * in + i];
          EXPECT_NEAR(y[t * out + o], ref, 1e-4 * (1 + std::fabs(ref))) << dtype_name(dt) << " " << out << "x" << in;
        }
      }
    }
  }
}

}  // namespace
}  // namespace nt
