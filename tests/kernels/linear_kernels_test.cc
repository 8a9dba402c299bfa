// The fast linear layer (kernels/linear_fast.h) against the scalar references: activation quantization
// bit-exact with ggml's quantizers, every route's dot products against quant::vec_dot_* or an fp64 dot,
// odd shapes and tails, on every instruction set this CPU has.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "kernels/linear_fast.h"
#include "ops/linear.h"
#include "quant/reference.h"

namespace nt {
namespace {

using kernels::Isa;

std::vector<Isa> isas() {
  std::vector<Isa> v{Isa::kScalar};
  if (kernels::isa_available(Isa::kAvx2)) v.push_back(Isa::kAvx2);
  if (kernels::isa_available(Isa::kAvx512)) v.push_back(Isa::kAvx512);
  return v;
}

// Rows that exercise the quantizer's corners: ties at .5 (ggml rounds half away from zero), all zeros,
// fp16-subnormal scales, large magnitudes, a single non-zero element.
std::vector<float> quantizer_corner_rows(int64_t n) {
  std::vector<float> x = test::random_vec(static_cast<size_t>(n) * 6, 7);
  float* r = x.data();
  for (int64_t i = 0; i < n; ++i) r[i] = static_cast<float>(i % 32 == 0 ? 127 : (i % 254) - 127) + 0.5f * (i % 2);
  r += n;
  for (int64_t i = 0; i < n; ++i) r[i] = 0.0f;
  r += n;
  for (int64_t i = 0; i < n; ++i) r[i] *= 1e-7f;
  r += n;
  for (int64_t i = 0; i < n; ++i) r[i] *= 3e4f;
  r += n;
  for (int64_t i = 0; i < n; ++i) r[i] = i % 32 == 5 ? -2.5f : 0.0f;
  return x;
}

TEST(LinearKernels, ActivationQ8_0IsBitExactWithGgmlQuantizer) {
  for (Isa isa : isas()) {
    for (int64_t n : {32, 96, 4096}) {
      const std::vector<float> x = quantizer_corner_rows(n);
      const int64_t rows = static_cast<int64_t>(x.size()) / n, nb = n / 32;
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<BlockQ8_0> ref(static_cast<size_t>(nb));
        quant::quantize_row_q8_0(x.data() + r * n, ref.data(), n);
        std::vector<int8_t> qs(static_cast<size_t>(n));
        std::vector<float> d(static_cast<size_t>(nb));
        kernels::quantize_act_q8_0(isa, x.data() + r * n, n, qs.data(), d.data());
        for (int64_t b = 0; b < nb; ++b) {
          ASSERT_EQ(f32_to_f16(d[b]), ref[b].d) << kernels::isa_name(isa) << " row " << r << " block " << b;
          ASSERT_EQ(d[b], f16_to_f32(ref[b].d));
          ASSERT_EQ(std::memcmp(qs.data() + b * 32, ref[b].qs, 32), 0)
              << kernels::isa_name(isa) << " row " << r << " block " << b;
        }
      }
    }
  }
}

TEST(LinearKernels, ActivationQ8_KIsBitExactWithGgmlQuantizer) {
  for (Isa isa : isas()) {
    for (int64_t n : {256, 768, 4096}) {
      std::vector<float> x = quantizer_corner_rows(n);
      // Ties of magnitude (the first one sets the sign of the scale), NaN and infinity, one block each.
      const size_t base = x.size();
      x.resize(base + 3 * static_cast<size_t>(n), 0.25f);
      x[base + 7] = -3.0f;
      x[base + 9] = 3.0f;
      x[base + n + 3] = std::nanf("");
      x[base + n + 4] = -8.0f;
      x[base + 2 * n + 200] = -std::numeric_limits<float>::infinity();
      const int64_t rows = static_cast<int64_t>(x.size()) / n, nb = n / 256;
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<BlockQ8_K> ref(static_cast<size_t>(nb)), got(static_cast<size_t>(nb));
        quant::quantize_row_q8_K(x.data() + r * n, ref.data(), n);
        kernels::quantize_act_q8_K(isa, x.data() + r * n, n, got.data());
        for (int64_t b = 0; b < nb; ++b) {
          ASSERT_EQ(std::memcmp(&got[b], &ref[b], sizeof(BlockQ8_K)), 0)
              << kernels::isa_name(isa) << " n=" << n << " row " << r << " block " << b;
        }
      }
    }
  }
}

// The integer routes against ggml's scalar vec_dot on the same quantized operands (Q5_0: the exact sum in fp64);
// only the order of the fp32 block sums may differ, so the bound is a few roundings of the sum of the absolute block
// terms.
TEST(LinearKernels, IntegerRoutesMatchVecDot) {
  const std::vector<test::WType> types = {{true, GgmlType::Q8_0, DType::U8, "q8_0"},
                                          {true, GgmlType::Q4_0, DType::U8, "q4_0"},
                                          {true, GgmlType::Q4_K, DType::U8, "q4_K"},
                                          {true, GgmlType::Q6_K, DType::U8, "q6_K"},
                                          {true, GgmlType::Q5_0, DType::U8, "q5_0"},
                                          {true, GgmlType::Q5_K, DType::U8, "q5_K"},
                                          {true, GgmlType::Q4_1, DType::U8, "q4_1"},
                                          {true, GgmlType::Q5_1, DType::U8, "q5_1"}};
  ThreadPool pool(2);
  for (Isa isa : isas()) {
    for (const auto& ty : types) {
      const bool exact_ref = ty.q == GgmlType::Q5_0 || ty.q == GgmlType::Q5_K || ty.q == GgmlType::Q4_1 ||
                             ty.q == GgmlType::Q5_1;  // SIMD only, checked against the exact sum
      if (exact_ref && isa == Isa::kScalar) continue;  // converted to fp32 there (FloatRoutesMatchFp64Dot)
      const int64_t bs = ty.q == GgmlType::Q4_K || ty.q == GgmlType::Q5_K || ty.q == GgmlType::Q6_K ? kQK_K : kQK8_0;
      for (int64_t blocks : {1, 3, 8}) {
        for (int64_t out : {1, 5, 17}) {
          for (int64_t T : {1, 2, 3, 5, 8, 17, 64}) {
            const int64_t in = blocks * bs;
            auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 131 + in));
            const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T + in));
            std::vector<float> y(static_cast<size_t>(T * out));
            kernels::linear_fast(w.l, x.data(), T, y.data(), pool, isa);
            const size_t rb = w.l.w.row_bytes();
            std::vector<float> wf(static_cast<size_t>(in));
            for (int64_t t = 0; t < T; ++t) {
              for (int64_t r = 0; r < out; ++r) {
                const uint8_t* wr = w.bytes.data() + static_cast<size_t>(r) * rb;
                float ref;
                double mag = 0;
                convert_rows(w.l.w, r, 1, wf.data());
                if (bs == kQK8_0) {
                  std::vector<BlockQ8_0> xq(static_cast<size_t>(blocks));
                  quant::quantize_row_q8_0(x.data() + t * in, xq.data(), in);
                  if (exact_ref) {  // no ggml vec_dot here: the sum in fp64 (exact for Q5_0: wf = d·(q − 16))
                    double exact = 0;
                    for (int64_t i = 0; i < in; ++i) exact += double{wf[i]} * f16_to_f32(xq[i / 32].d) * xq[i / 32].qs[i % 32];
                    ref = static_cast<float>(exact);
                  } else {
                    ref = ty.q == GgmlType::Q8_0 ? quant::vec_dot_q8_0_q8_0(in, reinterpret_cast<const BlockQ8_0*>(wr), xq.data())
                                                 : quant::vec_dot_q4_0_q8_0(in, reinterpret_cast<const BlockQ4_0*>(wr), xq.data());
                  }
                  for (int64_t i = 0; i < in; ++i) mag += std::fabs(double{wf[i]} * f16_to_f32(xq[i / 32].d) * xq[i / 32].qs[i % 32]);
                  // Q4_1 / Q5_1: d·q and m are summed separately, |d·q| + |m| <= |wf| + 2·|m|.
                  if (ty.q == GgmlType::Q4_1 || ty.q == GgmlType::Q5_1) {
                    const size_t block_bytes = ty.q == GgmlType::Q4_1 ? sizeof(BlockQ4_1) : sizeof(BlockQ5_1);
                    for (int64_t i = 0; i < in; ++i) {
                      uint16_t m;
                      std::memcpy(&m, wr + static_cast<size_t>(i / 32) * block_bytes + 2, 2);
                      mag += 2 * std::fabs(double{f16_to_f32(m)} * f16_to_f32(xq[i / 32].d) * xq[i / 32].qs[i % 32]);
                    }
                  }
                } else {
                  std::vector<BlockQ8_K> xq(static_cast<size_t>(blocks));
                  quant::quantize_row_q8_K(x.data() + t * in, xq.data(), in);
                  if (ty.q == GgmlType::Q5_K) {  // no ggml vec_dot here: the sum in fp64 of the dequantized row
                    double exact = 0;
                    for (int64_t i = 0; i < in; ++i) exact += double{wf[i]} * xq[i / 256].d * xq[i / 256].qs[i % 256];
                    ref = static_cast<float>(exact);
                  } else {
                    ref = ty.q == GgmlType::Q4_K ? quant::vec_dot_q4_K_q8_K(in, reinterpret_cast<const BlockQ4_K*>(wr), xq.data())
                                                 : quant::vec_dot_q6_K_q8_K(in, reinterpret_cast<const BlockQ6_K*>(wr), xq.data());
                  }
                  for (int64_t i = 0; i < in; ++i) mag += std::fabs(double{wf[i]} * xq[i / 256].d * xq[i / 256].qs[i % 256]);
                  // The scale and min parts (d·sc·q and dmin·m) are summed separately and can each exceed |w|.
                  mag *= 4;
                }
                const double tol = (static_cast<double>(in / 8) + 16) * 1.2e-7 * mag + 1e-30;
                ASSERT_NEAR(y[t * out + r], ref, tol) << kernels::isa_name(isa) << " " << ty.name << " out=" << out
                                                      << " in=" << in << " T=" << T << " t=" << t << " r=" << r;
              }
            }
          }
        }
      }
    }
  }
}

// fp32 routes (F32/BF16/F16 and everything that goes through convert_rows) against an fp64 dot of the exact
// fp32 weights: the fp32 accumulation error is bounded by ~n·eps·Σ|w·x|.
TEST(LinearKernels, FloatRoutesMatchFp64Dot) {
  ThreadPool pool(3);
  for (Isa isa : isas()) {
    for (const auto& ty : test::testable_wtypes()) {
      if (ty.q == GgmlType::Q8_0 || ty.q == GgmlType::Q4_0 || ty.q == GgmlType::Q4_K || ty.q == GgmlType::Q6_K) continue;
      const bool integer_simd = ty.q == GgmlType::Q5_0 || ty.q == GgmlType::Q5_K || ty.q == GgmlType::Q4_1 ||
                                ty.q == GgmlType::Q5_1;
      if (integer_simd && isa != Isa::kScalar) continue;  // integer routes there
      const int64_t bs = test::block_of(ty);
      const std::vector<int64_t> ins = bs == 1 ? std::vector<int64_t>{1, 7, 8, 13, 129, 300} : std::vector<int64_t>{bs, 3 * bs};
      for (int64_t in : ins) {
        for (int64_t out : {1, 3, 5, 17, 33}) {
          for (int64_t T : {1, 2, 3, 5, 8, 17, 64}) {
            auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 7 + in), true);
            const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T * 3 + in));
            std::vector<float> y(static_cast<size_t>(T * out)), wf(static_cast<size_t>(out * in));
            kernels::linear_fast(w.l, x.data(), T, y.data(), pool, isa);
            convert_rows(w.l.w, 0, out, wf.data());
            for (int64_t t = 0; t < T; ++t) {
              for (int64_t r = 0; r < out; ++r) {
                double ref = w.l.bias[r], mag = std::fabs(w.l.bias[r]);
                for (int64_t i = 0; i < in; ++i) {
                  ref += double{wf[r * in + i]} * x[t * in + i];
                  mag += std::fabs(double{wf[r * in + i]} * x[t * in + i]);
                }
                const double tol = (static_cast<double>(in / 8) + 16) * 1.2e-7 * mag;
                ASSERT_NEAR(y[t * out + r], ref, tol) << kernels::isa_name(isa) << " " << ty.name << " out=" << out
                                                      << " in=" << in << " T=" << T;
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace nt
