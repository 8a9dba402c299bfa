// Batch invariance and determinism of the fast linear layer: y[t][r] is bitwise the same whatever T is, wherever
// token t sits in the batch, whatever tile path (decode-sized vs prefill-sized T, token chunks) and thread count.
// Plus linear() against linear_reference() within a stated bound, and the switch to the reference route.
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "kernels/linear_fast.h"
#include "kernels/packed_weight.h"
#include "ops/linear.h"

namespace nt {
namespace {

using kernels::Isa;

std::vector<Isa> isas() {
  std::vector<Isa> v{Isa::kScalar};
  if (kernels::isa_available(Isa::kAvx2)) v.push_back(Isa::kAvx2);
  if (kernels::isa_available(Isa::kAvx512)) v.push_back(Isa::kAvx512);
  return v;
}

bool same_bits(const float* a, const float* b, int64_t n) { return std::memcmp(a, b, sizeof(float) * n) == 0; }

TEST(LinearBatch, OutputsIndependentOfBatchPlacementTilingAndThreads) {
  const int64_t out = 37, in = 512, T = 130;  // 130 tokens: more than two token chunks
  ThreadPool pool1(1), pool2(2), pool3(3);
  for (Isa isa : isas()) {
    for (const auto& ty : test::testable_wtypes()) {
      auto w = test::make_linear(ty, out, in, 11, true);
      const auto x = test::random_vec(static_cast<size_t>(T * in), 12);
      std::vector<float> full(static_cast<size_t>(T * out));
      kernels::linear_fast(w.l, x.data(), T, full.data(), pool2, isa);
      const std::string what = std::string(kernels::isa_name(isa)) + " " + ty.name;
      for (ThreadPool* p : {&pool1, &pool3}) {
        std::vector<float> y(full.size());
        kernels::linear_fast(w.l, x.data(), T, y.data(), *p, isa);
        EXPECT_TRUE(same_bits(y.data(), full.data(), T * out)) << what << " threads=" << p->size();
      }
      // Sub-batches at various offsets and sizes: decode-sized (1, 2, 3, 7) and prefill-sized (17, 64, 65).
      for (auto [t0, n] : std::vector<std::pair<int64_t, int64_t>>{
               {0, 1}, {1, 1}, {63, 1}, {64, 1}, {129, 1}, {5, 2}, {6, 3}, {5, 7}, {40, 17}, {3, 64}, {65, 65}}) {
        for (ThreadPool* p : {&pool1, &pool2}) {
          std::vector<float> y(static_cast<size_t>(n * out));
          kernels::linear_fast(w.l, x.data() + t0 * in, n, y.data(), *p, isa);
          EXPECT_TRUE(same_bits(y.data(), full.data() + t0 * out, n * out))
              << what << " tokens [" << t0 << ", " << t0 + n << ") threads=" << p->size();
        }
      }
      // A token's result does not depend on its neighbours: same row, different batch-mates.
      std::vector<float> x2(x);
      for (size_t i = 0; i < static_cast<size_t>(in); ++i) x2[i] = -x2[i] * 3.0f;  // token 0 changed
      std::vector<float> y2(full.size());
      kernels::linear_fast(w.l, x2.data(), T, y2.data(), pool2, isa);
      EXPECT_TRUE(same_bits(y2.data() + out, full.data() + out, (T - 1) * out)) << what;
    }
  }
}

// linear() (fast) against linear_reference() (exact fp32 dot of the converted weights):
//  - fp32 routes: both are fp32 sums of the same products; |Δ| <= 2·(n/8 + 16)·2^-23·Σ|w·x| (summation order).
//  - int8 routes: the activations are rounded to q8_0 / q8_K blocks, x ≈ d·q with d = amax/127 stored as fp16
//    (q8_0) or fp32 (q8_K); |x - d·q| <= d/2 + 127·d·2^-11 < 0.57·amax/127 per element, so
//    |Δ| <= Σ_blocks 0.57·amax_b/127 · Σ_{i in b}|w_i|  +  the fp32 summation term above.
TEST(LinearBatch, FastMatchesReferenceWithinStatedBound) {
  ThreadPool pool(2);
  const int64_t out = 29, in = 768, T = 9;
  for (const auto& ty : test::testable_wtypes()) {
    auto w = test::make_linear(ty, out, in, 21, true);
    const auto x = test::random_vec(static_cast<size_t>(T * in), 22);
    std::vector<float> fast(static_cast<size_t>(T * out)), ref(fast.size()), wf(static_cast<size_t>(out * in));
    linear(w.l, x.data(), T, fast.data(), pool);
    linear_reference(w.l, x.data(), T, ref.data(), pool);
    convert_rows(w.l.w, 0, out, wf.data());
    const std::string route = kernels::route_name(w.l.w, kernels::best_isa());
    const bool int8 = route.find("q8") != std::string::npos || route.find("q4") != std::string::npos ||
                      route.find("q6_K") != std::string::npos || route.find("q5_0") != std::string::npos ||
                      route.find("q5_K") != std::string::npos || route.find("q5_1") != std::string::npos;
    const int64_t ab = ty.q == GgmlType::Q4_K || ty.q == GgmlType::Q5_K || ty.q == GgmlType::Q6_K ? 256 : 32;
    double worst = 0;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t r = 0; r < out; ++r) {
        double mag = std::fabs(w.l.bias[r]), qerr = 0;
        for (int64_t b0 = 0; b0 < in; b0 += ab) {
          double amax = 0, wsum = 0;
          for (int64_t i = b0; i < b0 + ab; ++i) {
            amax = std::max(amax, double{std::fabs(x[t * in + i])});
            wsum += std::fabs(wf[r * in + i]);
            mag += std::fabs(double{wf[r * in + i]} * x[t * in + i]);
          }
          qerr += 0.57 * amax / 127 * wsum;
        }
        const double tol = 2 * (in / 8.0 + 16) * 1.2e-7 * (mag + qerr) + (int8 ? qerr : 0.0);
        const double diff = std::fabs(double{fast[t * out + r]} - ref[t * out + r]);
        ASSERT_LE(diff, tol) << route << " t=" << t << " r=" << r;
        worst = std::max(worst, diff / tol);
      }
    }
    std::printf("%-24s max |fast - reference| / bound = %.3f\n", route.c_str(), worst);
  }
}

TEST(LinearBatch, ReferenceSwitchMakesLinearExact) {
  ThreadPool pool(2);
  const LinearKernels before = linear_kernels();
  const int64_t out = 19, in = 256, T = 4;
  for (const auto& ty : test::testable_wtypes()) {
    auto w = test::make_linear(ty, out, in, 31, true);
    const auto x = test::random_vec(static_cast<size_t>(T * in), 32);
    std::vector<float> y(static_cast<size_t>(T * out)), ref(y.size());
    linear_reference(w.l, x.data(), T, ref.data(), pool);
    {
      ScopedLinearKernels scoped(LinearKernels::kReference);
      EXPECT_EQ(linear_kernels(), LinearKernels::kReference);
      linear(w.l, x.data(), T, y.data(), pool);
    }
    EXPECT_TRUE(same_bits(y.data(), ref.data(), T * out)) << ty.name;
  }
  EXPECT_EQ(linear_kernels(), before);  // restored
}

// linear_many runs several layers in one pool round: each call's output is bitwise its linear() alone, on every
// route (mixed types, packed and stored Q4_0, biases, different token counts, 1..3 threads, the reference switch).
TEST(LinearBatch, ManyCallsEqualEachCallAlone) {
  ThreadPool pool1(1), pool2(2), pool3(3);
  const int64_t in = 256;
  std::vector<test::OwnedLinear> ws;
  std::vector<int64_t> outs, Ts;
  uint32_t seed = 7;
  for (const auto& ty : test::testable_wtypes()) {
    ws.push_back(test::make_linear(ty, 19 + static_cast<int64_t>(seed % 23), in, seed, seed % 2 == 0));
    Ts.push_back(1 + static_cast<int64_t>(seed % 5));
    ++seed;
  }
  ws.push_back(test::make_linear(test::WType{true, GgmlType::Q4_0, DType::U8, "q4_0"}, 40, in, 99));
  ws.back().l.packed = kernels::pack_weight(ws.back().l.w, pool1);  // null where this CPU has no packed route
  Ts.push_back(3);
  for (LinearKernels k : {LinearKernels::kFast, LinearKernels::kReference}) {
    ScopedLinearKernels scoped(k);
    std::vector<std::vector<float>> xs, refs;
    for (size_t i = 0; i < ws.size(); ++i) {
      xs.push_back(test::random_vec(static_cast<size_t>(Ts[i] * in), static_cast<uint32_t>(100 + i)));
      refs.emplace_back(static_cast<size_t>(Ts[i] * ws[i].l.out()));
      linear(ws[i].l, xs[i].data(), Ts[i], refs[i].data(), pool1);
    }
    for (ThreadPool* pool : {&pool1, &pool2, &pool3}) {
      std::vector<std::vector<float>> ys;
      std::vector<LinearCall> calls;
      for (size_t i = 0; i < ws.size(); ++i) ys.emplace_back(refs[i].size(), -7.0f);
      for (size_t i = 0; i < ws.size(); ++i) calls.push_back({&ws[i].l, xs[i].data(), Ts[i], ys[i].data()});
      linear_many(calls, *pool);
      for (size_t i = 0; i < ws.size(); ++i) {
        EXPECT_TRUE(same_bits(ys[i].data(), refs[i].data(), static_cast<int64_t>(refs[i].size())))
            << "call " << i << " (" << ws[i].l.w.type_name() << ") threads=" << pool->size()
            << (k == LinearKernels::kReference ? " reference" : " fast");
      }
    }
  }
}

}  // namespace
}  // namespace nt
