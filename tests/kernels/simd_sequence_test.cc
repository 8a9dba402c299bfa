// The x86 Q8_0 / Q4_0 kernels against the plain C++ statement of their operation sequence
// (simd_sequence_reference.h), bit for bit; the NEON kernels are held to the same reference under QEMU
// (tests/neon/), which makes all of them agree with each other.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "kernels/gemm.h"
#include "kernels/linear_fast.h"
#include "ops/seq_kernels.h"
#include "simd_sequence_reference.h"

namespace nt {
namespace {

using kernels::Isa;

TEST(SimdSequence, X86KernelsGiveThePlainSequencesBits) {
#if defined(NEMOTRON_X86)
  if (!kernels::isa_available(Isa::kAvx2)) GTEST_SKIP() << "no AVX2";
  struct Kernel {
    bool q4;
    kernels::TileFn fn;
    int32_t offset;  // Act::ybias c
    bool avx512;
  };
  const Kernel ks[] = {{false, &kernels::avx2::tile_q8_0, 0, false},
                       {true, &kernels::avx2::tile_q4_0, 8, false},
                       {false, &kernels::avx512::tile_q8_0, 128, true},
                       {true, &kernels::avx512::tile_q4_0, 8, true}};
  for (const Kernel& k : ks) {
    if (k.avx512 && !kernels::isa_available(Isa::kAvx512)) continue;
    const test::WType ty{true, k.q4 ? GgmlType::Q4_0 : GgmlType::Q8_0, DType::U8, k.q4 ? "q4_0" : "q8_0"};
    for (int64_t out : {1, 5, 8, 17}) {
      for (int64_t in : {32, 96, 544}) {
        const auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 13 + in));
        for (int64_t T : {1, 3, 9}) {
          const int64_t nb = in / 32;
          const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T + in));
          std::vector<int8_t> qs(static_cast<size_t>(T * in));
          std::vector<float> d(static_cast<size_t>(T * nb));
          std::vector<int32_t> bias(d.size());
          for (int64_t t = 0; t < T; ++t) {
            kernels::quantize_act_q8_0(Isa::kScalar, x.data() + t * in, in, qs.data() + t * in, d.data() + t * nb);
            kernels::avx2::block_bias(qs.data() + t * in, in, k.offset, bias.data() + t * nb);
          }
          kernels::Act a;
          a.n_in = in;
          a.qs = qs.data();
          a.d = d.data();
          a.ybias = k.offset != 0 ? bias.data() : nullptr;
          std::vector<float> want(static_cast<size_t>(T * out)), got(want.size(), -1.0f);
          test::simd_sequence_reference(k.q4, w.l.w.data, w.l.w.row_bytes(), out, qs.data(), d.data(), in, T,
                                        want.data(), out);
          k.fn(w.l.w.data, w.l.w.row_bytes(), out, a, 0, T, got.data(), out);
          EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
              << ty.name << (k.avx512 ? " avx512 " : " avx2 ") << out << "x" << in << " T=" << T;
        }
      }
    }
  }
#else
  GTEST_SKIP() << "x86 kernels only";
#endif
}

TEST(SimdSequence, X86FloatKernelsGiveThePlainSequencesBits) {
#if defined(NEMOTRON_X86)
  if (!kernels::isa_available(Isa::kAvx2)) GTEST_SKIP() << "no AVX2";
  const std::pair<test::WType, kernels::TileFn> ks[] = {
      {{false, GgmlType::F32, DType::F32, "f32"}, &kernels::avx2::tile_f32},
      {{false, GgmlType::F32, DType::BF16, "bf16"}, &kernels::avx2::tile_bf16},
      {{false, GgmlType::F32, DType::F16, "f16"}, &kernels::avx2::tile_f16}};
  for (const auto& [ty, fn] : ks) {
    for (int64_t out : {1, 5, 8}) {
      for (int64_t in : {3, 8, 29, 64}) {
        const auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 5 + in));
        for (int64_t T : {1, 2, 4}) {
          const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T + in));
          kernels::Act a;
          a.n_in = in;
          a.x = x.data();
          std::vector<float> want(static_cast<size_t>(T * out)), got(want.size(), -1.0f);
          const auto weight = [&](int64_t r, int64_t k) { return test::weight_at(w.l.w, r, k); };
          test::fp32_sequence_reference(weight, out, x.data(), in, T, want.data(), out);
          fn(w.l.w.data, w.l.w.row_bytes(), out, a, 0, T, got.data(), out);
          EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
              << ty.name << " " << out << "x" << in << " T=" << T;
        }
      }
    }
  }
#else
  GTEST_SKIP() << "x86 kernels only";
#endif
}

// The sequence-op GEMM of the SIMD sets, against the plain statement of its sequence; the NEON set is held to the
// same under QEMU (tests/neon).
TEST(SimdSequence, SeqGemmOfTheSimdSetsGivesThePlainSequencesBits) {
  const kernels::SeqKernels* sets[4];
  const int n = kernels::available_seq_kernels(sets, 4);
  int checked = 0;
  for (int s = 0; s < n; ++s) {
    if (std::string(sets[s]->name) == "scalar") continue;
    ++checked;
    test::compare_seq_gemm(sets[s]->gemm, [&](int64_t M, int64_t Nc, int64_t K, bool lower, float beta) {
      ADD_FAILURE() << sets[s]->name << " M=" << M << " N=" << Nc << " K=" << K << " lower=" << lower
                    << " beta=" << beta;
    });
  }
  if (checked == 0) GTEST_SKIP() << "no SIMD sequence-op set on this CPU";
}

}  // namespace
}  // namespace nt
