// Weights packed at load (kernels/packed_weight.h): the packed copy is only a different byte order for the same
// per-element operations, so linear() on a packed weight is bitwise linear() on the stored one, for any row count
// (partial last group of 16), any token count (decode-sized and prefill-sized tiles) and any thread count (Q5_0
// packed for AVX-512, the K-quants for both instruction sets: bitwise the AVX2 kernel on the stored rows); and
// a Q4_0 or Q8_0 GGUF model loaded with packing gives bitwise the logits of the same file loaded without it. Weights
// of other types whose route reads the stored rows get, from one huge page up, a byte-for-byte copy (kStoredRows)
// that gives bitwise the same results.
// The copies of a loaded model share one allocation (huge pages).
#include <algorithm>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "formats/gguf_export.h"
#include "formats/gguf_synth.h"
#include "formats/synth_weights.h"
#include "model/config_json.h"
#include "core/mapped_file.h"
#include "kernel_test_util.h"
#include "kernels/amx_check.h"
#include "kernels/linear_fast.h"
#include "kernels/packed_weight.h"
#include "model/hybrid_lm.h"
#include "ops/linear.h"
#include "test_util.h"
#include "model/model_test_util.h"

namespace nt {
namespace {

using kernels::Isa;

const test::WType kQ4_0{true, GgmlType::Q4_0, DType::U8, "q4_0"};
const test::WType kQ8_0{true, GgmlType::Q8_0, DType::U8, "q8_0"};
const test::WType kQ5_0{true, GgmlType::Q5_0, DType::U8, "q5_0"};
const test::WType kQ4_K{true, GgmlType::Q4_K, DType::U8, "q4_K"};
const test::WType kQ5_K{true, GgmlType::Q5_K, DType::U8, "q5_K"};
const test::WType kQ6_K{true, GgmlType::Q6_K, DType::U8, "q6_K"};

bool packing_on_this_cpu() {
  auto w = test::make_linear(kQ4_0, 4, 64, 1);
  return kernels::packing_applies(w.l.w);
}

TEST(PackedWeight, AppliesOnlyToItsKernelsType) {
  if (!packing_on_this_cpu()) GTEST_SKIP() << "no packed layout for this CPU's fast route";
  ThreadPool pool(1);
  for (const auto& ty : test::testable_wtypes()) {
    auto w = test::make_linear(ty, 8, 64, 3);
    auto p = kernels::pack_weight(w.l.w, pool);
    // (64 inputs: no K-quant here; Q5_0 packs for the AVX-512 kernel only.)
    const bool q5 = ty.q == GgmlType::Q5_0 && kernels::best_isa() == Isa::kAvx512;
    EXPECT_EQ(p != nullptr, ty.quantized && (ty.q == GgmlType::Q4_0 || ty.q == GgmlType::Q8_0 || q5)) << ty.name;
  }
  {
    ScopedLinearKernels exact(LinearKernels::kReference);  // the reference route never reads a packed copy
    auto w = test::make_linear(kQ4_0, 8, 64, 3);
    EXPECT_FALSE(kernels::packing_applies(w.l.w));
  }
}

TEST(PackedWeight, LargeWeightsOfOtherTypesGetAStoredRowsCopy) {
  if (!packing_on_this_cpu()) GTEST_SKIP() << "no packed layout for this CPU's fast route";
  ThreadPool pool1(1), pool2(2);
  constexpr int64_t in = 512;
  constexpr size_t kHuge = size_t{2} << 20;
  for (const test::WType& ty : test::testable_wtypes()) {
    auto probe = test::make_linear(ty, 1, in, 1);
    if (kernels::has_group_layout(probe.l.w)) continue;  // Q4_0, Q8_0, K-quants (Q5_0 with AVX-512): packed
    const int64_t out = static_cast<int64_t>(kHuge / probe.l.w.row_bytes()) + 3;  // just over one huge page
    auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out));
    if (!kernels::route_reads_stored_rows(w.l.w, kernels::best_isa())) {
      EXPECT_FALSE(kernels::packing_applies(w.l.w)) << ty.name;  // converted tiles gain nothing from a copy
      continue;
    }
    auto small = test::make_linear(ty, out - 10, in, 3);
    EXPECT_FALSE(kernels::packing_applies(small.l.w)) << ty.name << ": under one huge page";
    Linear copied = w.l;
    copied.packed = kernels::pack_weight(w.l.w, pool2);
    ASSERT_TRUE(copied.packed) << ty.name;
    EXPECT_EQ(copied.packed->layout, kernels::PackedLayout::kStoredRows) << ty.name;
    const size_t bytes = w.l.w.row_bytes() * static_cast<size_t>(out);
    ASSERT_EQ(copied.packed->bytes, bytes) << ty.name;
    EXPECT_EQ(std::memcmp(copied.packed->data, w.l.w.data, bytes), 0) << ty.name;
    for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
      if (!kernels::isa_available(isa)) continue;
      EXPECT_EQ(kernels::route_name(copied, isa), kernels::route_name(w.l, isa)) << ty.name;
      for (int64_t T : {1, 3, 8, 17}) {
        const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T + 11));
        std::vector<float> ref(static_cast<size_t>(T * out));
        kernels::linear_fast(w.l, x.data(), T, ref.data(), pool1, isa);
        std::vector<float> y(ref.size(), -1.0f);
        kernels::linear_fast(copied, x.data(), T, y.data(), pool2, isa);
        EXPECT_EQ(std::memcmp(y.data(), ref.data(), sizeof(float) * ref.size()), 0)
            << kernels::isa_name(isa) << " " << ty.name << " T=" << T;
      }
    }
    // The copy is what the kernel reads: changing it changes the result (the stored bytes are not read).
    std::memset(copied.packed->data, 0, bytes);
    const auto x = test::random_vec(static_cast<size_t>(in), 5);
    std::vector<float> y(static_cast<size_t>(out), -1.0f);
    kernels::linear_fast(copied, x.data(), 1, y.data(), pool1, kernels::best_isa());
    EXPECT_EQ(std::count(y.begin(), y.end(), 0.0f), out) << ty.name;
  }
}

// The AVX-512 writer of whole Q4_0 / Q8_0 groups (kernels/pack_simd.h, which prefill uses to repack mapped experts)
// writes the portable writer's bytes: every group of weights with whole and partial last groups, short and long rows.
TEST(PackedWeight, SimdWriterWritesThePortableBytes) {
  if (!kernels::isa_available(Isa::kAvx512)) GTEST_SKIP() << "no AVX-512 writer on this CPU";
  for (const test::WType& ty : {kQ4_0, kQ8_0}) {
    for (int64_t out : {16, 37, 48, 130}) {
      for (int64_t in : {32, 96, 2688}) {
        auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 7 + in));
        const kernels::PackedWeight layout = kernels::group_layout(w.l.w);
        const int64_t groups = (out + kernels::kPackedGroupRows - 1) / kernels::kPackedGroupRows;
        std::vector<uint8_t> simd(static_cast<size_t>(groups) * layout.group_bytes, 0xA5);
        std::vector<uint8_t> portable(simd.size(), 0x5A);  // different filler: a byte neither writes would differ
        kernels::pack_groups(w.l.w, 0, groups, simd.data(), true);
        kernels::pack_groups(w.l.w, 0, groups, portable.data(), false);
        EXPECT_TRUE(simd == portable) << ty.name << " " << out << "x" << in;
        // one group from the middle, as a prefill thread packs its share
        if (groups > 2) {
          std::vector<uint8_t> one(layout.group_bytes);
          kernels::pack_groups(w.l.w, 1, 2, one.data(), true);
          EXPECT_TRUE(std::equal(one.begin(), one.end(), portable.begin() + static_cast<ptrdiff_t>(layout.group_bytes)))
              << ty.name << " " << out << "x" << in << " group 1";
        }
      }
    }
  }
}

// The portable writer no longer clears a whole group before writing it: every layout's whole group must write every
// byte of its records (two buffers pre-filled with different bytes come out equal), and a short last group is cleared.
TEST(PackedWeight, WholeGroupsWriteEveryByte) {
  for (const test::WType& ty : {kQ4_0, kQ8_0, kQ5_0, kQ4_K, kQ5_K, kQ6_K}) {
    const bool k_quant = ty.q == GgmlType::Q4_K || ty.q == GgmlType::Q5_K || ty.q == GgmlType::Q6_K;
    for (int64_t out : {16, 32, 21}) {
      const int64_t in = k_quant ? 512 : 96;
      auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out + in));
      if (!kernels::has_group_layout(w.l.w)) continue;  // no packed layout for this type on this CPU
      const kernels::PackedWeight layout = kernels::group_layout(w.l.w);
      const int64_t groups = (out + kernels::kPackedGroupRows - 1) / kernels::kPackedGroupRows;
      std::vector<uint8_t> a(static_cast<size_t>(groups) * layout.group_bytes, 0x00), b(a.size(), 0xFF);
      kernels::pack_groups(w.l.w, 0, groups, a.data(), false);
      kernels::pack_groups(w.l.w, 0, groups, b.data(), false);
      EXPECT_TRUE(a == b) << ty.name << " " << out << "x" << in;
    }
  }
}

TEST(PackedWeight, BitwiseEqualToStoredLayout) {
  if (!packing_on_this_cpu()) GTEST_SKIP() << "no packed layout for this CPU's fast route";
  ThreadPool pool1(1), pool2(2);
  for (const test::WType& ty : {kQ4_0, kQ8_0, kQ5_0, kQ4_K, kQ5_K, kQ6_K}) {
    const bool k_quant = ty.q == GgmlType::Q4_K || ty.q == GgmlType::Q5_K || ty.q == GgmlType::Q6_K;
    const bool avx512_only = ty.q == GgmlType::Q5_0;  // packed for the AVX-512 kernel only
    if (avx512_only && !kernels::isa_available(Isa::kAvx512)) continue;
    // 130 rows: one thread's run holds 8 whole groups, which decode reads as 4 streams of 2 (for_group_streams), and a
    // tail; 181: 11 whole groups, 4 streams of 2 and 3 whole groups left over; 4100: two threads' grabs of 8 blocks
    // (4 streams there too) and a last partial block, one thread 4 streams of 64; 48 and 80: prefill's pairs of
    // groups and one whole group left over. T: prefill's tiles of 6 tokens and their tails.
    // 48 x 7360: prefill passes over the rows in slices (230 blocks).
    // Q4_K: super-blocks of 256 inputs, 1 to 21.
    std::vector<std::pair<int64_t, int64_t>> shapes{{48, k_quant ? 5376 : 7360}};
    for (int64_t out : {1, 3, 4, 5, 8, 15, 16, 17, 33, 48, 80, 130, 181, 4100}) {
      for (int64_t in : k_quant ? std::vector<int64_t>{256, 768} : std::vector<int64_t>{32, 96, 512}) {
        shapes.push_back({out, in});
      }
    }
    for (const auto& [out, in] : shapes) {
      {
        auto w = test::make_linear(ty, out, in, static_cast<uint32_t>(out * 31 + in), out % 2 == 1);
        Linear packed = w.l;
        packed.packed = kernels::pack_weight(w.l.w, pool2);
        ASSERT_TRUE(packed.packed) << ty.name << " " << out << "x" << in;
        for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
          if (!kernels::isa_available(isa)) continue;
          const std::string name = kernels::isa_name(isa);
          // No AVX2 kernel for packed Q5_0: that route reads the stored rows, and the AVX-512 one must match.
          const bool packed_route = !avx512_only || isa == Isa::kAvx512;
          // Packed Q4_0 / Q8_0 / Q4_K prefill runs its 16-token tiles on AMX where the CPU has it (T = 17, 65 below).
          const bool amx = isa == Isa::kAvx512 &&
                           (ty.q == GgmlType::Q4_0 || ty.q == GgmlType::Q8_0 || ty.q == GgmlType::Q4_K) &&
                           kernels::amx_kernels_ready();
          EXPECT_EQ(kernels::route_name(packed, isa),
                    name + "/" + ty.name + (packed_route ? "x16" : "") + (amx ? "+amx" : ""));
          EXPECT_EQ(kernels::route_name(w.l, isa), name + "/" + ty.name);
          for (int64_t T : {1, 2, 3, 4, 5, 7, 8, 9, 17, 65}) {
            const auto x = test::random_vec(static_cast<size_t>(T * in), static_cast<uint32_t>(T + 5));
            std::vector<float> ref(static_cast<size_t>(T * out));
            kernels::linear_fast(w.l, x.data(), T, ref.data(), pool1, avx512_only ? Isa::kAvx2 : isa);
            for (ThreadPool* p : {&pool1, &pool2}) {
              std::vector<float> y(ref.size(), -1.0f);
              kernels::linear_fast(packed, x.data(), T, y.data(), *p, isa);
              EXPECT_EQ(std::memcmp(y.data(), ref.data(), sizeof(float) * ref.size()), 0)
                  << name << " " << ty.name << " " << out << "x" << in << " T=" << T << " threads=" << p->size();
            }
          }
        }
      }
    }
  }
}

using test::logits_of;

int64_t count_packed(const HybridLM& m) {
  int64_t n = 0;
  for_each_linear(const_cast<ModelWeights&>(m.weights()), [&](Linear& l) { n += l.packed != nullptr; });
  return n;
}

// The model's packed copies share one allocation, each 64-byte aligned and none overlapping another.
void expect_one_arena(const HybridLM& m, const std::string& name) {
  std::vector<const kernels::PackedWeight*> copies;
  for_each_linear(const_cast<ModelWeights&>(m.weights()), [&](Linear& l) {
    if (l.packed) copies.push_back(l.packed.get());
  });
  ASSERT_FALSE(copies.empty()) << name;
  std::sort(copies.begin(), copies.end(), [](auto* a, auto* b) { return a->data < b->data; });
  const uint8_t* arena = copies.front()->storage.get();
  for (size_t i = 0; i < copies.size(); ++i) {
    EXPECT_EQ(copies[i]->storage.get(), arena) << name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(copies[i]->data) % 64, 0u) << name;
    if (i > 0) {
      EXPECT_GE(copies[i]->data, copies[i - 1]->data + copies[i - 1]->bytes) << name;
    }
  }
}

TEST(PackedWeight, PackedModelGivesIdenticalLogits) {
  if (!packing_on_this_cpu()) GTEST_SKIP() << "no packed layout for this CPU's fast route";
  for (const std::string& name : test::fixture_cases()) {
    for (GgufPreset preset : {GgufPreset::Q4_0, GgufPreset::Q8_0}) {
      auto hf = HybridLM::load(test::fixtures_dir() + "/" + name);
      ASSERT_TRUE(hf.is_ok()) << hf.status().message();
      test::TempDir tmp;
      const std::string path = tmp.path() + "/model.gguf";
      GgufExportOptions o;
      o.preset = preset;
      ASSERT_TRUE(export_gguf(path, (*hf)->config(), (*hf)->weights(), o).is_ok());
      auto packed = HybridLM::load(path);  // a fixture's experts fit the budget: packed too
      auto mapped = HybridLM::load(path, LoadOptions{.pack_experts = false});
      auto plain = HybridLM::load(path, LoadOptions{.pack_weights = false});
      ASSERT_TRUE(packed.is_ok() && mapped.is_ok() && plain.is_ok()) << name;
      EXPECT_GT(count_packed(**packed), 0) << name;
      EXPECT_GT(count_packed(**mapped), 0) << name;
      // All experts packed or none: a fixture's experts (intermediate size 16) have no packed layout.
      EXPECT_EQ(count_packed(**packed), count_packed(**mapped)) << name;
      for (const LayerWeights& L : (*mapped)->weights().layers) {  // routed experts stay memory-mapped
        for (const MlpWeights& e : L.moe.experts) EXPECT_FALSE(e.up_proj.packed || e.down_proj.packed) << name;
      }
      EXPECT_EQ(count_packed(**plain), 0) << name;
      expect_one_arena(**packed, name);
      expect_one_arena(**mapped, name);
      const std::vector<int32_t> tokens{1, 5, 9, 2, 7, 3, 11, 4, 6, 8, 10, 12, 0, 13};
      const auto a = logits_of(**packed, tokens), b = logits_of(**plain, tokens), c = logits_of(**mapped, tokens);
      ASSERT_EQ(a.size(), b.size());
      ASSERT_EQ(c.size(), b.size());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0) << name;
      EXPECT_EQ(std::memcmp(c.data(), b.data(), sizeof(float) * c.size()), 0) << name;
    }
  }
}

// The 30B-A3B layout at 1/32 scale (shrink_config keeps the sizes in whole 32-value blocks, so the experts have a
// packed layout): the experts fit the budget, so by default they are packed, all of them; with pack_experts =
// false they stay mapped.
// Either way the logits equal those of the stored layout, bit for bit, for a prompt (prefill) and a decode step.
TEST(PackedWeight, RoutedExpertsPackedWhenTheyFit) {
  if (!packing_on_this_cpu()) GTEST_SKIP() << "no packed layout for this CPU's fast route";
  auto text = read_text_file(test::source_dir() + "/configs/NVIDIA-Nemotron-3-Nano-30B-A3B.json");
  ASSERT_TRUE(text.is_ok());
  auto cfg = parse_model_config(*text, "30B-A3B");
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().message();
  const ModelConfig c = shrink_config(*cfg, 1.0 / 32);
  ASSERT_EQ(c.moe_intermediate_size % 32, 0) << "the shrunk experts need whole Q4_0 / Q8_0 blocks";
  test::TempDir tmp;
  for (GgufPreset preset : {GgufPreset::Q4_0, GgufPreset::Q8_0}) {
    const std::string path = tmp.path() + "/moe.gguf";
    ASSERT_TRUE(synth_gguf(path, c, preset, 5).is_ok());
    auto packed = HybridLM::load(path);
    auto mapped = HybridLM::load(path, LoadOptions{.pack_experts = false});
    auto plain = HybridLM::load(path, LoadOptions{.pack_weights = false});
    ASSERT_TRUE(packed.is_ok() && mapped.is_ok() && plain.is_ok());
    int n_experts = 0, n_packed = 0, n_mapped_packed = 0;
    for (size_t i = 0; i < (*packed)->weights().layers.size(); ++i) {
      const auto& pe = (*packed)->weights().layers[i].moe.experts;
      const auto& me = (*mapped)->weights().layers[i].moe.experts;
      for (size_t e = 0; e < pe.size(); ++e) {
        n_experts += 2;
        n_packed += (pe[e].up_proj.packed ? 1 : 0) + (pe[e].down_proj.packed ? 1 : 0);
        n_mapped_packed += (me[e].up_proj.packed ? 1 : 0) + (me[e].down_proj.packed ? 1 : 0);
      }
    }
    ASSERT_GT(n_experts, 0);
    EXPECT_EQ(n_packed, n_experts);
    EXPECT_EQ(n_mapped_packed, 0);
    EXPECT_EQ(count_packed(**packed) - count_packed(**mapped), n_experts);
    expect_one_arena(**packed, "packed");
    const std::vector<int32_t> prompt{1, 5, 9, 2, 7, 3, 11, 4, 6, 8, 10, 12, 0, 13};
    for (int64_t n : {int64_t{14}, int64_t{1}}) {  // 14 tokens: the prefill tiles; 1: the decode kernels
      const std::vector<int32_t> tokens(prompt.begin(), prompt.begin() + n);
      const auto a = logits_of(**packed, tokens), b = logits_of(**plain, tokens), m = logits_of(**mapped, tokens);
      ASSERT_EQ(a.size(), b.size());
      ASSERT_EQ(m.size(), b.size());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0) << n << " tokens";
      EXPECT_EQ(std::memcmp(m.data(), b.data(), sizeof(float) * m.size()), 0) << n << " tokens";
    }
  }
}

}  // namespace
}  // namespace nt
