// What every per-ISA kernel file (*_avx2.cc, *_avx512.cc) starts from: the intrinsics header, the unroll pragma,
// unaligned little-endian loads, and the tile loops that turn a run-time token count into a compile-time register
// tile. Include only from files compiled with the AVX2 flags or a superset; the anonymous namespace gives each of
// those files its own copy, so no out-of-line version can be picked by the linker for code compiled for another
// instruction set.
#pragma once

// GCC 12 reports the _mm512_undefined_* placeholders inside its own AVX-512 intrinsics as (maybe-)uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

// Register tiles are small fixed loops over arrays of vectors: unroll them fully so the arrays live in registers.
#if defined(__clang__)
#define NT_UNROLL _Pragma("clang loop unroll(full)")
#else
#define NT_UNROLL _Pragma("GCC unroll 16")
#endif
// Loops whose iterations each hold many vectors (the AVX2 K-quant kernels' columns): unrolled by 2 only. Fully
// unrolled, GCC computed every iteration's products ahead of their sums and kept them on the stack (16 ymm registers).
#if defined(__clang__)
#define NT_UNROLL2 _Pragma("clang loop unroll_count(2)")
#else
#define NT_UNROLL2 _Pragma("GCC unroll 2")
#endif

namespace nt::kernels {
namespace {

inline int32_t i32_at(const int8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

inline float f32_at(const uint8_t* p) {
  float v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

inline uint64_t u16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return h;
}

// Software prefetch for the stored-row kernels. A register tile reads its rows as interleaved streams, each one
// row long (1-2 KB in the models' shapes), so a per-row distance never gets ahead of a tile's first lines and
// every tile began with a burst of demand misses (the 30B-A3B experts streamed at a third of the bandwidth).
// Instead block step ib of a tile prefetches its share of a tile further on, `step` = that tile's bytes / the
// blocks per row, from `ahead` (that tile's first row; the rows of a stored weight are contiguous): by the time a
// tile ends, all of it has been requested. The tile is prefetch_rows_ahead() ahead, up to kStoredPrefetchBytes
// of weights, which in the models' shapes is one tile. bench/linear_bench gemv_stream, 2 threads, stored rows,
// alternating builds with 24 KB and 12 KB: AVX-512 Q4_0 30B-A3B expert up (12 KB tiles) 26 → 36 GB/s, down 33 → 40;
// AVX2 Q8_0 expert up 36 → 49, down 35 → 53; the other kernels and shapes, which were one tile ahead already, the
// same. (An earlier build had measured two tiles ahead best for the Q4_0 up shape, 35-38 against 32-33 GB/s;
// without software prefetch it streams at 22.) Prefetches never fault, so running past the weight's last row is
// harmless.
constexpr size_t kStoredPrefetchBytes = size_t{12} << 10;

template <int kLines>
inline void prefetch_tile_share(const uint8_t* ahead, int64_t ib, size_t step) {
  const char* p = reinterpret_cast<const char*>(ahead + static_cast<size_t>(ib) * step);
  NT_UNROLL for (int l = 0; l < kLines; ++l) _mm_prefetch(p + 64 * l, _MM_HINT_T0);
}

// Bytes per block step that prefetch_tile_share covers for a tile of `rows` rows ws bytes apart, nb blocks each.
inline size_t tile_share(size_t ws, int rows, int64_t nb) {
  return nb > 0 ? static_cast<size_t>(rows) * ws / static_cast<size_t>(nb) : 0;
}

// Rows from a tile's first row to the first row of the tile it prefetches: whole tiles, at most
// kStoredPrefetchBytes ahead but at least the next tile.
inline int64_t prefetch_rows_ahead(size_t ws, int rows, size_t max_bytes = kStoredPrefetchBytes) {
  const size_t tile = static_cast<size_t>(rows) * ws;
  const size_t tiles = tile > 0 ? max_bytes / tile : 0;
  return static_cast<int64_t>(tiles > 0 ? tiles : 1) * rows;
}

// f.template operator()<RN>() with RN = n, 1 <= n <= kMax, as a compile-time constant.
template <int kMax, int RN = 1, class F>
inline void with_tokens(int64_t n, F&& f) {
  if constexpr (RN < kMax) {
    if (n != RN) return with_tokens<kMax, RN + 1>(n, f);
  }
  f.template operator()<RN>();
}

// Prefill over long rows: the blocks of a tile's groups in equal slices of at most max_bytes (bytes_per_block of the
// tile's weights each), every token tile passing over one slice before the next, so the slice stays in L2 while
// the tokens reuse it (8B Q8_0 mlp down_proj, 21504 inputs, 2 groups: 731 KB whole, about 10% faster in 128 KB
// slices). Results are bitwise the same: each accumulator is stored after a slice and reloaded for the next, the
// same fp32 value in the same order of operations. Returns the blocks per slice.
constexpr size_t kPrefillSliceBytes = size_t{128} << 10;
inline int64_t slice_blocks(int64_t nb, size_t bytes_per_block, size_t max_bytes) {
  const size_t total = static_cast<size_t>(nb) * bytes_per_block;
  const int64_t n = static_cast<int64_t>((total + max_bytes - 1) / max_bytes);
  return n > 1 ? (nb + n - 1) / n : nb;
}

// Tokens [0, nt) in tiles of at most kTokens: f.template operator()<RN>(t) for the tile at t.
template <int kTokens, class F>
inline void for_token_tiles(int64_t nt, F&& f) {
  for (int64_t t = 0; t < nt; t += kTokens) {
    with_tokens<kTokens>(nt - t < kTokens ? nt - t : kTokens, [&]<int RN>() { f.template operator()<RN>(t); });
  }
}

// The tile loop of a kernel: output rows in groups of `rows` (a packed group or a register tile of stored rows),
// tokens in tiles of at most kTokens; f.template operator()<RN>(r, nrows, t) computes rows [r, r + nrows) for
// tokens [t, t + RN) of the tile.
template <int kTokens, class F>
inline void for_tiles(int64_t nr, int64_t nt, int64_t rows, F&& f) {
  for (int64_t r = 0; r < nr; r += rows) {
    const int nrows = static_cast<int>(nr - r < rows ? nr - r : rows);
    for_token_tiles<kTokens>(nt, [&]<int RN>(int64_t t) { f.template operator()<RN>(r, nrows, t); });
  }
}

// Decode over packed 16-row groups (ws bytes apart) as kGroups streams: the whole groups of the call, q per stream
// (q = groups / kGroups), stream j reading groups [j·q, (j + 1)·q) in order, so each stream runs on through q · ws
// contiguous bytes. f(g, gs, yg, ys) computes group i of every stream: the groups at g + j·gs, outputs at yg + j·ys.
// w, y and nr are advanced past those rows, leaving the rest to the caller's tile loop.
template <int kGroups, class F>
inline void for_group_streams(const uint8_t*& w, size_t ws, float*& y, int64_t& nr, F&& f) {
  const int64_t q = nr / (16 * kGroups);
  for (int64_t i = 0; i < q; ++i) f(w + static_cast<size_t>(i) * ws, static_cast<size_t>(q) * ws, y + 16 * i, 16 * q);
  w += static_cast<size_t>(q * kGroups) * ws;
  y += 16 * q * kGroups;
  nr -= 16 * q * kGroups;
}

// Over packed 16-row groups (ws bytes apart): f(g, yg) for each whole run of kGroups groups, g its first group and
// yg its first output (a kernel that reads the groups in step); w, y and nr are advanced past those rows,
// leaving the rest to the caller's tile loop.
template <int kGroups, class F>
inline void for_group_runs(const uint8_t*& w, size_t ws, float*& y, int64_t& nr, F&& f) {
  const int64_t done = nr / (16 * kGroups) * (16 * kGroups);
  for (int64_t r = 0; r < done; r += 16 * kGroups) f(w + static_cast<size_t>(r / 16) * ws, y + r);
  w += static_cast<size_t>(done / 16) * ws;
  y += done;
  nr -= done;
}


// Prefill over packed groups (`record` bytes per group and block): each whole run of kGroups groups as in
// for_group_runs, its nb blocks in slices of at most kPrefillSliceBytes of the run's weights, and for each slice
// the tokens [0, nt) in tiles of at most kTokens: f.template operator()<RN>(g, yg, ib0, ib1, t) for blocks
// [ib0, ib1) of tile t. w, y and nr are advanced past the runs, leaving the rest to the caller's tile loop.
template <int kGroups, int kTokens, class F>
inline void for_prefill_tiles(const uint8_t*& w, size_t ws, float*& y, int64_t& nr, int64_t nt, int64_t nb,
                              size_t record, F&& f) {
  const int64_t per = slice_blocks(nb, kGroups * record, kPrefillSliceBytes);
  for_group_runs<kGroups>(w, ws, y, nr, [&](const uint8_t* g, float* yg) {
    for (int64_t ib0 = 0; ib0 < nb; ib0 += per) {
      const int64_t ib1 = ib0 + per < nb ? ib0 + per : nb;
      for_token_tiles<kTokens>(nt, [&]<int RN>(int64_t t) { f.template operator()<RN>(g, yg, ib0, ib1, t); });
    }
  });
}
// Pointers to `n` stored rows from row r (ws bytes apart); a short tile repeats its last row.
inline void row_pointers(const uint8_t* w, size_t ws, int64_t r, int nrows, int n, const uint8_t** rows) {
  for (int j = 0; j < n; ++j) rows[j] = w + static_cast<size_t>(r + (j < nrows ? j : nrows - 1)) * ws;
}

// The rows of an 8-row stored-row tile, for kernels templated on how they are addressed: at(j) is row j.
// A whole tile's rows are ws bytes apart and are addressed from two pointers (rows 0-3 and 4-7) with the strides
// ws and 3·ws, four registers in all: the 8 row pointers of a RowList8 did not fit beside a kernel's own and were
// reloaded from the stack on every block (AVX-512 Q4_0, one token: 30B-A3B experts in decode).
struct TileRows8 {
  const uint8_t* p0;
  const uint8_t* p4;
  size_t ws, ws3;
  TileRows8(const uint8_t* first, size_t stride) : p0(first), p4(first + 4 * stride), ws(stride), ws3(3 * stride) {}
  const uint8_t* at(int j) const {
    const uint8_t* p = j < 4 ? p0 : p4;
    switch (j & 3) {
      case 0: return p;
      case 1: return p + ws;
      case 2: return p + 2 * ws;
      default: return p + ws3;
    }
  }
};

// A short tile (fewer than 8 rows), its last row repeated (row_pointers).
struct RowList8 {
  const uint8_t* rows[8];
  RowList8(const uint8_t* w, size_t ws, int64_t r, int nrows) { row_pointers(w, ws, r, nrows, 8, rows); }
  const uint8_t* at(int j) const { return rows[j]; }
};

// Calls f(rows) with the tile's rows as a TileRows8 when the tile is whole, else as a RowList8.
template <class F>
inline void with_tile_rows8(const uint8_t* w, size_t ws, int64_t r, int nrows, F&& f) {
  if (nrows == 8) f(TileRows8(w + static_cast<size_t>(r) * ws, ws));
  else f(RowList8(w, ws, r, nrows));
}

// The fp16 values at rows.at(j) + off for j = 0..7 (a stored-row tile's block scales), as 8 floats.
template <class Rows>
inline __m256 row_scales8(const Rows& rows, size_t off) {
  __m128i h = _mm_cvtsi32_si128(static_cast<int>(u16_at(rows.at(0) + off)));
  h = _mm_insert_epi16(h, static_cast<int>(u16_at(rows.at(1) + off)), 1);
  h = _mm_insert_epi16(h, static_cast<int>(u16_at(rows.at(2) + off)), 2);
  h = _mm_insert_epi16(h, static_cast<int>(u16_at(rows.at(3) + off)), 3);
  h = _mm_insert_epi16(h, static_cast<int>(u16_at(rows.at(4) + off)), 4);
  h = _mm_insert_epi16(h, static_cast<int>(u16_at(rows.at(5) + off)), 5);
  h = _mm_insert_epi16(h, static_cast<int>(u16_at(rows.at(6) + off)), 6);
  h = _mm_insert_epi16(h, static_cast<int>(u16_at(rows.at(7) + off)), 7);
  return _mm256_cvtph_ps(h);
}

}  // namespace
}  // namespace nt::kernels
