#include "kernels/linear_fast.h"

#include <algorithm>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/gemm.h"
#include "kernels/packed_weight.h"
#include "ops/linear.h"
#include "quant/reference.h"

namespace nt::kernels {
namespace {

#if defined(NEMOTRON_X86)
#define NT_AVX2_FN(fn) (&avx2::fn)
#define NT_AVX512_FN(fn) (&avx512::fn)
#else
#define NT_AVX2_FN(fn) (static_cast<TileFn>(nullptr))
#define NT_AVX512_FN(fn) (static_cast<TileFn>(nullptr))
#endif

enum class ActKind { kQ8_0, kQ8_K, kF32, kF32Pairs };  // kF32Pairs: Act::xp (scalar::pair_order)

struct Plan {
  TileFn tile = nullptr;
  ActKind act = ActKind::kF32;
  bool convert = false;  // weight rows go through convert_rows into an fp32 tile first
  bool q4_offsets = false;  // the kernel wants Act::q4_off
  const char* name = "";
  const PackedWeight* packed = nullptr;  // tile reads this copy (row block r0 at data + r0 / 16 · group_bytes)
};

// The kernel of `isa`, else of the best lower set that has one (AVX-512 falls back to AVX2 kernels).
TileFn pick(Isa isa, TileFn scalar_fn, TileFn avx2_fn, TileFn avx512_fn = nullptr) {
  if (isa == Isa::kAvx512 && avx512_fn != nullptr) return avx512_fn;
  return isa != Isa::kScalar && avx2_fn != nullptr ? avx2_fn : scalar_fn;
}

Plan plan_for(const TensorView& w, Isa isa, const PackedWeight* packed = nullptr) {
#if defined(NEMOTRON_X86)
  if (packed != nullptr && isa != Isa::kScalar && packed->layout == PackedLayout::kQ4_0Rows16) {
    Plan p{pick(isa, nullptr, &avx2::tile_q4_0_packed, &avx512::tile_q4_0_packed), ActKind::kQ8_0, false, true,
           "q4_0x16"};
    p.packed = packed;
    return p;
  }
#endif
  (void)packed;
#if defined(NEMOTRON_X86)
  // ModelOpt FP8 / NVFP4: decoded in registers against fp32 activations.
  if (w.wq == WeightQuant::Fp8 && isa != Isa::kScalar) {
    return {pick(isa, nullptr, &avx2::tile_fp8, &avx512::tile_fp8), ActKind::kF32, false, false, "fp8"};
  }
  if (w.wq == WeightQuant::Nvfp4 && isa != Isa::kScalar) {
    return {pick(isa, nullptr, &avx2::tile_nvfp4, &avx512::tile_nvfp4), ActKind::kF32Pairs, false, false, "nvfp4"};
  }
#endif
  if (w.wq != WeightQuant::None) {  // ModelOpt FP8/NVFP4: exact rows from convert_rows, then the fp32 kernel
    return {pick(isa, scalar::tile_f32, NT_AVX2_FN(tile_f32)), ActKind::kF32, true, false, "convert"};
  }
  if (w.quantized()) {
    switch (w.qtype) {
      case GgmlType::Q8_0: return {pick(isa, scalar::tile_q8_0, NT_AVX2_FN(tile_q8_0), NT_AVX512_FN(tile_q8_0)), ActKind::kQ8_0, false, false, "q8_0"};
      case GgmlType::Q4_0: {
        Plan p{pick(isa, scalar::tile_q4_0, NT_AVX2_FN(tile_q4_0), NT_AVX512_FN(tile_q4_0)), ActKind::kQ8_0, false, false, "q4_0"};
        p.q4_offsets = p.tile != scalar::tile_q4_0;
        return p;
      }
      case GgmlType::Q4_K: return {pick(isa, scalar::tile_q4_K, NT_AVX2_FN(tile_q4_K), NT_AVX512_FN(tile_q4_K)), ActKind::kQ8_K, false, false, "q4_K"};
      case GgmlType::Q6_K: return {pick(isa, scalar::tile_q6_K, NT_AVX2_FN(tile_q6_K), NT_AVX512_FN(tile_q6_K)), ActKind::kQ8_K, false, false, "q6_K"};
      default: break;
    }
  } else if (isa != Isa::kScalar) {
    switch (w.dtype) {
      case DType::F32: return {pick(isa, scalar::tile_f32, NT_AVX2_FN(tile_f32)), ActKind::kF32, false, false, "f32"};
      case DType::BF16: return {pick(isa, nullptr, NT_AVX2_FN(tile_bf16)), ActKind::kF32, false, false, "bf16"};
      case DType::F16: return {pick(isa, nullptr, NT_AVX2_FN(tile_f16)), ActKind::kF32, false, false, "f16"};
      default: break;
    }
  } else if (w.dtype == DType::F32) {
    return {scalar::tile_f32, ActKind::kF32, false, false, "f32"};
  }
  return {pick(isa, scalar::tile_f32, NT_AVX2_FN(tile_f32)), ActKind::kF32, true, false, "convert"};
}

constexpr int64_t kRowBlock = 16;    // output rows per scheduled work item (a multiple of the register tile)
constexpr int64_t kTokenChunk = 64;
// tokens per pass over a row block, so the chunk's activations stay in L2
static_assert(kRowBlock % kPackedGroupRows == 0, "a row block must start on a packed group");

}  // namespace

Isa best_isa() {
  const CpuFeatures& f = cpu_features();
  if (f.avx512 && f.avx512_vnni) return Isa::kAvx512;
  return f.avx2 ? Isa::kAvx2 : Isa::kScalar;
}

bool isa_available(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return f.avx2;
    case Isa::kAvx512: return f.avx512 && f.avx512_vnni;
  }
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "?";
}

std::string route_name(const TensorView& w, Isa isa) { return route_name(w, isa, nullptr); }

std::string route_name(const Linear& l, Isa isa) { return route_name(l.w, isa, l.packed.get()); }

std::string route_name(const TensorView& w, Isa isa, const PackedWeight* packed) {
  const Plan p = plan_for(w, isa, packed);
  std::string s = std::string(isa_name(isa)) + "/" + p.name;
  if (p.convert) s += "(" + w.type_name() + ")";
  return s;
}

void quantize_act_q8_0(Isa isa, const float* x, int64_t n, int8_t* qs, float* d) {
#if defined(NEMOTRON_X86)
  if (isa != Isa::kScalar) return avx2::quantize_q8_0(x, n, qs, d);
#endif
  (void)isa;
  scalar::quantize_q8_0(x, n, qs, d);
}

void linear_fast(const Linear& l, const float* x, int64_t T, float* y, ThreadPool& pool, Isa isa) {
  NT_CHECK(isa_available(isa));
  const int64_t n_out = l.out(), n_in = l.in();
  const Plan plan = plan_for(l.w, isa, l.packed.get());

  // Activations: prepared once per call, each token row on its own (so a token's values never depend on the batch).
  Act a;
  a.n_in = n_in;
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<int32_t> q4_off;
  std::vector<BlockQ8_K> q8k;
  std::vector<float> xp;
  const int64_t prep_grain = T >= 8 ? 1 : T;
  switch (plan.act) {
    case ActKind::kQ8_0: {
      const int64_t nb = n_in / kQK8_0;
      qs.resize(static_cast<size_t>(T * n_in));
      d.resize(static_cast<size_t>(T * nb));
      if (plan.q4_offsets) q4_off.resize(static_cast<size_t>(T * nb));
      pool.parallel_for_dynamic(T, prep_grain, [&](int64_t t0, int64_t t1, int) {
        for (int64_t t = t0; t < t1; ++t) {
          quantize_act_q8_0(isa, x + t * n_in, n_in, qs.data() + t * n_in, d.data() + t * nb);
#if defined(NEMOTRON_X86)
          if (plan.q4_offsets) avx2::q4_neg_offsets(qs.data() + t * n_in, n_in, q4_off.data() + t * nb);
#endif
        }
      });
      a.q4_off = plan.q4_offsets ? q4_off.data() : nullptr;
      a.qs = qs.data();
      a.d = d.data();
      break;
    }
    case ActKind::kQ8_K: {
      const int64_t nb = n_in / kQK_K;
      q8k.resize(static_cast<size_t>(T * nb));
      pool.parallel_for_dynamic(T, prep_grain, [&](int64_t t0, int64_t t1, int) {
        for (int64_t t = t0; t < t1; ++t) quant::quantize_row_q8_K(x + t * n_in, q8k.data() + t * nb, n_in);
      });
      a.q8k = q8k.data();
      break;
    }
    case ActKind::kF32:
      a.x = x;
      break;
    case ActKind::kF32Pairs:
      xp.resize(static_cast<size_t>(T * n_in));
      pool.parallel_for_dynamic(T, prep_grain, [&](int64_t t0, int64_t t1, int) {
        for (int64_t t = t0; t < t1; ++t) scalar::pair_order(x + t * n_in, n_in, xp.data() + t * n_in);
      });
      a.xp = xp.data();
      break;
  }
  a.wq_rows = l.w.data;  // the ModelOpt kernels' scales (unused by the other routes)
  a.wq_scale = l.w.wscale;
  a.wq_scale2 = l.w.wscale2;

  const size_t row_bytes = l.w.row_bytes();
  const int64_t n_blocks = (n_out + kRowBlock - 1) / kRowBlock;
  std::vector<std::vector<float>> scratch(plan.convert ? static_cast<size_t>(pool.size()) : 0);
  pool.parallel_for_dynamic(n_blocks, 1, [&](int64_t b0, int64_t b1, int thread) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * kRowBlock, nr = std::min(kRowBlock, n_out - r0);
      const uint8_t* w = l.w.data + static_cast<size_t>(r0) * row_bytes;
      size_t ws = row_bytes;
      if (plan.packed != nullptr) {  // kRowBlock is a multiple of the packed group's rows
        w = plan.packed->data + static_cast<size_t>(r0 / kPackedGroupRows) * plan.packed->group_bytes;
        ws = plan.packed->group_bytes;
      }
      if (plan.convert) {
        std::vector<float>& buf = scratch[static_cast<size_t>(thread)];
        buf.resize(static_cast<size_t>(kRowBlock * n_in));
        convert_rows(l.w, r0, nr, buf.data());
        w = reinterpret_cast<const uint8_t*>(buf.data());
        ws = static_cast<size_t>(n_in) * sizeof(float);
      }
      for (int64_t t0 = 0; t0 < T; t0 += kTokenChunk) {
        plan.tile(w, ws, nr, a, t0, std::min(kTokenChunk, T - t0), y + t0 * n_out + r0, n_out);
      }
    }
  });
  if (!l.bias.empty()) {
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = 0; r < n_out; ++r) y[t * n_out + r] += l.bias[static_cast<size_t>(r)];
  }
}

}  // namespace nt::kernels
