#include "kernels/packed_weight.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/kquant_records.h"
#include "kernels/linear_fast.h"
#include "kernels/pack_simd.h"
#include "ops/linear.h"
#include "quant/reference.h"

namespace nt::kernels {

// The K-quant kernels read the records at the offsets of kernels/kquant_records.h.
static_assert(kquant_records::kQ4Record == kQ4_KRows16Record && kquant_records::kQ5Record == kQ5_KRows16Record &&
              kquant_records::kQ6Record == kQ6_KRows16Record);

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

// 64-byte aligned; whole 2 MiB pages (and transparent huge pages asked for) when large and the rounding wastes
// at most 1/16 of the size, so a decode pass over the weights takes fewer TLB misses than over 4 KiB pages.
// Null when out of memory.
std::shared_ptr<uint8_t> alloc_packed(size_t bytes) {
  const size_t huge_rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  const bool huge = bytes >= kHugePage && huge_rounded - bytes <= bytes / 16;
  const size_t align = huge ? kHugePage : 64;
  const size_t rounded = huge ? huge_rounded : (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(align, rounded);
  if (p == nullptr) return nullptr;
  if (huge) madvise(p, rounded, MADV_HUGEPAGE);
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
}

// Packed copies are anonymous memory (never evicted, unlike the mapped file): they may take at most this share of
// the machine's physical memory, so a model that only fits because it is memory-mapped keeps running mapped.
constexpr double kMaxShareOfMemory = 0.5;

size_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : 0;
}

}  // namespace

namespace {

bool has_packed_kernel(const TensorView& w) {
  if (w.wq != WeightQuant::None || !w.quantized()) return false;
  if (best_isa() != Isa::kAvx2 && best_isa() != Isa::kAvx512) return false;  // the layouts' kernels are x86's
  if (w.qtype == GgmlType::Q4_K || w.qtype == GgmlType::Q5_K || w.qtype == GgmlType::Q6_K) return w.dim(1) % 256 == 0;
  if (w.qtype == GgmlType::Q5_0) return w.dim(1) % 32 == 0 && best_isa() == Isa::kAvx512;
  return (w.qtype == GgmlType::Q4_0 || w.qtype == GgmlType::Q8_0) && w.dim(1) % 32 == 0;
}

// Record size and inputs per record of a packed layout.
size_t record_bytes(PackedLayout layout) {
  switch (layout) {
    case PackedLayout::kQ4_0Rows16: return kQ4_0Rows16Record;
    case PackedLayout::kQ8_0Rows16: return kQ8_0Rows16Record;
    case PackedLayout::kQ5_0Rows16: return kQ5_0Rows16Record;
    case PackedLayout::kQ4_KRows16: return kQ4_KRows16Record;
    case PackedLayout::kQ5_KRows16: return kQ5_KRows16Record;
    case PackedLayout::kQ6_KRows16: return kQ6_KRows16Record;
    case PackedLayout::kStoredRows: break;
  }
  return 0;
}

int64_t record_inputs(PackedLayout layout) {
  return layout == PackedLayout::kQ4_KRows16 || layout == PackedLayout::kQ5_KRows16 ||
                 layout == PackedLayout::kQ6_KRows16
             ? 256
             : 32;
}

// The copy's shape (data not yet set).
PackedWeight describe(const TensorView& w) {
  PackedWeight pw;
  pw.rows = w.dim(0);
  pw.cols = w.dim(1);
  if (!has_packed_kernel(w)) {  // kStoredRows
    pw.layout = PackedLayout::kStoredRows;
    pw.group_bytes = w.row_bytes();
    pw.bytes = static_cast<size_t>(pw.rows) * pw.group_bytes;
    return pw;
  }
  pw.layout = w.qtype == GgmlType::Q8_0   ? PackedLayout::kQ8_0Rows16
              : w.qtype == GgmlType::Q5_0 ? PackedLayout::kQ5_0Rows16
              : w.qtype == GgmlType::Q4_K ? PackedLayout::kQ4_KRows16
              : w.qtype == GgmlType::Q5_K ? PackedLayout::kQ5_KRows16
              : w.qtype == GgmlType::Q6_K ? PackedLayout::kQ6_KRows16
                                          : PackedLayout::kQ4_0Rows16;
  const int64_t nb = pw.cols / record_inputs(pw.layout), groups = (pw.rows + kPackedGroupRows - 1) / kPackedGroupRows;
  pw.group_bytes = static_cast<size_t>(nb) * record_bytes(pw.layout);
  pw.bytes = static_cast<size_t>(groups) * pw.group_bytes;
  return pw;
}

// kStoredRows: the rows copied as they are, the row blocks split over the pool.
void copy_stored_rows(const TensorView& w, PackedWeight* pw, ThreadPool& pool) {
  const int64_t blocks = (pw->rows + kPackedGroupRows - 1) / kPackedGroupRows;
  const size_t rb = pw->group_bytes;
  uint8_t* dst = pw->data;
  pool.parallel_for(blocks, [&](int64_t b0, int64_t b1, int) {
    const int64_t r0 = b0 * kPackedGroupRows, r1 = std::min(pw->rows, b1 * kPackedGroupRows);
    std::memcpy(dst + static_cast<size_t>(r0) * rb, w.data + static_cast<size_t>(r0) * rb,
                static_cast<size_t>(r1 - r0) * rb);
  });
}

}  // namespace

bool packing_applies(const TensorView& w) {
  if (linear_kernels() != LinearKernels::kFast || best_isa() == Isa::kScalar) return false;
  if (w.shape.size() != 2 || w.dim(0) <= 0 || w.dim(1) <= 0) return false;
  if (has_packed_kernel(w)) return true;
  return w.row_bytes() * static_cast<size_t>(w.dim(0)) >= kHugePage && route_reads_stored_rows(w, best_isa());
}

bool has_group_layout(const TensorView& w) { return has_packed_kernel(w); }

PackedWeight group_layout(const TensorView& w) { return describe(w); }

namespace {

// One kQ4_KRows16 record: row j (of the group) from its stored block; for a Q5_K block (kQ5_KRows16) with its qh
// columns interleaved after the first 8 quant columns.
template <class Block>
void pack_q4_K_part(const Block& b, int j, uint8_t* rec, bool five = false) {
  std::memcpy(rec + 2 * j, &b.d, 2);
  std::memcpy(rec + 32 + 2 * j, &b.dmin, 2);
  for (int c = 0; c < 8; ++c) {
    uint8_t sc = 0, mn = 0;
    quant::get_scale_min_k4(c, b.scales, &sc, &mn);
    rec[64 + 16 * c + j] = sc;
    rec[192 + 32 * (c / 2) + 2 * j + c % 2] = mn;
  }
  for (int col = 0; col < 32; ++col) {  // col = 8i + k
    const size_t off = !five ? 320 + 64 * col : col < 8 ? 320 + 128 * col : 320 + 1024 + 64 * (col - 8);
    std::memcpy(rec + off + 4 * j, b.qs + 4 * col, 4);
  }
}

void pack_q4_K_block(const BlockQ4_K& b, int j, uint8_t* rec) { pack_q4_K_part(b, j, rec); }

// One kQ5_KRows16 record: the kQ4_KRows16 header, then quant column k and qh column k for k < 8, then the other
// quant columns.
void pack_q5_K_block(const BlockQ5_K& b, int j, uint8_t* rec) {
  pack_q4_K_part(b, j, rec, true);
  for (int col = 0; col < 8; ++col) std::memcpy(rec + 320 + 128 * col + 64 + 4 * j, b.qh + 4 * col, 4);
}

// One kQ6_KRows16 record: row j (of the group) from its stored block.
void pack_q6_K_block(const BlockQ6_K& b, int j, uint8_t* rec) {
  std::memcpy(rec + 2 * j, &b.d, 2);
  for (int s = 0; s < 16; ++s) rec[32 + 16 * s + j] = static_cast<uint8_t>(b.scales[s]);
  for (int h = 0; h < 2; ++h) {
    for (int k = 0; k < 8; ++k) {  // column triple 8h + k: elements 4k..4k+3 of chunks 4h..4h+3 (q0..q3 below)
      uint8_t* t = rec + 288 + 192 * (8 * h + k) + 4 * j;
      for (int i = 0; i < 4; ++i) {
        const int lo = b.ql[64 * h + 4 * k + i], hi = b.ql[64 * h + 32 + 4 * k + i], top = b.qh[32 * h + 4 * k + i];
        const int q0 = (lo & 0xF) | (top & 3) << 4, q1 = (hi & 0xF) | (top >> 2 & 3) << 4;
        const int q2 = lo >> 4 | (top >> 4 & 3) << 4, q3 = hi >> 4 | (top >> 6 & 3) << 4;
        t[i] = static_cast<uint8_t>(q0 | (q3 & 3) << 6);
        t[64 + i] = static_cast<uint8_t>(q1 | (q3 >> 2 & 3) << 6);
        t[128 + i] = static_cast<uint8_t>(q2 | (q3 >> 4) << 6);
      }
    }
  }
}

// One kQ4_0Rows16 / kQ8_0Rows16 record: row j (of the group) from its stored block.
void pack_q4_0_block(const BlockQ4_0& b, int j, uint8_t* rec) {
  std::memcpy(rec + 2 * j, &b.d, 2);
  for (int k = 0; k < 4; ++k) std::memcpy(rec + 32 + 64 * k + 4 * j, b.qs + 4 * k, 4);
}

void pack_q8_0_block(const BlockQ8_0& b, int j, uint8_t* rec) {
  std::memcpy(rec + 2 * j, &b.d, 2);
  for (int k = 0; k < 8; ++k) std::memcpy(rec + 32 + 64 * k + 4 * j, b.qs + 4 * k, 4);
}

// One kQ5_0Rows16 record: row j (of the group) from its stored block.
void pack_q5_0_block(const BlockQ5_0& b, int j, uint8_t* rec) {
  std::memcpy(rec + 2 * j, &b.d, 2);
  std::memcpy(rec + 32 + 4 * j, b.qh, 4);
  for (int k = 0; k < 4; ++k) std::memcpy(rec + 96 + 64 * k + 4 * j, b.qs + 4 * k, 4);
}

// A writer of one whole group (16 rows from row0, row_bytes apart, nb blocks each) into its records.
using GroupWriter = void (*)(const uint8_t* row0, size_t row_bytes, int64_t nb, uint8_t* out);

// The SIMD whole-group writer of type t on this CPU (kernels/pack_simd.h), or null. 30B-A3B expert up shape repacked
// for 24 tokens, one core (linear_bench --no-pack --gemm-t 24): the record loop of pack_record_groups was 27% of the
// call's time, the AVX-512 writer 16%; GEMM 416-431 -> 496-509 GFLOP/s (Q4_0), 315-329 -> 386-440 (Q8_0).
GroupWriter simd_group_writer(GgmlType t) {
#if defined(NEMOTRON_X86)
  if (cpu_features().avx512) {
    if (t == GgmlType::Q4_0) return avx512::pack_q4_0_group;
    if (t == GgmlType::Q8_0) return avx512::pack_q8_0_group;
  }
#endif
  (void)t;
  return nullptr;
}

// Groups [g0, g1) of a type with one record per block of nb = cols / (the block's inputs): Block is the stored block
// type, pack_block writes one row's block into a record (a template argument, so it is inlined: this runs over every
// block of the packed weights at load). Whole groups go to `whole` instead when it is given.
template <class Block, void (*pack_block)(const Block&, int, uint8_t*)>
void pack_record_groups(const TensorView& w, int64_t g0, int64_t g1, uint8_t* dst, size_t record, GroupWriter whole) {
  const int64_t nb = w.dim(1) / ggml_type_traits(w.qtype).block_size, rows = w.dim(0);
  const size_t group_bytes = static_cast<size_t>(nb) * record;
  for (int64_t g = g0; g < g1; ++g) {
    uint8_t* out = dst + static_cast<size_t>(g - g0) * group_bytes;
    const int64_t n = rows - g * kPackedGroupRows < kPackedGroupRows ? rows - g * kPackedGroupRows : kPackedGroupRows;
    // A whole group's rows write every byte of its records; a last, shorter group gets zero scales and quants for
    // the rows past the end. (Clearing every group first was 5% of a 30B-A3B prefill, which repacks its experts.)
    if (n < kPackedGroupRows) std::memset(out, 0, group_bytes);
    const uint8_t* first = w.data + static_cast<size_t>(g * kPackedGroupRows) * w.row_bytes();
    if (whole != nullptr && n == kPackedGroupRows) {
      whole(first, w.row_bytes(), nb, out);
      continue;
    }
    const Block* row[kPackedGroupRows];
    for (int64_t j = 0; j < n; ++j) {
      row[j] = reinterpret_cast<const Block*>(first + static_cast<size_t>(j) * w.row_bytes());
    }
    for (int64_t b = 0; b < nb; ++b) {  // record by record, each written whole before the next
      for (int64_t j = 0; j < n; ++j) pack_block(row[j][b], static_cast<int>(j), out + b * record);
    }
  }
}

}  // namespace

void pack_groups(const TensorView& w, int64_t g0, int64_t g1, uint8_t* dst, bool simd) {
  const GroupWriter whole = simd ? simd_group_writer(w.qtype) : nullptr;
  switch (w.qtype) {
    case GgmlType::Q4_0: return pack_record_groups<BlockQ4_0, pack_q4_0_block>(w, g0, g1, dst, kQ4_0Rows16Record, whole);
    case GgmlType::Q8_0: return pack_record_groups<BlockQ8_0, pack_q8_0_block>(w, g0, g1, dst, kQ8_0Rows16Record, whole);
    case GgmlType::Q5_0: return pack_record_groups<BlockQ5_0, pack_q5_0_block>(w, g0, g1, dst, kQ5_0Rows16Record, whole);
    case GgmlType::Q4_K: return pack_record_groups<BlockQ4_K, pack_q4_K_block>(w, g0, g1, dst, kQ4_KRows16Record, whole);
    case GgmlType::Q5_K: return pack_record_groups<BlockQ5_K, pack_q5_K_block>(w, g0, g1, dst, kQ5_KRows16Record, whole);
    case GgmlType::Q6_K: return pack_record_groups<BlockQ6_K, pack_q6_K_block>(w, g0, g1, dst, kQ6_KRows16Record, whole);
    default: NT_CHECK(false && "pack_groups: no packed layout for this type");
  }
}

size_t packed_size(const TensorView& w) { return packing_applies(w) ? describe(w).bytes : 0; }

namespace {

// The packed copy of w in `data` (describe(w).bytes, 64-byte aligned), which `storage` keeps alive.
std::shared_ptr<const PackedWeight> pack_into(const TensorView& w, uint8_t* data, std::shared_ptr<uint8_t> storage,
                                              ThreadPool& pool) {
  auto pw = std::make_shared<PackedWeight>(describe(w));
  pw->data = data;
  pw->storage = std::move(storage);
  if (pw->layout == PackedLayout::kStoredRows) {
    copy_stored_rows(w, pw.get(), pool);
    return pw;
  }
  const int64_t groups = (pw->rows + kPackedGroupRows - 1) / kPackedGroupRows;
  pool.parallel_for(groups, [&](int64_t g0, int64_t g1, int) {
    pack_groups(w, g0, g1, pw->data + static_cast<size_t>(g0) * pw->group_bytes);
  });
  return pw;
}

}  // namespace

std::shared_ptr<const PackedWeight> pack_weight(const TensorView& w, ThreadPool& pool) {
  if (!packing_applies(w)) return nullptr;
  std::shared_ptr<uint8_t> storage = alloc_packed(describe(w).bytes);
  if (storage == nullptr) return nullptr;  // out of memory: the stored layout still works
  uint8_t* data = storage.get();
  return pack_into(w, data, std::move(storage), pool);
}

int64_t pack_model_weights(ModelWeights& w, const std::function<void(const uint8_t*, size_t)>& release,
                           ThreadPool& pool, const PackModelOptions& opts) {
  std::vector<Linear*> experts;
  for (LayerWeights& L : w.layers) {
    for (MlpWeights& e : L.moe.experts) {
      experts.push_back(&e.up_proj);
      experts.push_back(&e.down_proj);
    }
  }
  std::vector<Linear*> sorted_experts = experts;  // (experts stays in model order: the file's order)
  std::sort(sorted_experts.begin(), sorted_experts.end());
  const size_t budget = static_cast<size_t>(kMaxShareOfMemory * static_cast<double>(physical_memory_bytes()));
  std::vector<std::pair<Linear*, size_t>> chosen;  // (weight, offset in the arena)
  size_t used = 0;
  const auto slot = [](size_t bytes) { return (bytes + 63) / 64 * 64; };  // each copy 64-byte aligned
  const auto choose = [&](Linear* l) {
    chosen.push_back({l, used});
    used += slot(packed_size(l->w));
  };
  for_each_linear(w, [&](Linear& l) {
    if (l.packed || std::binary_search(sorted_experts.begin(), sorted_experts.end(), &l)) return;
    const size_t bytes = packed_size(l.w);
    if (bytes == 0 || used + bytes > budget) return;
    choose(&l);
  });
  const size_t base_used = used, base_count = chosen.size();  // the arena without the experts
  // Experts: all of them or none, and only into a faster layout (a stored-rows copy of a K-quant expert would
  // cost the memory and gain nothing over the huge-page file mapping).
  std::vector<Linear*> to_file;
  if (opts.pack_experts && !experts.empty()) {
    size_t expert_bytes = 0;
    bool all = true;
    for (const Linear* l : experts) {
      if (l->packed) continue;
      all = all && has_packed_kernel(l->w) && packed_size(l->w) > 0;  // 0: packing is off (scalar, reference)
      expert_bytes += slot(packed_size(l->w));
    }
    for (Linear* l : experts) {
      if (!all || l->packed) continue;
      if (!opts.experts_to_file && used + expert_bytes <= budget) {
        choose(l);
      } else if (!opts.expert_file.path.empty()) {
        to_file.push_back(l);
      }
    }
  }
  int64_t count = 0;
  if (!to_file.empty()) {
    bool wrote = false;
    const auto& drop = opts.reclaim ? opts.reclaim : release;
    const Status st = map_packed_file(to_file, opts.expert_file, pool, &wrote, [&drop](const Linear& l) {
      if (drop) drop(l.w.data, l.w.row_bytes() * static_cast<size_t>(l.w.dim(0)));
    });
    if (st.is_ok()) {
      for (const Linear* l : to_file) {  // (a file just written dropped each expert's pages as it went)
        if (release && !wrote) release(l->w.data, l->w.row_bytes() * static_cast<size_t>(l->w.dim(0)));
      }
      count += static_cast<int64_t>(to_file.size());
    } else {
      std::fprintf(stderr, "nemotron: the routed experts stay memory-mapped as stored: %s\n", st.message().c_str());
    }
  }
  if (chosen.empty()) return count;
  std::shared_ptr<uint8_t> arena = alloc_packed(used);
  if (arena == nullptr && base_count < chosen.size()) {  // no room for the experts: the other weights alone
    chosen.resize(base_count);
    used = base_used;
    if (!chosen.empty()) arena = alloc_packed(used);
  }
  if (arena == nullptr) return count;  // out of memory: the stored layouts still work
  for (const auto& [l, offset] : chosen) {
    l->packed = pack_into(l->w, arena.get() + offset, arena, pool);
    if (release) release(l->w.data, l->w.row_bytes() * static_cast<size_t>(l->w.dim(0)));
  }
  return count + static_cast<int64_t>(chosen.size());
}

}  // namespace nt::kernels
