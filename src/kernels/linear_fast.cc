#include "kernels/linear_fast.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "core/cpu_features.h"
#include "core/scratch.h"
#include "kernels/amx_check.h"
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
  int32_t weight_offset = 0;  // the kernel wants Act::ybias with this c (0: none)
  const char* name = "";
  const PackedWeight* packed = nullptr;  // tile reads this copy (row block r0 at data + r0 / 16 · group_bytes)
  bool bsum_pairs = false;               // the kernel wants Act::q8k_bsum2
  bool bsum_bias32 = false;              // the kernel wants Act::q8k_bias32
};

// The kernel of `isa`, else of the best lower set that has one (AVX-512 falls back to AVX2 kernels).
TileFn pick(Isa isa, TileFn scalar_fn, TileFn avx2_fn, TileFn avx512_fn = nullptr) {
  if (isa == Isa::kAvx512 && avx512_fn != nullptr) return avx512_fn;
  return isa != Isa::kScalar && avx2_fn != nullptr ? avx2_fn : scalar_fn;
}

// The c of Act::ybias a tile kernel takes its weights' offset out with (gemm.h), 0 for kernels without one.
int32_t weight_offset_of(TileFn tile) {
#if defined(NEMOTRON_X86)
  if (tile == &avx2::tile_q4_0 || tile == &avx512::tile_q4_0 || tile == &avx2::tile_q4_0_packed ||
      tile == &avx512::tile_q4_0_packed) {
    return 8;
  }
  if (tile == &amx::tile_q4_0_packed) return 8;  // for the VNNI kernel that takes its tails
  if (tile == &avx512::tile_q8_0 || tile == &avx512::tile_q8_0_packed || tile == &amx::tile_q8_0_packed) return 128;
  if (tile == &avx2::tile_q5_0 || tile == &avx512::tile_q5_0_packed) return 16;
  if (tile == &avx2::tile_q4_1 || tile == &avx2::tile_q5_1) return 1;  // ybias = −Σy, for the min term
#endif
  (void)tile;
  return 0;
}

#if defined(NEMOTRON_X86)
// Where the AMX kernels passed their self-check, a packed layout's VNNI kernel gives way to its AMX twin (prefill's
// whole 16-token tiles on AMX, the rest on the VNNI kernel; bitwise the same).
void use_amx_twin(Plan& p) {
  if (!amx_kernels_ready()) return;
  if (const KernelPair* twin = amx_twin(p.tile)) {
    p.tile = twin->candidate;
    p.name = twin->route;
  }
}
#endif

Plan plan_for(const TensorView& w, Isa isa, const PackedWeight* packed = nullptr) {
  if (isa == Isa::kNeon) {  // its own Q8_0 / Q4_0 and float kernels; the portable integer kernels for the rest
#if defined(NEMOTRON_NEON)
    if (w.wq == WeightQuant::None && w.quantized() && (w.qtype == GgmlType::Q8_0 || w.qtype == GgmlType::Q4_0)) {
      return w.qtype == GgmlType::Q8_0 ? Plan{&neon::tile_q8_0, ActKind::kQ8_0, false, 0, "q8_0"}
                                       : Plan{&neon::tile_q4_0, ActKind::kQ8_0, false, 0, "q4_0"};
    }
    if (w.wq == WeightQuant::None && !w.quantized()) {
      switch (w.dtype) {
        case DType::F32: return {&neon::tile_f32, ActKind::kF32, false, 0, "f32"};
        case DType::BF16: return {&neon::tile_bf16, ActKind::kF32, false, 0, "bf16"};
        case DType::F16: return {&neon::tile_f16, ActKind::kF32, false, 0, "f16"};
        default: break;
      }
    }
    Plan p = plan_for(w, Isa::kScalar);
    if (p.convert) p.tile = &neon::tile_f32;  // converted rows
    return p;
#else
    isa = Isa::kScalar;
#endif
  }
#if defined(NEMOTRON_X86)
  if (packed != nullptr && isa == Isa::kAvx512) {  // the layouts whose only kernel is AVX-512's
    Plan p;
    switch (packed->layout) {
      case PackedLayout::kQ5_0Rows16: p = {&avx512::tile_q5_0_packed, ActKind::kQ8_0, false, 0, "q5_0x16"}; break;
      case PackedLayout::kQ4_KRows16: p = {&avx512::tile_q4_K_packed, ActKind::kQ8_K, false, 0, "q4_Kx16"}; break;
      case PackedLayout::kQ5_KRows16: p = {&avx512::tile_q5_K_packed, ActKind::kQ8_K, false, 0, "q5_Kx16"}; break;
      case PackedLayout::kQ6_KRows16: p = {&avx512::tile_q6_K_packed, ActKind::kQ8_K, false, 0, "q6_Kx16"}; break;
      default: break;
    }
    use_amx_twin(p);
    if (p.tile != nullptr) {
      p.weight_offset = weight_offset_of(p.tile);
      p.bsum_pairs = p.tile == &avx512::tile_q4_K_packed || p.tile == &avx512::tile_q5_K_packed ||
                     p.tile == &amx::tile_q4_K_packed;
      p.bsum_bias32 = p.tile == &avx512::tile_q6_K_packed;
      p.packed = packed;
      return p;
    }
  }
  if (packed != nullptr && isa == Isa::kAvx2) {  // the K-quant layouts' AVX2 kernels
    Plan p;
    switch (packed->layout) {
      case PackedLayout::kQ4_KRows16: p = {&avx2::tile_q4_K_packed, ActKind::kQ8_K, false, 0, "q4_Kx16"}; break;
      case PackedLayout::kQ5_KRows16: p = {&avx2::tile_q5_K_packed, ActKind::kQ8_K, false, 0, "q5_Kx16"}; break;
      case PackedLayout::kQ6_KRows16: p = {&avx2::tile_q6_K_packed, ActKind::kQ8_K, false, 0, "q6_Kx16"}; break;
      default: break;
    }
    if (p.tile != nullptr) {
      p.bsum_pairs = p.tile != &avx2::tile_q6_K_packed;
      p.packed = packed;
      return p;
    }
  }
  // Q4_0 / Q8_0 copies have kernels in both instruction sets, and the K-quants (above); Q5_0, with AVX2, reads the
  // stored rows (below).
  if (packed != nullptr && (packed->layout == PackedLayout::kQ4_0Rows16 || packed->layout == PackedLayout::kQ8_0Rows16) &&
      isa != Isa::kScalar) {
    Plan p = packed->layout == PackedLayout::kQ4_0Rows16
                 ? Plan{pick(isa, nullptr, &avx2::tile_q4_0_packed, &avx512::tile_q4_0_packed), ActKind::kQ8_0, false,
                        0, "q4_0x16"}
                 : Plan{pick(isa, nullptr, &avx2::tile_q8_0_packed, &avx512::tile_q8_0_packed), ActKind::kQ8_0, false,
                        0, "q8_0x16"};
    use_amx_twin(p);
    p.weight_offset = weight_offset_of(p.tile);
    p.packed = packed;
    return p;
  }
#endif
  (void)packed;
#if defined(NEMOTRON_X86)
  // ModelOpt FP8 / NVFP4: decoded in registers against fp32 activations.
  if (w.wq == WeightQuant::Fp8 && isa != Isa::kScalar) {
    return {pick(isa, nullptr, &avx2::tile_fp8, &avx512::tile_fp8), ActKind::kF32, false, 0, "fp8"};
  }
  if (w.wq == WeightQuant::Nvfp4 && isa != Isa::kScalar) {
    return {pick(isa, nullptr, &avx2::tile_nvfp4, &avx512::tile_nvfp4), ActKind::kF32Pairs, false, 0, "nvfp4"};
  }
#endif
  if (w.wq != WeightQuant::None) {  // ModelOpt FP8/NVFP4: exact rows from convert_rows, then the fp32 kernel
    return {pick(isa, scalar::tile_f32, NT_AVX2_FN(tile_f32)), ActKind::kF32, true, 0, "convert"};
  }
  if (w.quantized()) {
    switch (w.qtype) {
      case GgmlType::Q8_0: {
        Plan p{pick(isa, scalar::tile_q8_0, NT_AVX2_FN(tile_q8_0), NT_AVX512_FN(tile_q8_0)), ActKind::kQ8_0, false, 0, "q8_0"};
        p.weight_offset = weight_offset_of(p.tile);
        return p;
      }
      case GgmlType::Q4_0: {
        Plan p{pick(isa, scalar::tile_q4_0, NT_AVX2_FN(tile_q4_0), NT_AVX512_FN(tile_q4_0)), ActKind::kQ8_0, false, 0, "q4_0"};
        p.weight_offset = weight_offset_of(p.tile);
        return p;
      }
      case GgmlType::Q5_0: {  // SIMD only; the scalar route converts the rows (below)
        Plan p{pick(isa, nullptr, NT_AVX2_FN(tile_q5_0)), ActKind::kQ8_0, false, 0, "q5_0"};
        p.weight_offset = weight_offset_of(p.tile);
        if (p.tile != nullptr) return p;
        break;
      }
      case GgmlType::Q4_1:
      case GgmlType::Q5_1: {  // SIMD only (the AVX2 kernels for both); the scalar route converts the rows (below)
        Plan p = w.qtype == GgmlType::Q4_1 ? Plan{pick(isa, nullptr, NT_AVX2_FN(tile_q4_1)), ActKind::kQ8_0, false, 0, "q4_1"}
                                           : Plan{pick(isa, nullptr, NT_AVX2_FN(tile_q5_1)), ActKind::kQ8_0, false, 0, "q5_1"};
        p.weight_offset = weight_offset_of(p.tile);
        if (p.tile != nullptr) return p;
        break;
      }
      case GgmlType::Q4_K: return {pick(isa, scalar::tile_q4_K, NT_AVX2_FN(tile_q4_K), NT_AVX512_FN(tile_q4_K)), ActKind::kQ8_K, false, 0, "q4_K"};
      case GgmlType::Q5_K: {  // SIMD only (the AVX2 kernel for both); the scalar route converts the rows (below)
        const Plan p{pick(isa, nullptr, NT_AVX2_FN(tile_q5_K)), ActKind::kQ8_K, false, 0, "q5_K"};
        if (p.tile != nullptr) return p;
        break;
      }
      case GgmlType::Q6_K: return {pick(isa, scalar::tile_q6_K, NT_AVX2_FN(tile_q6_K), NT_AVX512_FN(tile_q6_K)), ActKind::kQ8_K, false, 0, "q6_K"};
      default: break;
    }
  } else if (isa != Isa::kScalar) {
    switch (w.dtype) {
      case DType::F32: return {pick(isa, scalar::tile_f32, NT_AVX2_FN(tile_f32)), ActKind::kF32, false, 0, "f32"};
      case DType::BF16: return {pick(isa, nullptr, NT_AVX2_FN(tile_bf16)), ActKind::kF32, false, 0, "bf16"};
      case DType::F16: return {pick(isa, nullptr, NT_AVX2_FN(tile_f16)), ActKind::kF32, false, 0, "f16"};
      default: break;
    }
  } else if (w.dtype == DType::F32) {
    return {scalar::tile_f32, ActKind::kF32, false, 0, "f32"};
  }
  return {pick(isa, scalar::tile_f32, NT_AVX2_FN(tile_f32)), ActKind::kF32, true, 0, "convert"};
}

constexpr int64_t kRowBlock = 16;    // output rows per scheduled work item (a multiple of the register tile)
constexpr int64_t kTokenChunk = 64;  // tokens per pass over a row block, so the chunk's activations stay in L2
// Prefill of a Q4_0 / Q8_0 weight without a packed copy (routed experts stay mapped, or memory ran out): from this
// many tokens, each thread packs the row blocks it takes into its scratch and runs the packed tile kernel there (the
// same bits as the stored-row kernel), the packed groups still in L2 when multiplied. 30B-A3B prefill of 384
// tokens (--profile, alternating runs): routed experts 3640-3690 -> 3107-3196 ms per step.
constexpr int64_t kRepackMinTokens = 8;
static_assert(kRowBlock % kPackedGroupRows == 0, "a row block must start on a packed group");

// Row blocks per grab of the schedule (ThreadPool::parallel_for_streams): each thread takes its own contiguous share
// of the blocks in about kGrabsPerThread runs, in order, so its weight stream stays sequential and what a tile
// kernel prefetched past the end of one run is the start of its next; a thread that finishes early takes the
// remaining runs of another. Under the earlier shared counter, consecutive runs alternated between the threads and
// each run started cold: a 30B-A3B routed expert (2.8 MB, Q4_0 stored rows, 2 threads) streamed at 24-28 GB/s
// where an 8B matrix streamed at 61 (bench/linear_bench gemv_stream); with the shares, 37-39.
constexpr int64_t kGrabsPerThread = 16;
int64_t grain_for(int64_t n_blocks, int threads) {
  return std::max<int64_t>(1, n_blocks / (static_cast<int64_t>(threads) * kGrabsPerThread));
}

}  // namespace

Isa best_isa() {
  const CpuFeatures& f = cpu_features();
  if (f.neon_dotprod) return Isa::kNeon;
  if (f.avx512 && f.avx512_vnni) return Isa::kAvx512;
  return f.avx2 ? Isa::kAvx2 : Isa::kScalar;
}

bool isa_available(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return f.avx2;
    case Isa::kAvx512: return f.avx512 && f.avx512_vnni;
    case Isa::kNeon: return f.neon_dotprod;
  }
  return false;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
  }
  return "?";
}

bool route_reads_stored_rows(const TensorView& w, Isa isa) {
  return w.wq == WeightQuant::None && !plan_for(w, isa).convert;
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

void quantize_act_q8_K(Isa isa, const float* x, int64_t n, BlockQ8_K* out) {
#if defined(NEMOTRON_X86)
  if (isa != Isa::kScalar) return avx2::quantize_q8_K(x, n, reinterpret_cast<uint8_t*>(out));
#endif
  (void)isa;
  quant::quantize_row_q8_K(x, out, n);
}

void q8k_pair_sums(const BlockQ8_K* q, int64_t nb, int32_t* out) {
  for (int64_t b = 0; b < nb; ++b) {
    for (int j = 0; j < 4; ++j) {  // chunks 2j, 2j + 1: 16-element sums 4j .. 4j + 3 (|sum| <= 4096)
      const int16_t* bs = q[b].bsums + 4 * j;
      const auto lo = static_cast<uint16_t>(bs[0] + bs[1]), hi = static_cast<uint16_t>(bs[2] + bs[3]);
      out[b * 4 + j] = static_cast<int32_t>(static_cast<uint32_t>(lo) | uint32_t{hi} << 16);
    }
  }
}

namespace {

// One call's route and activations, prepared once; its output row blocks can then run on any thread.
struct Prepared {
  Plan plan;
  Act a;
  int64_t T = 0, n_out = 0, n_blocks = 0;
  float* y = nullptr;
  const Linear* l = nullptr;
  const uint8_t* stored_copy = nullptr;  // Linear::packed's data when it is a kStoredRows copy the tile reads
  PackedWeight repack;  // the layout run_blocks packs row blocks into (plan.packed points here), if it does
  Scratch<int8_t> qs;
  Scratch<float> d, xp;
  Scratch<int32_t> ybias, bsum2, bias32;
  Scratch<BlockQ8_K> q8k;
};

// Activations: each token row on its own (so a token's values never depend on the batch). The rows run on the
// pool when `pool` is given, else on the calling thread.
void prepare(Prepared& p, const Linear& l, const float* x, int64_t T, float* y, ThreadPool* pool, Isa isa) {
  const int64_t n_in = l.in();
  p.l = &l;
  p.plan = plan_for(l.w, isa, l.packed.get());
  if (l.packed != nullptr && l.packed->layout == PackedLayout::kStoredRows && !p.plan.convert) {
    p.stored_copy = l.packed->data;
  }
  if (l.packed == nullptr && T >= kRepackMinTokens && isa != Isa::kScalar && has_group_layout(l.w)) {
    p.repack = group_layout(l.w);
    p.plan = plan_for(l.w, isa, &p.repack);
    if (p.plan.packed != &p.repack) p.repack = {};  // no kernel of this layout for `isa`: the stored rows
  }
  p.T = T;
  p.n_out = l.out();
  p.n_blocks = (p.n_out + kRowBlock - 1) / kRowBlock;
  p.y = y;
  Act& a = p.a;
  a.n_in = n_in;
  const auto rows = [&](const std::function<void(int64_t)>& fn) {
    if (pool == nullptr) {
      for (int64_t t = 0; t < T; ++t) fn(t);
      return;
    }
    pool->parallel_for_dynamic(T, T >= 8 ? 1 : T, [&](int64_t t0, int64_t t1, int) {
      for (int64_t t = t0; t < t1; ++t) fn(t);
    });
  };
  switch (p.plan.act) {
    case ActKind::kQ8_0: {
      const int64_t nb = n_in / kQK8_0;
      p.qs.reset(static_cast<size_t>(T * n_in));
      p.d.reset(static_cast<size_t>(T * nb));
      if (p.plan.weight_offset != 0) p.ybias.reset(static_cast<size_t>(T * nb));
      rows([&](int64_t t) {
        quantize_act_q8_0(isa, x + t * n_in, n_in, p.qs.data() + t * n_in, p.d.data() + t * nb);
#if defined(NEMOTRON_X86)
        if (p.plan.weight_offset != 0) {
          avx2::block_bias(p.qs.data() + t * n_in, n_in, p.plan.weight_offset, p.ybias.data() + t * nb);
        }
#endif
      });
      a.ybias = p.plan.weight_offset != 0 ? p.ybias.data() : nullptr;
      a.qs = p.qs.data();
      a.d = p.d.data();
      break;
    }
    case ActKind::kQ8_K: {
      const int64_t nb = n_in / kQK_K;
      p.q8k.reset(static_cast<size_t>(T * nb));
      if (p.plan.bsum_pairs) p.bsum2.reset(static_cast<size_t>(T * nb * 4));
      if (p.plan.bsum_bias32) p.bias32.reset(static_cast<size_t>(T * nb * 16));
      rows([&](int64_t t) {
        BlockQ8_K* q = p.q8k.data() + t * nb;
        quantize_act_q8_K(isa, x + t * n_in, n_in, q);
        if (p.plan.bsum_bias32) {
          int32_t* o = p.bias32.data() + t * nb * 16;
          for (int64_t b = 0; b < nb; ++b)
            for (int j = 0; j < 16; ++j) o[b * 16 + j] = -32 * q[b].bsums[j];
        }
        if (p.plan.bsum_pairs) q8k_pair_sums(q, nb, p.bsum2.data() + t * nb * 4);
      });
      a.q8k = p.q8k.data();
      a.q8k_bsum2 = p.plan.bsum_pairs ? p.bsum2.data() : nullptr;
      a.q8k_bias32 = p.plan.bsum_bias32 ? p.bias32.data() : nullptr;
      break;
    }
    case ActKind::kF32:
      a.x = x;
      break;
    case ActKind::kF32Pairs:
      p.xp.reset(static_cast<size_t>(T * n_in));
      rows([&](int64_t t) { scalar::pair_order(x + t * n_in, n_in, p.xp.data() + t * n_in); });
      a.xp = p.xp.data();
      break;
  }
  a.wq_rows = l.w.data;  // the ModelOpt kernels' scales (unused by the other routes)
  a.wq_scale = l.w.wscale;
  a.wq_scale2 = l.w.wscale2;
}

// A thread's scratch for run_blocks: it grows to the largest size asked and is never cleared (run_blocks writes
// what it reads). A std::vector per call zero-filled each grab first: 5% of an expert GEMM that repacks.
class BlockScratch {
 public:
  float* floats(size_t n) {
    if (n > buf_.size()) buf_.reset(n);
    return buf_.data();
  }

 private:
  Scratch<float> buf_;
};

// Output rows [b0 · kRowBlock, b1 · kRowBlock) for every token, as one run of the tile kernel (its weight rows are
// one contiguous stream, which a kernel may read as several interleaved ones); on the convert route block by block,
// as `scratch` holds one converted block. When the call repacks (kRepackMinTokens), `scratch` holds the run's groups.
void run_blocks(const Prepared& p, int64_t b0, int64_t b1, BlockScratch& scratch) {
  const Linear& l = *p.l;
  const int64_t n_in = p.a.n_in;
  if (p.plan.convert && b1 - b0 > 1) {
    for (int64_t b = b0; b < b1; ++b) run_blocks(p, b, b + 1, scratch);
    return;
  }
  const size_t row_bytes = l.w.row_bytes();
  const int64_t r0 = b0 * kRowBlock, nr = std::min(b1 * kRowBlock, p.n_out) - r0;
  const uint8_t* w = l.w.data + static_cast<size_t>(r0) * row_bytes;
  size_t ws = row_bytes;
  if (p.stored_copy != nullptr) {  // the same rows in huge pages (kStoredRows)
    w = p.stored_copy + static_cast<size_t>(r0) * row_bytes;
  } else if (p.plan.packed == &p.repack) {  // this thread packs the blocks' groups now
    const int64_t g0 = r0 / kPackedGroupRows, g1 = (r0 + nr + kPackedGroupRows - 1) / kPackedGroupRows;
    ws = p.repack.group_bytes;
    uint8_t* packed = reinterpret_cast<uint8_t*>(scratch.floats((static_cast<size_t>(g1 - g0) * ws + 3) / 4));
    pack_groups(l.w, g0, g1, packed);
    w = packed;
  } else if (p.plan.packed != nullptr) {  // kRowBlock is a multiple of the packed group's rows
    w = p.plan.packed->data + static_cast<size_t>(r0 / kPackedGroupRows) * p.plan.packed->group_bytes;
    ws = p.plan.packed->group_bytes;
  }
  if (p.plan.convert) {
    float* rows = scratch.floats(static_cast<size_t>(kRowBlock * n_in));
    convert_rows(l.w, r0, nr, rows);
    w = reinterpret_cast<const uint8_t*>(rows);
    ws = static_cast<size_t>(n_in) * sizeof(float);
  }
  for (int64_t t0 = 0; t0 < p.T; t0 += kTokenChunk) {
    p.plan.tile(w, ws, nr, p.a, t0, std::min(kTokenChunk, p.T - t0), p.y + t0 * p.n_out + r0, p.n_out);
  }
}

void add_bias(const Prepared& p) {
  const Linear& l = *p.l;
  if (l.bias.empty()) return;
  for (int64_t t = 0; t < p.T; ++t)
    for (int64_t r = 0; r < p.n_out; ++r) p.y[t * p.n_out + r] += l.bias[static_cast<size_t>(r)];
}

}  // namespace

void linear_fast(const Linear& l, const float* x, int64_t T, float* y, ThreadPool& pool, Isa isa) {
  NT_CHECK(isa_available(isa));
  Prepared p;
  prepare(p, l, x, T, y, &pool, isa);
  std::vector<BlockScratch> scratch(static_cast<size_t>(pool.size()));
  pool.parallel_for_streams(p.n_blocks, grain_for(p.n_blocks, pool.size()), [&](int64_t b0, int64_t b1, int thread) {
    run_blocks(p, b0, b1, scratch[static_cast<size_t>(thread)]);
  });
  add_bias(p);
}

void linear_fast_many(std::span<const LinearCall> calls, ThreadPool& pool, Isa isa) {
  NT_CHECK(isa_available(isa));
  std::vector<Prepared> prep(calls.size());
  std::vector<int64_t> first_block(calls.size() + 1, 0);  // prefix sums of the calls' row blocks
  pool.parallel_for_dynamic(static_cast<int64_t>(calls.size()), 1, [&](int64_t c0, int64_t c1, int) {
    for (int64_t c = c0; c < c1; ++c) {
      const LinearCall& call = calls[static_cast<size_t>(c)];
      prepare(prep[static_cast<size_t>(c)], *call.l, call.x, call.T, call.y, nullptr, isa);
    }
  });
  for (size_t c = 0; c < calls.size(); ++c) first_block[c + 1] = first_block[c] + prep[c].n_blocks;
  std::vector<BlockScratch> scratch(static_cast<size_t>(pool.size()));
  const int64_t n_blocks = first_block.back();
  pool.parallel_for_streams(n_blocks, grain_for(n_blocks, pool.size()), [&](int64_t b0, int64_t b1, int thread) {
    size_t c = static_cast<size_t>(std::upper_bound(first_block.begin(), first_block.end(), b0) -
                                   first_block.begin() - 1);
    for (int64_t b = b0; b < b1;) {  // the grab's blocks, one run per call they fall in
      while (b >= first_block[c + 1]) ++c;
      const int64_t e = std::min(b1, first_block[c + 1]);
      run_blocks(prep[c], b - first_block[c], e - first_block[c], scratch[static_cast<size_t>(thread)]);
      b = e;
    }
  });
  for (const Prepared& p : prep) add_bias(p);
}

}  // namespace nt::kernels
