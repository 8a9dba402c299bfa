// The AMX prefill kernels (src/kernels/gemm_amx_impl.h) on the software tile model (amx_emulated.h): Q8_0, Q4_0 and
// Q4_K bitwise the VNNI kernels of the same packed layouts over odd shapes (partial groups, odd block counts, slices
// of blocks and their tails, token tails and chunks, t0 offsets and output strides), with the number of TDPBSSD
// checked so the tile path cannot silently hand everything to the VNNI tail. Also the self-check that guards the
// real kernels: it accepts the model, and it rejects a kernel that computes something else or crashes.
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "amx_emulated.h"
#include "core/cpu_features.h"
#include "kernel_test_util.h"
#include "kernels/amx_check.h"
#include "kernels/linear_fast.h"
#include "kernels/packed_weight.h"
#include "quant/blocks.h"

namespace nt {
namespace {

using kernels::Act;
using kernels::Isa;
using kernels::TileFn;

bool vnni() { return kernels::isa_available(Isa::kAvx512); }

// Stored rows with extreme quants mixed in (Q8_0 −128 and 127; Q4_0 and Q4_K nibbles 0 and 15), then packed.
struct Packed {
  test::OwnedLinear w;
  std::shared_ptr<const kernels::PackedWeight> p;
};

Packed packed_weight(GgmlType type, int64_t out, int64_t in, uint32_t seed) {
  const test::WType ty{true, type, DType::U8, ggml_type_traits(type).name.data()};
  Packed r{test::make_linear(ty, out, in, seed), nullptr};
  const size_t block = ggml_type_traits(type).type_size;
  const size_t quants = type == GgmlType::Q4_K ? 16 : 2;  // offset of the quants in a block
  for (size_t b = 0, i = 0; b + block <= r.w.bytes.size(); b += block, ++i) {
    if (i % 3 == 0) r.w.bytes[b + quants + i % 16] = type == GgmlType::Q8_0 ? 0x80 : 0xf0;
    if (i % 5 == 0) r.w.bytes[b + quants + 1 + i % 15] = type == GgmlType::Q8_0 ? 0x7f : 0x0f;
  }
  ThreadPool pool(1);
  r.p = kernels::pack_weight(r.w.l.w, pool);
  return r;
}

// Activations of T tokens: q8_0 with Act::ybias for weight offset c, or (c = 0) q8_K with Act::q8k_bsum2.
struct Acts {
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<int32_t> ybias, bsum2;
  std::vector<BlockQ8_K> q8k;
  Act a;
};

Acts activations(int64_t T, int64_t in, int32_t c, uint32_t seed) {
  Acts r;
  const auto x = test::random_vec(static_cast<size_t>(T * in), seed);
  r.a.n_in = in;
  if (c == 0) {
    const int64_t nb = in / 256;
    r.q8k.resize(static_cast<size_t>(T * nb));
    r.bsum2.resize(static_cast<size_t>(T * nb * 4));
    for (int64_t t = 0; t < T; ++t) {
      kernels::quantize_act_q8_K(Isa::kAvx2, x.data() + t * in, in, r.q8k.data() + t * nb);
      kernels::q8k_pair_sums(r.q8k.data() + t * nb, nb, r.bsum2.data() + t * nb * 4);
    }
    r.a.q8k = r.q8k.data();
    r.a.q8k_bsum2 = r.bsum2.data();
    return r;
  }
  const int64_t nb = in / 32;
  r.qs.resize(x.size());
  r.d.resize(static_cast<size_t>(T * nb));
  r.ybias.resize(r.d.size());
  for (int64_t t = 0; t < T; ++t) {
    kernels::quantize_act_q8_0(Isa::kAvx2, x.data() + t * in, in, r.qs.data() + t * in, r.d.data() + t * nb);
    kernels::avx2::block_bias(r.qs.data() + t * in, in, c, r.ybias.data() + t * nb);
  }
  r.a.qs = r.qs.data();
  r.a.d = r.d.data();
  r.a.ybias = r.ybias.data();
  return r;
}

// c: the weight offset of the VNNI kernel's Act::ybias (Q4_K: 0, q8_K activations).
void expect_model_matches_vnni(GgmlType type, TileFn model, TileFn vnni_tile, int32_t c) {
  const bool k_quant = type == GgmlType::Q4_K;
  // Q8_0 / Q4_0 in: 1, 11 (pairs and a single block), 65 (slices of 32, 32 and 1 blocks) and 129 blocks. Q4_K: 1, 3, 5
  // (slices of 4 and 1) and 9 super-blocks; 80 tokens: token chunks of 64 and 16.
  const std::vector<int64_t> ins = k_quant ? std::vector<int64_t>{256, 768, 1280, 2304}
                                           : std::vector<int64_t>{32, 352, 2080, 4128};
  for (int64_t out : {1, 8, 16, 17, 40, 48}) {
    for (int64_t in : ins) {
      const Packed w = packed_weight(type, out, in, static_cast<uint32_t>(out * 7 + in));
      ASSERT_TRUE(w.p) << out << "x" << in;
      const int64_t groups = (out + 15) / 16, nb = in / 32;  // TDPBSSD per group and token tile: one per 32 inputs
      for (int64_t nt : {15, 16, 17, 37, 64, 80}) {
        if (nt == 80 && !k_quant) continue;
        for (int64_t t0 : {int64_t{0}, int64_t{3}}) {
          const Acts acts = activations(t0 + nt, in, c, static_cast<uint32_t>(nt + in));
          const int64_t ldy = out + 5;
          std::vector<float> want(static_cast<size_t>(nt * ldy), -7.0f), got(want);
          vnni_tile(w.p->data, w.p->group_bytes, out, acts.a, t0, nt, want.data(), ldy);
          const uint64_t before = kernels::amx_model::dpbssd_count();
          model(w.p->data, w.p->group_bytes, out, acts.a, t0, nt, got.data(), ldy);
          EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0)
              << ggml_type_traits(type).name << " " << out << "x" << in << " nt=" << nt << " t0=" << t0;
          EXPECT_EQ(kernels::amx_model::dpbssd_count() - before, static_cast<uint64_t>(groups * (nt / 16) * nb))
              << "one TDPBSSD per group, 16-token tile and block";
        }
      }
    }
  }
}

TEST(AmxModel, PackedQ8_0BitwiseTheVnniKernel) {
  if (!vnni()) GTEST_SKIP() << "the model's epilogue needs AVX-512 VNNI";
  expect_model_matches_vnni(GgmlType::Q8_0, kernels::amx_model::tile_q8_0_packed, kernels::avx512::tile_q8_0_packed,
                            128);
}

TEST(AmxModel, PackedQ4_0BitwiseTheVnniKernel) {
  if (!vnni()) GTEST_SKIP() << "the model's epilogue needs AVX-512 VNNI";
  expect_model_matches_vnni(GgmlType::Q4_0, kernels::amx_model::tile_q4_0_packed, kernels::avx512::tile_q4_0_packed,
                            8);
}

// The roofline loop of `nemotron bench` on AMX machines: its tile configuration is accepted, it executes the four
// TDPBSSD per iteration that it counts, and they compute what it says.
TEST(AmxModel, PeakLoopRunsWhatItCounts) {
  int32_t sink = 0;
  const uint64_t before = kernels::amx_model::dpbssd_count();
  EXPECT_EQ(kernels::amx_model::int8_tile_loop(3, 5, &sink), 3.0 * 4 * 16 * 16 * 64 * 2);
  EXPECT_EQ(kernels::amx_model::dpbssd_count() - before, 12u);
  EXPECT_EQ(sink, 3 * 64 * 5 * 3);
}

TEST(AmxModel, PackedQ4_KBitwiseTheVnniKernel) {
  if (!vnni()) GTEST_SKIP() << "the model's epilogue needs AVX-512 VNNI";
  expect_model_matches_vnni(GgmlType::Q4_K, kernels::amx_model::tile_q4_K_packed, kernels::avx512::tile_q4_K_packed, 0);
}

void crash(const uint8_t*, size_t, int64_t, const Act&, int64_t, int64_t, float*, int64_t) { std::raise(SIGILL); }

TEST(AmxSelfCheck, AcceptsKernelsThatAgree) {
  if (!vnni()) GTEST_SKIP() << "the check's kernels need AVX-512 VNNI";
  const kernels::KernelPair cases[] = {
      {GgmlType::Q8_0, &kernels::avx512::tile_q8_0_packed, &kernels::amx_model::tile_q8_0_packed},
      {GgmlType::Q4_0, &kernels::avx512::tile_q4_0_packed, &kernels::amx_model::tile_q4_0_packed},
      {GgmlType::Q4_K, &kernels::avx512::tile_q4_K_packed, &kernels::amx_model::tile_q4_K_packed},
  };
  const char* why = nullptr;
  EXPECT_TRUE(kernels::packed_kernels_agree(cases, &why)) << why;
}

TEST(AmxSelfCheck, RejectsWrongResultsAndSurvivesACrash) {
  if (!vnni()) GTEST_SKIP() << "the check's kernels need AVX-512 VNNI";
  const char* why = nullptr;
  // The VNNI Q4_0 kernel on Q8_0 records computes something else.
  const kernels::KernelPair wrong[] = {
      {GgmlType::Q4_0, &kernels::avx512::tile_q4_0_packed, &kernels::avx512::tile_q4_0_packed},
      {GgmlType::Q8_0, &kernels::avx512::tile_q8_0_packed, &kernels::avx512::tile_q4_0_packed},
  };
  EXPECT_FALSE(kernels::packed_kernels_agree(wrong, &why));
  EXPECT_STREQ(why, "q8_0 results differ");
  const kernels::KernelPair crashing[] = {{GgmlType::Q4_K, &kernels::avx512::tile_q4_K_packed, &crash}};
  EXPECT_FALSE(kernels::packed_kernels_agree(crashing, &why));
  EXPECT_NE(std::string(why).find("signal"), std::string::npos) << why;
}

TEST(AmxSelfCheck, OffWithoutAmx) {
  if (cpu_features().amx_int8) GTEST_SKIP() << "this CPU has AMX";
  EXPECT_FALSE(kernels::amx_kernels_ready());
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_K}) EXPECT_FALSE(kernels::amx_covers(t));
}

// The one list of AMX kernels: each packed VNNI kernel with an AMX twin finds it, the route names say "+amx", and
// the types without a twin (Q6_K, Q5_K) and the AMX kernels themselves have none.
TEST(AmxSelfCheck, EachPackedVnniKernelFindsItsTwin) {
  const auto pairs = kernels::amx_kernel_pairs();
  ASSERT_EQ(pairs.size(), 3u);
  for (const kernels::KernelPair& p : pairs) {
    ASSERT_EQ(kernels::amx_twin(p.reference), &p);
    EXPECT_EQ(kernels::amx_twin(p.candidate), nullptr);
    EXPECT_NE(std::string(p.route).find("+amx"), std::string::npos) << p.route;
    EXPECT_EQ(std::string(p.route).rfind(std::string(ggml_type_traits(p.type).name) + "x16", 0), 0u) << p.route;
  }
  EXPECT_EQ(kernels::amx_twin(&kernels::avx512::tile_q6_K_packed), nullptr);
  EXPECT_EQ(kernels::amx_twin(&kernels::avx512::tile_q5_K_packed), nullptr);
  EXPECT_EQ(kernels::amx_twin(&kernels::avx2::tile_q8_0_packed), nullptr);
}

}  // namespace
}  // namespace nt
