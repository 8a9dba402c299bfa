// The AVX-512 kernels (gemm_*_avx512.cc) perform each output element's operations exactly as the AVX2 kernels do,
// only in wider registers: for Q8_0, Q4_0 (stored and packed), Q4_K and Q6_K (stored and packed) the two routes
// agree bit for bit, for any row count (odd, partial register tiles), token count (decode and prefill tiles) and
// input width (odd block counts). Weights include the extreme quants (−128 in Q8_0, 0 and 15 in Q4_0) the bias
// tricks must get right. (Q5_0 has one kernel, AVX2, for both routes.)
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "kernels/linear_fast.h"
#include "kernels/packed_weight.h"
#include "quant/ggml_type.h"

namespace nt {
namespace {

using kernels::Isa;

// Overwrites some quants with the extremes of their range: q8_0 -128 / 127, q4_0 nibbles 0x0 / 0xF.
void add_extremes(test::OwnedLinear& w, GgmlType q) {
  const GgmlTypeTraits& tr = ggml_type_traits(q);
  const size_t n_blocks = w.bytes.size() / tr.type_size;
  for (size_t b = 0; b < n_blocks; b += 3) {
    uint8_t* blk = w.bytes.data() + b * tr.type_size;
    for (size_t i = 2; i < tr.type_size; i += 5) blk[i] = q == GgmlType::Q8_0 ? (b % 2 ? 0x80 : 0x7F) : (b % 2 ? 0x00 : 0xFF);
  }
}

TEST(LinearIsa, Avx512EqualsAvx2Bitwise) {
  if (!kernels::isa_available(Isa::kAvx512)) GTEST_SKIP() << "this CPU has no AVX-512 VNNI";
  ThreadPool pool(2);
  const test::WType types[] = {{true, GgmlType::Q8_0, DType::U8, "q8_0"},
                               {true, GgmlType::Q4_0, DType::U8, "q4_0"},
                               {true, GgmlType::Q4_K, DType::U8, "q4_K"},
                               {true, GgmlType::Q6_K, DType::U8, "q6_K"}};
  for (const auto& ty : types) {
    const bool k_quant = ty.q == GgmlType::Q4_K || ty.q == GgmlType::Q6_K;
    for (int64_t out : {1, 2, 3, 5, 8, 9, 16, 17, 37}) {
      for (int64_t in : k_quant ? std::vector<int64_t>{256, 768} : std::vector<int64_t>{32, 64, 96, 160, 224, 256}) {
        auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 17 + in), false);
        if (!k_quant) add_extremes(w, ty.q);  // K-quant blocks: random rows already span the quant range
        Linear packed = w.l;
        packed.packed = kernels::pack_weight(w.l.w, pool);  // null where packing does not apply
        for (int64_t T : {1, 2, 3, 4, 5, 6, 9, 64, 67}) {
          const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T * 3 + 1));
          std::vector<float> a(static_cast<size_t>(T * out)), b(a.size());
          kernels::linear_fast(w.l, x.data(), T, a.data(), pool, Isa::kAvx2);
          kernels::linear_fast(w.l, x.data(), T, b.data(), pool, Isa::kAvx512);
          EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0)
              << ty.name << " " << out << "x" << in << " T=" << T;
          if (packed.packed) {
            kernels::linear_fast(packed, x.data(), T, b.data(), pool, Isa::kAvx512);
            EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0)
                << ty.name << " packed " << out << "x" << in << " T=" << T;
          }
        }
      }
    }
  }
}

TEST(LinearIsa, BestIsaNamesTheRoute) {
  const Isa best = kernels::best_isa();
  EXPECT_TRUE(kernels::isa_available(best));
  auto w = test::make_linear({true, GgmlType::Q8_0, DType::U8, "q8_0"}, 4, 64, 1);
  EXPECT_EQ(kernels::route_name(w.l, best), std::string(kernels::isa_name(best)) + "/q8_0");
}

}  // namespace
}  // namespace nt
