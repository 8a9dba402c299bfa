// The ModelOpt FP8 / NVFP4 routes of the fast linear layer (kernels/gemm_fp_avx2.cc, gemm_fp_avx512.cc): weights
// decoded in registers against fp32 activations. Checked against the exact dot product of the dequantized weights
// (convert_rows, summed in fp64) and against linear_reference(), for odd row counts, input widths that are
// multiples of 16 but not of 32 (a lone last NVFP4 block) or not even of 16 (FP8 byte tails), decode and prefill
// token counts, every E4M3 / E2M1 code (extremes ±448, subnormals, ±0; NVFP4 block scales 0..0x7E), per-tensor
// and per-channel FP8; plus NaN codes, route names, and batch invariance (bitwise the same result whatever T, the
// token's place in the batch or the thread count).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/linear_fast.h"
#include "ops/linear.h"

namespace nt {
namespace {

using kernels::Isa;

std::vector<Isa> simd_isas() {
  std::vector<Isa> v;
  if (kernels::isa_available(Isa::kAvx2)) v.push_back(Isa::kAvx2);
  if (kernels::isa_available(Isa::kAvx512)) v.push_back(Isa::kAvx512);
  return v;
}

enum class Kind { kFp8Tensor, kFp8Channel, kNvfp4 };
const char* kind_name(Kind k) {
  return k == Kind::kFp8Tensor ? "fp8" : k == Kind::kFp8Channel ? "fp8/channel" : "nvfp4";
}

// Owns a ModelOpt weight's bytes and scales. Codes run through every value: FP8 bytes all 256 but the NaN codes
// (replaced by the extremes 0x7E / 0xFE = ±448), NVFP4 bytes all 256 (every E2M1 code in either nibble) with block
// scales 0..0x7E (zero and subnormal scales included); where they start in each row is random.
struct FpWeight {
  std::vector<uint8_t> bytes, scale;
  Linear l;
};

FpWeight make_fp(Kind kind, int64_t out, int64_t in, uint32_t seed) {
  std::mt19937 rng(seed);
  FpWeight w;
  if (kind == Kind::kNvfp4) {
    w.bytes.resize(static_cast<size_t>(out * in / 2));  // exact sizes: a kernel reading past the end trips ASan
    w.scale.resize(static_cast<size_t>(out * in / 16));
    for (int64_t r = 0; r < out; ++r) {
      const uint32_t b0 = rng(), s0 = rng();
      for (int64_t i = 0; i < in / 2; ++i)
        w.bytes[static_cast<size_t>(r * in / 2 + i)] = static_cast<uint8_t>((b0 + 37 * i) & 255);
      for (int64_t i = 0; i < in / 16; ++i)
        w.scale[static_cast<size_t>(r * in / 16 + i)] = static_cast<uint8_t>((s0 + 11 * i) % 127);
    }
    w.l.w = TensorView{"w", DType::U8, {out, in}, w.bytes.data(), w.bytes.size()};
    w.l.w.wq = WeightQuant::Nvfp4;
    w.l.w.wscale = w.scale.data();
    w.l.w.wscale2 = 0.0123f;
    return w;
  }
  w.bytes.resize(static_cast<size_t>(out * in));
  for (int64_t r = 0; r < out; ++r) {
    const uint32_t b0 = rng();
    for (int64_t i = 0; i < in; ++i) {
      uint8_t c = static_cast<uint8_t>((b0 + 13 * i) & 255);
      if ((c & 0x7F) == 0x7F) c = static_cast<uint8_t>(c - 1);  // 0x7F -> 0x7E (448), 0xFF -> 0xFE (-448)
      w.bytes[static_cast<size_t>(r * in + i)] = c;
    }
  }
  w.l.w = TensorView{"w", DType::F8_E4M3, {out, in}, w.bytes.data(), w.bytes.size()};
  w.l.w.wq = WeightQuant::Fp8;
  w.l.w.wscale2 = 0.0039215f;
  if (kind == Kind::kFp8Channel) {
    std::uniform_real_distribution<float> ud(-8.0f, 8.0f);
    w.scale.resize(static_cast<size_t>(out * 4));
    for (int64_t r = 0; r < out; ++r) {
      const float s = std::exp2(ud(rng));
      std::memcpy(&w.scale[static_cast<size_t>(4 * r)], &s, 4);
    }
    w.l.w.wscale = w.scale.data();
  }
  return w;
}

std::vector<float> random_x(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = nd(rng);
  return v;
}

bool same_bits(const float* a, const float* b, int64_t n) { return std::memcmp(a, b, sizeof(float) * n) == 0; }

// Bounds, with u = 2^-24 and S = Σ|w_i·x_i| over the dequantized weights:
//   fast: each lane accumulates n/L fused products (L = 8 or 16 lanes), the lanes are summed in log2 L steps and
//   the row's scale multiplies once; against the exact sum of the fp32 dequantized weights (each within u of the
//   exact product of its code and scales) |fast − exact| <= (n/8 + 5)·u·S, stated here as (n/8 + 8)·u·S.
//   reference (dot_f32: 16 accumulators, then a serial sum): |reference − exact| <= (n/16 + 17)·u·S.
constexpr double kU = 1.0 / (1 << 24);
double fast_bound(int64_t n, double s) { return (static_cast<double>(n) / 8 + 8) * kU * s; }
double ref_bound(int64_t n, double s) { return (static_cast<double>(n) / 16 + 17) * kU * s; }

TEST(LinearFp, MatchesExactDotAndReferenceWithinStatedBound) {
  ThreadPool pool(2);
  for (Isa isa : simd_isas()) {
    for (Kind kind : {Kind::kFp8Tensor, Kind::kFp8Channel, Kind::kNvfp4}) {
      double worst = 0;
      std::vector<int64_t> widths = {16, 48, 80, 4096};
      if (kind != Kind::kNvfp4) widths.insert(widths.end(), {1, 7, 24, 100, 200});
      for (int64_t out : {1, 3, 5, 17, 37}) {
        for (int64_t in : widths) {
          const FpWeight w = make_fp(kind, out, in, static_cast<uint32_t>(out * 1000 + in));
          EXPECT_EQ(kernels::route_name(w.l, isa),
                    std::string(kernels::isa_name(isa)) + "/" + (kind == Kind::kNvfp4 ? "nvfp4" : "fp8"));
          std::vector<float> wf(static_cast<size_t>(out * in));
          convert_rows(w.l.w, 0, out, wf.data());
          for (int64_t T : {1, 2, 3, 5, 9, 64, 67}) {
            if (in == 4096 && T > 9 && out > 5) continue;  // the wide rows at prefill sizes: 5 rows are enough
            const auto x = random_x(T * in, static_cast<uint32_t>(T * 7 + in));
            std::vector<float> fast(static_cast<size_t>(T * out)), ref(fast.size());
            kernels::linear_fast(w.l, x.data(), T, fast.data(), pool, isa);
            linear_reference(w.l, x.data(), T, ref.data(), pool);
            for (int64_t t = 0; t < T; ++t) {
              for (int64_t r = 0; r < out; ++r) {
                double exact = 0, s = 0;
                for (int64_t i = 0; i < in; ++i) {
                  const double p = double{wf[static_cast<size_t>(r * in + i)]} * x[static_cast<size_t>(t * in + i)];
                  exact += p;
                  s += std::fabs(p);
                }
                const double f = fast[static_cast<size_t>(t * out + r)], rf = ref[static_cast<size_t>(t * out + r)];
                if (s > 0) worst = std::max(worst, std::fabs(f - exact) / fast_bound(in, s));
                ASSERT_LE(std::fabs(f - exact), fast_bound(in, s))
                    << kernels::isa_name(isa) << " " << kind_name(kind) << " " << out << "x" << in << " T=" << T
                    << " t=" << t << " r=" << r;
                ASSERT_LE(std::fabs(f - rf), fast_bound(in, s) + ref_bound(in, s))
                    << kernels::isa_name(isa) << " " << kind_name(kind) << " " << out << "x" << in << " T=" << T;
              }
            }
          }
        }
      }
      std::printf("%-8s %-12s max |fast - exact| / bound = %.3f\n", kernels::isa_name(isa), kind_name(kind), worst);
    }
  }
}

// A weight of one constant code gives a known exact value: every E4M3 code but NaN (FP8), every E2M1 code with a
// few block scales (NVFP4), against activations of ones. Exact in fp32 here (sums of at most 64 equal terms of
// at most 4 + 4 significant bits), so the result must be bitwise code value · n · scale.
TEST(LinearFp, EveryCodeDecodesExactly) {
  ThreadPool pool(1);
  const int64_t in = 48;
  for (int64_t T : {1, 5}) {  // one token (decode kernels) and a batch (the AVX2 route's buffered decode)
    const std::vector<float> x(static_cast<size_t>(T * in), 1.0f);
    for (Isa isa : simd_isas()) {
      FpWeight f8 = make_fp(Kind::kFp8Tensor, 254, in, 1);
      f8.l.w.wscale2 = 0.25f;
      std::vector<float> y(static_cast<size_t>(254 * T)), want(254), row(static_cast<size_t>(in));
      for (int c = 0, r = 0; c < 256; ++c) {
        if ((c & 0x7F) == 0x7F) continue;
        std::memset(&f8.bytes[static_cast<size_t>(r * in)], c, static_cast<size_t>(in));
        convert_rows(f8.l.w, r, 1, row.data());
        want[static_cast<size_t>(r++)] = row[0] * static_cast<float>(in);
      }
      kernels::linear_fast(f8.l, x.data(), T, y.data(), pool, isa);
      for (int64_t i = 0; i < 254 * T; ++i) {
        EXPECT_EQ(y[static_cast<size_t>(i)], want[static_cast<size_t>(i % 254)])
            << kernels::isa_name(isa) << " fp8 row " << i % 254;
      }

      FpWeight f4 = make_fp(Kind::kNvfp4, 16 * 4, in, 2);
      f4.l.w.wscale2 = 0.5f;
      const uint8_t scales[4] = {0x00, 0x01, 0x38, 0x7E};  // 0, the smallest subnormal 2^-9, 1, 448
      std::vector<float> y4(static_cast<size_t>(64 * T)), want4(64);
      for (int c = 0; c < 16; ++c) {
        for (int s = 0; s < 4; ++s) {
          const int r = c * 4 + s;
          std::memset(&f4.bytes[static_cast<size_t>(r * in / 2)], c | (c << 4), static_cast<size_t>(in / 2));
          std::memset(&f4.scale[static_cast<size_t>(r * in / 16)], scales[s], static_cast<size_t>(in / 16));
          convert_rows(f4.l.w, r, 1, row.data());
          want4[static_cast<size_t>(r)] = row[0] * static_cast<float>(in);
        }
      }
      kernels::linear_fast(f4.l, x.data(), T, y4.data(), pool, isa);
      for (int64_t i = 0; i < 64 * T; ++i) {
        EXPECT_EQ(y4[static_cast<size_t>(i)], want4[static_cast<size_t>(i % 64)])
            << kernels::isa_name(isa) << " nvfp4 row " << i % 64;
      }
    }
  }
}

// An FP8 NaN code (0x7F / 0xFF) anywhere in a row makes that row's results NaN, as its dequantized weights do;
// the other rows stay finite. Positions cover the 64- and 32-byte main loops, the 16- / 8-byte steps and the tail.
TEST(LinearFp, Fp8NanCodeMakesItsRowNan) {
  ThreadPool pool(2);
  const int64_t out = 6, in = 100;
  for (int64_t T : {1, 5}) {
    const auto x = random_x(T * in, 3);
    for (Isa isa : simd_isas()) {
      for (int64_t pos : {0, 63, 64, 70, 90, 99}) {
        FpWeight w = make_fp(Kind::kFp8Channel, out, in, 4);
        w.bytes[static_cast<size_t>(2 * in + pos)] = pos % 2 ? 0xFF : 0x7F;
        std::vector<float> y(static_cast<size_t>(T * out)), ref(y.size());
        kernels::linear_fast(w.l, x.data(), T, y.data(), pool, isa);
        linear_reference(w.l, x.data(), T, ref.data(), pool);
        for (int64_t t = 0; t < T; ++t) {
          for (int64_t r = 0; r < out; ++r) {
            EXPECT_EQ(std::isnan(y[static_cast<size_t>(t * out + r)]), r == 2)
                << kernels::isa_name(isa) << " pos " << pos;
            EXPECT_EQ(std::isnan(ref[static_cast<size_t>(t * out + r)]), r == 2);
          }
        }
      }
    }
  }
}

TEST(LinearFp, RouteNames) {
  const FpWeight f8 = make_fp(Kind::kFp8Channel, 4, 32, 1), f4 = make_fp(Kind::kNvfp4, 4, 32, 1);
  EXPECT_EQ(kernels::route_name(f8.l, Isa::kScalar), "scalar/convert(FP8_E4M3/channel)");
  EXPECT_EQ(kernels::route_name(f4.l, Isa::kScalar), "scalar/convert(NVFP4)");
  EXPECT_EQ(kernels::route_name(f8.l, Isa::kAvx2), "avx2/fp8");
  EXPECT_EQ(kernels::route_name(f4.l, Isa::kAvx512), "avx512/nvfp4");
}

// y[t][r] is bitwise the same whatever T is, wherever token t sits in the batch, whatever the tile path (one token
// or several, token chunks) and the thread count; and a token's result does not depend on its batch-mates.
TEST(LinearFp, OutputsIndependentOfBatchPlacementTilingAndThreads) {
  const int64_t out = 37, T = 130;
  ThreadPool pool1(1), pool2(2), pool3(3);
  for (Isa isa : simd_isas()) {
    for (Kind kind : {Kind::kFp8Tensor, Kind::kFp8Channel, Kind::kNvfp4}) {
      for (int64_t in : {int64_t{528}, kind == Kind::kNvfp4 ? int64_t{512} : int64_t{521}}) {
        const FpWeight w = make_fp(kind, out, in, 11);
        const auto x = random_x(T * in, 12);
        std::vector<float> full(static_cast<size_t>(T * out));
        kernels::linear_fast(w.l, x.data(), T, full.data(), pool2, isa);
        const std::string what =
            std::string(kernels::isa_name(isa)) + " " + kind_name(kind) + " in=" + std::to_string(in);
        for (ThreadPool* p : {&pool1, &pool3}) {
          std::vector<float> y(full.size());
          kernels::linear_fast(w.l, x.data(), T, y.data(), *p, isa);
          EXPECT_TRUE(same_bits(y.data(), full.data(), T * out)) << what << " threads=" << p->size();
        }
        for (auto [t0, n] : std::vector<std::pair<int64_t, int64_t>>{{0, 1},
                                                                     {1, 1},
                                                                     {63, 1},
                                                                     {64, 1},
                                                                     {129, 1},
                                                                     {5, 2},
                                                                     {6, 3},
                                                                     {5, 5},
                                                                     {5, 7},
                                                                     {40, 17},
                                                                     {3, 64},
                                                                     {65, 65}}) {
          for (ThreadPool* p : {&pool1, &pool2}) {
            std::vector<float> y(static_cast<size_t>(n * out));
            kernels::linear_fast(w.l, x.data() + t0 * in, n, y.data(), *p, isa);
            EXPECT_TRUE(same_bits(y.data(), full.data() + t0 * out, n * out))
                << what << " tokens [" << t0 << ", " << t0 + n << ") threads=" << p->size();
          }
        }
        std::vector<float> x2(x);
        for (size_t i = 0; i < static_cast<size_t>(in); ++i) x2[i] = -x2[i] * 3.0f;  // token 0 changed
        std::vector<float> y2(full.size());
        kernels::linear_fast(w.l, x2.data(), T, y2.data(), pool2, isa);
        EXPECT_TRUE(same_bits(y2.data() + out, full.data() + out, (T - 1) * out)) << what;
      }
    }
  }
}

}  // namespace
}  // namespace nt
