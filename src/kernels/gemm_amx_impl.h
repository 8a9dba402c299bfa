// Prefill of packed Q8_0, Q4_0 and Q4_K weights (kQ8_0Rows16, kQ4_0Rows16, kQ4_KRows16; kernels/packed_weight.h) with
// AMX int8 tiles, written once against the tile interface of kernels/amx_tiles.h: gemm_amx.cc runs it on the tile
// unit, the tests on a software model of it (tests/kernels/amx_tile_model.h). Include only from files compiled with
// the AVX-512 flags (the epilogues are AVX-512); everything here is in an anonymous namespace, a copy per file.
//
// The results are bitwise those of the VNNI kernels (gemm.h's Q8_0 / Q4_0 and Q4_K sequences). For Q8_0, per 16-row
// group, 16 tokens and block b, one TDPBSSD of A (16 tokens × the block's 32 activation bytes) by B (the record's 8
// chunks as 8 rows of 64 bytes: chunk k is k-bytes 4k..4k+3 of the 16 rows, which is the B-tile row layout) gives
// the exact int32 s = Σ w·y of every token and row: the integer the VNNI kernels reach as −128·Σy + Σ (w + 128)·y
// (Q8_0) or −8·Σy + Σ q·y (Q4_0). The tile is stored and each token's row of 16 sums scaled as they do:
// acc = fma(float(s), d_w·d_y, acc), in block order. Q4_0 records are widened first to Q8_0 records of q − 8 (low
// nibbles to chunks 0-3, high nibbles to chunks 4-7), a slice of blocks at a time, and reused by every token tile.
// Q4_K: below.
//
// Only whole tiles of 16 tokens run here; the caller gives the rest (and decode) to the VNNI kernels.
#pragma once

#include "kernels/amx_config.h"
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels {
namespace {

constexpr size_t kAmxQ8Record = 32 + 8 * 64;   // kQ8_0Rows16
constexpr size_t kAmxQ4Record = 32 + 4 * 64;   // kQ4_0Rows16
constexpr int64_t kAmxTokens = 16;             // tokens per A tile
// Blocks of a group per slice: every token tile passes over a slice before the next, whose B records (17 KB; for
// Q4_0 widened on the stack) then stay in L1 while the tiles' activations come from L2. A TDPBSSD of one block
// reads 512 bytes of each operand, so with both from L2 the loads, not the tile unit, would set the pace.
constexpr int64_t kAmxSliceBlocks = 32;
constexpr int64_t kAmxPrefetchRecords = 4;

// acc[t] = fma(float(c[t]), d_w·d_y(t), acc[t]) for the 16 tokens of one block: c the stored C tile, rec the block's
// record (its 16 fp16 scales first), yd the first token's scale of the block (tokens nb apart).
inline void amx_scale_block(const int32_t (*c)[16], const uint8_t* rec, const float* yd, int64_t nb, __m512* acc) {
  const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec)));
  NT_UNROLL for (int t = 0; t < 16; ++t) {
    const __m512 s = _mm512_cvtepi32_ps(_mm512_load_si512(c[t]));
    acc[t] = _mm512_fmadd_ps(s, _mm512_mul_ps(dw, _mm512_set1_ps(yd[t * nb])), acc[t]);
  }
}

// Blocks [ib0, ib1) of one group for 16 tokens: rec0 is the record of block ib0 (records kAmxQ8Record apart), yq and
// yd the first token's quants and block scales (tokens n_in and nb apart), y its output row (tokens ldy apart),
// written in the lanes of mask m (the group's real rows). y holds the sums of the blocks before ib0 when ib0 > 0.
// kPrefetch: the records are the weight's own (read in place from memory), not a widened copy already in L1.
// The tiles must be configured with q8_block_tile_config().
template <bool kPrefetch, class Tiles>
void amx_group_tokens16(Tiles& tm, const uint8_t* rec0, int64_t ib0, int64_t ib1, int64_t nb, const int8_t* yq,
                        const float* yd, int64_t n_in, float* y, int64_t ldy, __mmask16 m) {
  alignas(64) int32_t c[2][16][16];
  __m512 acc[16];
  NT_UNROLL for (int t = 0; t < 16; ++t) acc[t] = ib0 > 0 ? _mm512_maskz_loadu_ps(m, y + t * ldy) : _mm512_setzero_ps();
  const auto rec = [&](int64_t ib) { return rec0 + static_cast<size_t>(ib - ib0) * kAmxQ8Record; };
  const size_t stride = static_cast<size_t>(n_in);
  int64_t ib = ib0;
  for (; ib + 2 <= ib1; ib += 2) {
    if constexpr (kPrefetch) {
      const char* ahead = reinterpret_cast<const char*>(rec(ib) + kAmxPrefetchRecords * kAmxQ8Record);
      NT_UNROLL for (int l = 0; l < 17; ++l) _mm_prefetch(ahead + 64 * l, _MM_HINT_T0);
    }
    tm.template zero<0>();
    tm.template zero<1>();
    tm.template load<2>(yq + ib * 32, stride);
    tm.template load<4>(rec(ib) + 32, 64);
    tm.template load<3>(yq + (ib + 1) * 32, stride);
    tm.template load<5>(rec(ib + 1) + 32, 64);
    tm.template dpbssd<0, 2, 4>();
    tm.template dpbssd<1, 3, 5>();
    tm.template store<0>(c[0], 64);
    tm.template store<1>(c[1], 64);
    amx_scale_block(c[0], rec(ib), yd + ib, nb, acc);
    amx_scale_block(c[1], rec(ib + 1), yd + ib + 1, nb, acc);
  }
  if (ib < ib1) {
    tm.template zero<0>();
    tm.template load<2>(yq + ib * 32, stride);
    tm.template load<4>(rec(ib) + 32, 64);
    tm.template dpbssd<0, 2, 4>();
    tm.template store<0>(c[0], 64);
    amx_scale_block(c[0], rec(ib), yd + ib, nb, acc);
  }
  NT_UNROLL for (int t = 0; t < 16; ++t) _mm512_mask_storeu_ps(y + t * ldy, m, acc[t]);
}

inline __mmask16 amx_row_mask(int64_t nr, int64_t r) {
  const int64_t n = nr - r < 16 ? nr - r : 16;
  return static_cast<__mmask16>((1u << n) - 1);
}

// One kQ4_0Rows16 record -> one kQ8_0Rows16 record of the weights q − 8.
inline void amx_widen_q4_0_record(const uint8_t* src, uint8_t* dst) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)));
  const __m512i low = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
  NT_UNROLL for (int k = 0; k < 4; ++k) {
    const __m512i v = _mm512_loadu_si512(src + 32 + 64 * k);
    const __m512i lo = _mm512_sub_epi8(_mm512_and_si512(v, low), eight);
    const __m512i hi = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(v, 4), low), eight);
    _mm512_storeu_si512(dst + 32 + 64 * k, lo);  // records are 32-byte aligned
    _mm512_storeu_si512(dst + 32 + 64 * (4 + k), hi);
  }
}

// Tokens [t0, t0 + n16) (n16 a multiple of 16) of a packed Q8_0 weight, or (kQ4) a packed Q4_0 one, all nr rows;
// arguments as the tile kernels' (gemm.h). Each group's blocks in slices of kAmxSliceBlocks: Q8_0 records are read
// in place, Q4_0 ones widened first into a slice of Q8_0 records that every token tile then reads.
template <bool kQ4, class Tiles>
void amx_block_records(Tiles& tm, const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t n16,
                       float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  alignas(64) uint8_t wide[kQ4 ? kAmxSliceBlocks * kAmxQ8Record : 1];
  for (int64_t r = 0; r < nr; r += 16) {
    const uint8_t* g = w + static_cast<size_t>(r / 16) * ws;
    const __mmask16 m = amx_row_mask(nr, r);
    for (int64_t ib0 = 0; ib0 < nb; ib0 += kAmxSliceBlocks) {
      const int64_t ib1 = ib0 + kAmxSliceBlocks < nb ? ib0 + kAmxSliceBlocks : nb;
      const uint8_t* rec0 = wide;
      if constexpr (kQ4) {
        for (int64_t ib = ib0; ib < ib1; ++ib) {
          amx_widen_q4_0_record(g + static_cast<size_t>(ib) * kAmxQ4Record, wide + (ib - ib0) * kAmxQ8Record);
        }
      } else {
        rec0 = g + static_cast<size_t>(ib0) * kAmxQ8Record;
      }
      for (int64_t t = 0; t < n16; t += kAmxTokens) {
        const int64_t tt = t0 + t;
        amx_group_tokens16<!kQ4>(tm, rec0, ib0, ib1, nb, a.qs + tt * a.n_in, a.d + tt * nb, a.n_in, y + t * ldy + r,
                                 ldy, m);
      }
    }
  }
}

template <class Tiles>
void amx_q8_0_packed(Tiles& tm, const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t n16,
                     float* y, int64_t ldy) {
  amx_block_records<false>(tm, w, ws, nr, a, t0, n16, y, ldy);
}

template <class Tiles>
void amx_q4_0_packed(Tiles& tm, const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t n16,
                     float* y, int64_t ldy) {
  amx_block_records<true>(tm, w, ws, nr, a, t0, n16, y, ldy);
}

// --- Q4_K (kQ4_KRows16) -----------------------------------------------------------------------------------------
// gemm.h's Q4_K sequence: per super-block the exact integers S = Σ_c sc_c·Σ q·y over its 8 chunks of 32 and
// M = Σ_c mn_c·Σ y, then acc = fma(float(S), d·dy, acc), accm = fma(float(M), dmin·dy, accm), y = acc − accm. One
// TDPBSSD per chunk gives Σ q·y of 16 tokens × 16 rows (the nibbles widened to bytes, chunk c as 8 B rows of 64);
// S is summed in registers with each row's chunk scale (vpmulld), M from the activations' pair sums as the VNNI
// kernel forms it. acc and accm live in memory (a token chunk's worth), so a group's super-blocks go in slices
// whose widened records (16 KB) every token tile reads from L1.
constexpr size_t kAmxQ4KRecord = 2368;       // kQ4_KRows16
constexpr size_t kAmxQ4KScales = 64, kAmxQ4KMins = 192, kAmxQ4KQuants = 320;
constexpr size_t kAmxQ4KWide = 8 * 512;      // one super-block widened: chunk c's B rows at 512·c
constexpr int64_t kAmxQ4KSlice = 4;          // super-blocks widened at a time
constexpr int64_t kAmxQ4KTokenChunk = 64;    // tokens whose acc / accm stay on the stack
constexpr size_t kAmxQ8KBytes = 292;         // BlockQ8_K: float d, int8 qs[256], int16 bsums[16]

// Column 8i + k of a record: elements 4k.. of chunk 2i in the low nibbles, of chunk 2i + 1 in the high ones.
inline void amx_widen_q4_K_record(const uint8_t* rec, uint8_t* dst) {
  const __m512i low = _mm512_set1_epi8(0x0f);
  NT_UNROLL for (int i = 0; i < 4; ++i) {
    NT_UNROLL for (int k = 0; k < 8; ++k) {
      const __m512i v = _mm512_loadu_si512(rec + kAmxQ4KQuants + 64 * (8 * i + k));
      _mm512_store_si512(dst + 512 * (2 * i) + 64 * k, _mm512_and_si512(v, low));
      _mm512_store_si512(dst + 512 * (2 * i + 1) + 64 * k, _mm512_and_si512(_mm512_srli_epi16(v, 4), low));
    }
  }
}

// S[t] += Σ q·y (the stored C tile, token t's row) · the rows' chunk scales.
inline void amx_add_scaled(const int32_t (*c)[16], const uint8_t* sc, __m512i* S) {
  const __m512i scale = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
  NT_UNROLL for (int t = 0; t < 16; ++t) {
    S[t] = _mm512_add_epi32(S[t], _mm512_mullo_epi32(_mm512_load_si512(c[t]), scale));
  }
}

// Super-blocks [ib0, ib1) of one group for 16 tokens: rec0 / wide0 the packed and widened records of ib0, yk the
// first token's q8_K row (tokens ystride bytes apart), b2 its pair sums (Act::q8k_bsum2, tokens b2stride apart),
// acc / accm [16][16] the tokens' running sums.
template <class Tiles>
void amx_q4_K_tokens16(Tiles& tm, const uint8_t* rec0, const uint8_t* wide0, int64_t ib0, int64_t ib1,
                       const uint8_t* yk, size_t ystride, const int32_t* b2, int64_t b2stride, float* acc,
                       float* accm) {
  alignas(64) int32_t c[2][16][16];
  for (int64_t ib = ib0; ib < ib1; ++ib) {
    const uint8_t* rec = rec0 + static_cast<size_t>(ib - ib0) * kAmxQ4KRecord;
    const uint8_t* wide = wide0 + static_cast<size_t>(ib - ib0) * kAmxQ4KWide;
    const uint8_t* yq = yk + static_cast<size_t>(ib) * kAmxQ8KBytes + 4;
    __m512i S[16];
    NT_UNROLL for (int t = 0; t < 16; ++t) S[t] = _mm512_setzero_si512();
    for (int ch = 0; ch < 8; ch += 2) {
      tm.template zero<0>();
      tm.template zero<1>();
      tm.template load<2>(yq + 32 * ch, ystride);
      tm.template load<4>(wide + 512 * ch, 64);
      tm.template load<3>(yq + 32 * (ch + 1), ystride);
      tm.template load<5>(wide + 512 * (ch + 1), 64);
      tm.template dpbssd<0, 2, 4>();
      tm.template dpbssd<1, 3, 5>();
      tm.template store<0>(c[0], 64);
      tm.template store<1>(c[1], 64);
      amx_add_scaled(c[0], rec + kAmxQ4KScales + 16 * ch, S);
      amx_add_scaled(c[1], rec + kAmxQ4KScales + 16 * (ch + 1), S);
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec)));
    const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 32)));
    __m512i mins[4];
    NT_UNROLL for (int p = 0; p < 4; ++p) {
      mins[p] = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + kAmxQ4KMins + 32 * p)));
    }
    NT_UNROLL for (int t = 0; t < 16; ++t) {
      const int32_t* bt = b2 + t * b2stride + ib * 4;
      __m512i mt = _mm512_setzero_si512();
      NT_UNROLL for (int p = 0; p < 4; ++p) mt = _mm512_dpwssd_epi32(mt, mins[p], _mm512_set1_epi32(bt[p]));
      const __m512 dy = _mm512_set1_ps(f32_at(yk + t * ystride + static_cast<size_t>(ib) * kAmxQ8KBytes));
      const __m512 a = _mm512_fmadd_ps(_mm512_cvtepi32_ps(S[t]), _mm512_mul_ps(d, dy), _mm512_load_ps(acc + 16 * t));
      const __m512 am = _mm512_fmadd_ps(_mm512_cvtepi32_ps(mt), _mm512_mul_ps(dmin, dy), _mm512_load_ps(accm + 16 * t));
      _mm512_store_ps(acc + 16 * t, a);
      _mm512_store_ps(accm + 16 * t, am);
    }
  }
}

// Tokens [t0, t0 + n16) of a packed Q4_K weight (Act::q8k and Act::q8k_bsum2), all nr rows.
template <class Tiles>
void amx_q4_K_packed(Tiles& tm, const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t n16,
                     float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 256;
  const size_t ystride = static_cast<size_t>(nb) * kAmxQ8KBytes;
  alignas(64) uint8_t wide[kAmxQ4KSlice * kAmxQ4KWide];
  alignas(64) float acc[kAmxQ4KTokenChunk * 16], accm[kAmxQ4KTokenChunk * 16];
  for (int64_t r = 0; r < nr; r += 16) {
    const uint8_t* g = w + static_cast<size_t>(r / 16) * ws;
    const __mmask16 m = amx_row_mask(nr, r);
    for (int64_t tc = 0; tc < n16; tc += kAmxQ4KTokenChunk) {
      const int64_t nc = n16 - tc < kAmxQ4KTokenChunk ? n16 - tc : kAmxQ4KTokenChunk;
      for (int64_t i = 0; i < nc * 16; ++i) acc[i] = accm[i] = 0.0f;
      for (int64_t ib0 = 0; ib0 < nb; ib0 += kAmxQ4KSlice) {
        const int64_t ib1 = ib0 + kAmxQ4KSlice < nb ? ib0 + kAmxQ4KSlice : nb;
        for (int64_t ib = ib0; ib < ib1; ++ib) {
          amx_widen_q4_K_record(g + static_cast<size_t>(ib) * kAmxQ4KRecord, wide + (ib - ib0) * kAmxQ4KWide);
        }
        for (int64_t t = 0; t < nc; t += kAmxTokens) {
          const int64_t tt = t0 + tc + t;
          amx_q4_K_tokens16(tm, g + static_cast<size_t>(ib0) * kAmxQ4KRecord, wide, ib0, ib1,
                            static_cast<const uint8_t*>(a.q8k) + static_cast<size_t>(tt) * ystride, ystride,
                            a.q8k_bsum2 + tt * nb * 4, nb * 4, acc + 16 * t, accm + 16 * t);
        }
      }
      for (int64_t t = 0; t < nc; ++t) {
        _mm512_mask_storeu_ps(y + (tc + t) * ldy + r, m,
                              _mm512_sub_ps(_mm512_load_ps(acc + 16 * t), _mm512_load_ps(accm + 16 * t)));
      }
    }
  }
}

// The tile kernels' entry (gemm.h's TileFn arguments): whole 16-token tiles on the tile unit, with the
// configuration loaded before and the tile state released after, then the remaining tokens through `rest` (the
// VNNI kernel of the same layout, which also takes decode).
template <class Tiles, class Amx>
void amx_then_rest(Tiles& tm, Amx amx, TileFn rest, const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0,
                   int64_t nt, float* y, int64_t ldy) {
  const int64_t n16 = nt / kAmxTokens * kAmxTokens;
  if (n16 > 0) {
    const TileConfig cfg = q8_block_tile_config();
    tm.configure(cfg);
    amx(tm, w, ws, nr, a, t0, n16, y, ldy);
    tm.release();
  }
  if (nt > n16) rest(w, ws, nr, a, t0 + n16, nt - n16, y + n16 * ldy, ldy);
}

}  // namespace
}  // namespace nt::kernels
