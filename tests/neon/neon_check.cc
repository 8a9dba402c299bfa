// The AArch64 NEON kernels, cross-compiled and run under QEMU (run.sh): Q8_0 and Q4_0 stored rows bit for bit
// against the plain statement of the SIMD sequence (tests/kernels/simd_sequence_reference.h, which the x86 kernels
// also match) over odd shapes and token tails, directly and through linear_fast on 1 and 2 threads, and close to
// the portable kernels (ggml's operation order); F32 / BF16 / F16 rows bit for bit against the fp32 sequence, and a
// converted type on the NEON fp32 kernel; the sequence-op GEMM bit for bit against its plain sequence; the roofline
// loops of `nemotron bench`. Prints one line per failure; exits 1 if any, 0 otherwise.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/gemm.h"
#include "kernels/linear_fast.h"
#include "kernels/kernel_test_util.h"
#include "kernels/simd_sequence_reference.h"
#include "ops/seq_kernels.h"
#include "perf/machine_roofline.h"
#include "perf/peak_kernels.h"

namespace nt {
namespace {

using kernels::Isa;

int failures = 0;

void fail(const char* what, const char* type, int64_t out, int64_t in, int64_t T) {
  std::printf("FAIL %s %s %lldx%lld T=%lld\n", what, type, static_cast<long long>(out), static_cast<long long>(in),
              static_cast<long long>(T));
  ++failures;
}

void check_type(bool q4) {
  const test::WType ty{true, q4 ? GgmlType::Q4_0 : GgmlType::Q8_0, DType::U8, q4 ? "q4_0" : "q8_0"};
  ThreadPool pool1(1), pool2(2);
  for (int64_t out : {1, 3, 4, 5, 8, 17, 33}) {
    for (int64_t in : {32, 96, 544}) {
      const auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 31 + in));
      if (kernels::route_name(w.l, Isa::kNeon) != std::string("neon/") + ty.name) fail("route", ty.name, out, in, 0);
      for (int64_t T : {1, 2, 3, 4, 5, 7, 9}) {
        const int64_t nb = in / 32;
        const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T * 7 + in));
        std::vector<int8_t> qs(static_cast<size_t>(T * in));
        std::vector<float> d(static_cast<size_t>(T * nb));
        for (int64_t t = 0; t < T; ++t) {
          kernels::quantize_act_q8_0(Isa::kNeon, x.data() + t * in, in, qs.data() + t * in, d.data() + t * nb);
        }
        kernels::Act a;
        a.n_in = in;
        a.qs = qs.data();
        a.d = d.data();
        std::vector<float> want(static_cast<size_t>(T * out)), got(want.size(), -1.0f);
        test::simd_sequence_reference(q4, w.l.w.data, w.l.w.row_bytes(), out, qs.data(), d.data(), in, T, want.data(),
                                      out);
        (q4 ? kernels::neon::tile_q4_0 : kernels::neon::tile_q8_0)(w.l.w.data, w.l.w.row_bytes(), out, a, 0, T,
                                                                   got.data(), out);
        if (std::memcmp(got.data(), want.data(), want.size() * sizeof(float)) != 0) fail("tile", ty.name, out, in, T);
        std::vector<float> port(want.size());
        kernels::linear_fast(w.l, x.data(), T, port.data(), pool1, Isa::kScalar);
        for (ThreadPool* p : {&pool1, &pool2}) {
          std::vector<float> y(want.size(), -1.0f);
          kernels::linear_fast(w.l, x.data(), T, y.data(), *p, Isa::kNeon);
          if (std::memcmp(y.data(), want.data(), want.size() * sizeof(float)) != 0) fail("linear", ty.name, out, in, T);
          for (size_t i = 0; i < y.size(); ++i) {
            if (std::fabs(y[i] - port[i]) > 1e-4f * (1.0f + std::fabs(port[i]))) {
              fail("portable", ty.name, out, in, T);
              break;
            }
          }
        }
      }
    }
  }
}

// F32 / BF16 / F16 rows through linear_fast on NEON: the fp32 sequence's bits (the AVX2 kernels' too), and a
// converted type (Q5_1, no integer kernel here) on the NEON fp32 kernel close to the portable route.
void check_float() {
  ThreadPool pool1(1), pool2(2);
  const test::WType types[] = {{false, GgmlType::F32, DType::F32, "f32"},
                               {false, GgmlType::F32, DType::BF16, "bf16"},
                               {false, GgmlType::F32, DType::F16, "f16"}};
  for (const test::WType& ty : types) {
    for (int64_t out : {1, 4, 7, 9}) {
      for (int64_t in : {3, 8, 29, 64}) {
        const auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 5 + in));
        if (kernels::route_name(w.l, Isa::kNeon) != std::string("neon/") + ty.name) fail("route", ty.name, out, in, 0);
        for (int64_t T : {1, 2, 3, 5}) {
          const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T + in));
          std::vector<float> want(static_cast<size_t>(T * out));
          const auto weight = [&](int64_t r, int64_t k) { return test::weight_at(w.l.w, r, k); };
          test::fp32_sequence_reference(weight, out, x.data(), in, T, want.data(), out);
          for (ThreadPool* p : {&pool1, &pool2}) {
            std::vector<float> y(want.size(), -1.0f);
            kernels::linear_fast(w.l, x.data(), T, y.data(), *p, Isa::kNeon);
            if (std::memcmp(y.data(), want.data(), want.size() * sizeof(float)) != 0) {
              fail("linear", ty.name, out, in, T);
            }
          }
        }
      }
    }
  }
  const test::WType q5{true, GgmlType::Q5_1, DType::U8, "q5_1"};
  const auto w = test::make_linear(q5, 9, 64, 3);
  if (kernels::route_name(w.l, Isa::kNeon) != "neon/convert(q5_1)") fail("route", q5.name, 9, 64, 0);
  const auto x = test::random_vec(3 * 64, 4);
  std::vector<float> y(27), port(27);
  kernels::linear_fast(w.l, x.data(), 3, y.data(), pool2, Isa::kNeon);
  kernels::linear_fast(w.l, x.data(), 3, port.data(), pool1, Isa::kScalar);
  for (size_t i = 0; i < y.size(); ++i) {
    if (std::fabs(y[i] - port[i]) > 1e-4f * (1.0f + std::fabs(port[i]))) {
      fail("convert", q5.name, 9, 64, 3);
      break;
    }
  }
}

// The sequence-op set: NEON's GEMM (the chunked SSD scan's) bit for bit against its plain sequence.
void check_seq_gemm() {
  const kernels::SeqKernels& k = kernels::seq_kernels();
  if (std::string(k.name) != "neon") {
    std::printf("FAIL the sequence-op set is %s, not neon\n", k.name);
    ++failures;
    return;
  }
  test::compare_seq_gemm(k.gemm,
                         [](int64_t M, int64_t Nc, int64_t K, bool, float) { fail("seq gemm", "f32", M, Nc, K); });
}

// The roofline loops of `nemotron bench` (perf/peak_kernels_neon.cc): their results equal the plain arithmetic of the
// chains they count (so every counted instruction ran), and measure_peak / the bandwidth probe use them. (Their
// speed under QEMU means nothing; on x86 MachineRoofline.PeakLoopsRunEveryOperationTheyCount times the loops.)
void check_roofline_loops() {
  constexpr int64_t kIters = 7;
  int32_t isink = 0;
  const double iops = perf::neon::int8_dot_loop(kIters, 5, &isink);
  // Chain j, lane 0: j + kIters · (4 products of 5 · 3); the sink is lane 0 summed over the ten chains.
  const int32_t iwant = 45 + 10 * kIters * 4 * 5 * 3;
  if (isink != iwant || iops != kIters * 10 * 16 * 2.0) {
    std::printf("FAIL sdot loop: sink %d (want %d), %g ops\n", isink, iwant, iops);
    ++failures;
  }
  float fsink = 0;
  const float seed = 0.5f, b = 1.0f - seed * 1e-7f;
  const double fops = perf::neon::f32_fma_loop(kIters, seed, &fsink);
  float c[10];
  for (int j = 0; j < 10; ++j) {
    c[j] = seed + static_cast<float>(j);
    for (int64_t i = 0; i < kIters; ++i) c[j] = std::fma(seed, b, c[j]);
  }
  const float s = ((c[0] + c[1]) + (c[2] + c[3])) + ((c[4] + c[5]) + ((c[6] + c[7]) + (c[8] + c[9])));
  // Lanes 0 and 3 hold the same value. (Within 0.01: b may round differently where the compiler contracts its
  // expression; one iteration missing would move the sum by 1.)
  if (std::fabs(fsink - 2 * s) > 0.01f || fops != kIters * 10 * 4 * 2.0) {
    std::printf("FAIL fmla loop: sink %.9g (want %.9g), %g ops\n", fsink, 2 * s, fops);
    ++failures;
  }
  std::vector<uint64_t> buf(1024);
  uint64_t want = 0;
  for (size_t i = 0; i < buf.size(); ++i) want += buf[i] = i * 2654435761u;
  if (perf::neon::read_sum(buf.data(), static_cast<int64_t>(buf.size())) != want) {
    std::printf("FAIL read_sum\n");
    ++failures;
  }
  ThreadPool pool(2);
  const perf::PeakResult dot = perf::measure_peak(pool, perf::PeakKind::kInt8Dot, 0.01);
  const perf::PeakResult fma = perf::measure_peak(pool, perf::PeakKind::kF32Fma, 0.01);
  if (dot.instruction != "neon sdot v.4s" || fma.instruction != "neon fmla v.4s" || dot.gops_per_s <= 0 ||
      fma.gops_per_s <= 0) {
    std::printf("FAIL measure_peak: %s %g, %s %g\n", dot.instruction.c_str(), dot.gops_per_s, fma.instruction.c_str(),
                fma.gops_per_s);
    ++failures;
  }
}

}  // namespace
}  // namespace nt

int main() {
  using namespace nt;
  std::printf("cpu: %s\n", describe(cpu_features()).c_str());
  if (!cpu_features().neon_dotprod) {
    std::printf("FAIL this CPU (emulated) reports no dotprod\n");
    return 1;
  }
  if (kernels::best_isa() != Isa::kNeon) {
    std::printf("FAIL best_isa is not neon\n");
    return 1;
  }
  check_type(false);
  check_type(true);
  check_float();
  check_seq_gemm();
  check_roofline_loops();
  std::printf("%s: %d failures\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}
