// AVX2 Q4_0 kernels against q8_0 activations, with the Q4_0 operation sequence of gemm.h: per output element and
// block, the exact integer sum s = Σ (q − 8)·y, then acc = fma(float(s), d_w·d_y, acc). The nibbles enter the
// products unsigned (0..15: maddubs needs no sign trick) and the −8 comes back exactly through Act::ysum.
//
// Packed (kQ4_0Rows16, kernels/packed_weight.h): a 256-bit half-chunk holds 4 quant bytes of each of 8 rows, so
// per row lane the 4 chunks' maddubs pairs (lo nibbles × y[4k..], hi nibbles × y[16+4k..]) add up in int16
// (at most 4·2·2·15·128 < 2^15) and one madd gives the row's block total: one lane per row, no horizontal sums.
// Stored rows: two rows per register (row 2p in the low 128 bits, 2p + 1 in the high), 4 int32 partial sums per
// row, reduced to the rows' totals per block by two hadds.
// Q5_0 (stored rows only) runs the same kernel with s = Σ (q − 16)·y (Act::ybias with c = 16): each quant's fifth
// bit (bit i of the block's qh word) is expanded to 16 in its byte by a byte shuffle of qh, a bit mask and a compare.
// llama-quantize writes Q5_0 for a Q4_K tensor whose rows are not whole 256-blocks: the routed experts and most
// projections of the Q4_K_M Nemotron-3-Nano-30B-A3B files (hidden size 2688), which went through the convert
// route (rows dequantized to fp32 on every call) before. Q4_1 / Q5_1 (x = d·q + m) read their quants as Q4_0 /
// Q5_0 do, with s = Σ q·y and the min added as m·dy·Σy (gemm.h).
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx2 {
namespace {

constexpr size_t kRecord = 288;          // kQ4_0Rows16: 32 bytes of scales + 4 chunks of 64 quant bytes
constexpr int64_t kPrefetchRecords = 8;  // software prefetch distance of the packed stream, in records
constexpr int kTokens = 4;               // tokens per register tile
// Decode: kStreams whole groups in step, from the quarters of the call's groups (for_group_streams), each stream
// prefetched kDecodePrefetchRecords ahead. linear_bench, 8B mlp_up, 2 threads, NEMOTRON_ISA=avx2, alternating runs:
// gemv_stream 34.5-39.3 GB/s reading half-groups one after another (each record twice, the second time from cache),
// 41-44 whole groups one at a time, 54-58 two in step, 59-63 four; 30B-A3B experts 8 per call (gemv_many)
// 37.6-40.5 -> 54.5-58.4. Prefetch distances of 4-8 records measured alike.
constexpr int kStreams = 4;
constexpr int64_t kDecodePrefetchRecords = 4;

// --- packed: 8 rows per register (one half of a 16-row group) --------------------------------------------------
// Half h (rows 8h .. 8h+7 of the group) × RN tokens; writes the first nrows of the half.
template <int RN>
void micro_packed(const uint8_t* g, int h, int nrows, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb,
                  int64_t n_in, float* y, int64_t ldy) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  __m256 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec = g + ib * kRecord;
    NT_UNROLL for (int l = 0; l < 5; ++l) {
      _mm_prefetch(reinterpret_cast<const char*>(rec + kPrefetchRecords * kRecord + 64 * l), _MM_HINT_T0);
    }
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * h)));
    __m256i lo[4], hi[4];
    NT_UNROLL for (int k = 0; k < 4; ++k) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 32 + 64 * k + 32 * h));
      lo[k] = _mm256_and_si256(v, m4);
      hi[k] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
    }
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      __m256i s16 = _mm256_setzero_si256();
      NT_UNROLL for (int k = 0; k < 4; ++k) {
        s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(lo[k], _mm256_set1_epi32(i32_at(b + 4 * k))));
        s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(hi[k], _mm256_set1_epi32(i32_at(b + 16 + 4 * k))));
      }
      const __m256i s = _mm256_add_epi32(_mm256_madd_epi16(s16, ones), _mm256_set1_epi32(yb[t * nb + ib]));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, _mm256_set1_ps(yd[t * nb + ib])), acc[t]);
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) {
    if (nrows == 8) {
      _mm256_storeu_ps(y + t * ldy, acc[t]);
    } else {
      alignas(32) float out[8];
      _mm256_store_ps(out, acc[t]);
      for (int j = 0; j < nrows; ++j) y[t * ldy + j] = out[j];
    }
  }
}

// Decode: one token × G whole groups (group j at g + j·gs, its 16 outputs at y + j·ys), both halves of each record
// in one pass and G groups in step, each stream prefetched kDecodePrefetchRecords ahead. Per half and lane the
// operations of micro_packed<1> (int16 sums of the maddubs pairs in the same order), so the same bits.
template <int G>
void micro_packed_groups(const uint8_t* g, size_t gs, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb,
                         float* y, int64_t ys) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  __m256 acc[G][2];
  NT_UNROLL for (int j = 0; j < G; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const int8_t* b = yq + ib * 32;
    const __m256i bias = _mm256_set1_epi32(yb[ib]);
    const __m256 dy = _mm256_set1_ps(yd[ib]);
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const uint8_t* rec = g + j * gs + ib * kRecord;
      NT_UNROLL for (int l = 0; l < 5; ++l) {
        _mm_prefetch(reinterpret_cast<const char*>(rec + kDecodePrefetchRecords * kRecord + 64 * l), _MM_HINT_T0);
      }
      NT_UNROLL for (int h = 0; h < 2; ++h) {
        __m256i s16 = _mm256_setzero_si256();
        NT_UNROLL for (int k = 0; k < 4; ++k) {
          const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 32 + 64 * k + 32 * h));
          s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(_mm256_and_si256(v, m4), _mm256_set1_epi32(i32_at(b + 4 * k))));
          s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4),
                                                           _mm256_set1_epi32(i32_at(b + 16 + 4 * k))));
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * h)));
        const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(s16, ones), bias);
        acc[j][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(dw, dy), acc[j][h]);
      }
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) {
    _mm256_storeu_ps(y + ys * j, acc[j][0]);
    _mm256_storeu_ps(y + ys * j + 8, acc[j][1]);
  }
}

// --- stored rows: 4 rows per tile ------------------------------------------------------------------------------
inline __m256i load_pair(const uint8_t* a, const uint8_t* b) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a))),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(b)), 1);
}

// The 32-element block types the stored-row kernel reads: byte offsets of the quants (qs) and fifth bits (qh).
// Q4_1 / Q5_1 (x = d·q + m) also hold the fp16 min m at byte 2.
enum class Block32 { kQ4_0, kQ5_0, kQ4_1, kQ5_1 };
struct Block32Layout {
  size_t bytes, qs, qh;
  bool five, min;
};
constexpr Block32Layout layout_of(Block32 b) {
  switch (b) {
    case Block32::kQ4_0: return {18, 2, 0, false, false};
    case Block32::kQ5_0: return {22, 6, 2, true, false};
    case Block32::kQ4_1: return {20, 4, 0, false, true};
    case Block32::kQ5_1: return {24, 8, 4, true, true};
  }
  return {};
}

// Quants of two rows' blocks (a in the low 128 bits, b in the high) from their qs and qh bytes: lo = elements 0..15,
// hi = 16..31, each 0..31.
inline void q5_pair(const uint8_t* qs_a, const uint8_t* qs_b, const uint8_t* qh_a, const uint8_t* qh_b, __m256i* lo,
                    __m256i* hi) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), five = _mm256_set1_epi8(0x10);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  // Byte i of the low half takes qh byte i / 8 (bits 0..15: elements 0..15), of the high half qh byte 2 + i / 8.
  const __m256i sel_lo = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                          1, 1, 1, 1, 1, 1);
  const __m256i sel_hi = _mm256_add_epi8(sel_lo, _mm256_set1_epi8(2));
  const __m256i w = load_pair(qs_a, qs_b);
  uint32_t qa, qb;
  __builtin_memcpy(&qa, qh_a, 4);
  __builtin_memcpy(&qb, qh_b, 4);
  const __m256i qh = _mm256_setr_epi32(static_cast<int>(qa), 0, 0, 0, static_cast<int>(qb), 0, 0, 0);
  const __m256i bl = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(qh, sel_lo), bit), bit);
  const __m256i bh = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(qh, sel_hi), bit), bit);
  *lo = _mm256_or_si256(_mm256_and_si256(w, m4), _mm256_and_si256(bl, five));
  *hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(w, 4), m4), _mm256_and_si256(bh, five));
}

// Rows 0..3 (a short tile repeats its last row) × RN tokens. After two hadds the lanes hold
// [row 0, row 2, row 0, row 2 | row 1, row 3, row 1, row 3]; the scales are permuted to match. Q5 types: int16 pairs
// stay below 2·2·31·128 < 2^15. Q4_0 / Q5_0: s = Σ (q − c)·y through Act::ybias (c = 8 / 16), then
// acc = fma(float(s), d·dy, acc). Q4_1 / Q5_1: s = Σ q·y, then acc = fma(float(s), d·dy, acc) and
// acc = fma(m, dy·Σy, acc), with Σy from Act::ybias (c = 1: ybias = −Σy).
template <int RN, Block32 kB = Block32::kQ4_0>
void micro_rows(const uint8_t* const* rows, int nrows, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb,
                int64_t n_in, float* y, int64_t ldy, const uint8_t* ahead, size_t step) {
  constexpr Block32Layout L = layout_of(kB);
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  const __m256i scale_lanes = _mm256_setr_epi32(0, 2, 0, 2, 1, 3, 1, 3);
  __m256 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const size_t off = static_cast<size_t>(ib) * L.bytes;
    prefetch_tile_share<2>(ahead, ib, step);  // 4 rows x 18..24 bytes = 72..96 bytes per block step
    __m256i lo01, hi01, lo23, hi23;
    if constexpr (L.five) {
      q5_pair(rows[0] + off + L.qs, rows[1] + off + L.qs, rows[0] + off + L.qh, rows[1] + off + L.qh, &lo01, &hi01);
      q5_pair(rows[2] + off + L.qs, rows[3] + off + L.qs, rows[2] + off + L.qh, rows[3] + off + L.qh, &lo23, &hi23);
    } else {
      const __m256i w01 = load_pair(rows[0] + off + L.qs, rows[1] + off + L.qs);
      const __m256i w23 = load_pair(rows[2] + off + L.qs, rows[3] + off + L.qs);
      lo01 = _mm256_and_si256(w01, m4), hi01 = _mm256_and_si256(_mm256_srli_epi16(w01, 4), m4);
      lo23 = _mm256_and_si256(w23, m4), hi23 = _mm256_and_si256(_mm256_srli_epi16(w23, 4), m4);
    }
    // The 4 rows' fp16 values at byte `at` of the block, in the lanes of the reduced sums.
    auto row_halfs = [&](size_t at) {
      uint64_t h = 0;
      NT_UNROLL for (int j = 0; j < 4; ++j) h |= u16_at(rows[j] + off + at) << (16 * j);
      return _mm256_permutevar8x32_ps(
          _mm256_castps128_ps256(_mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(h)))), scale_lanes);
    };
    const __m256 dw = row_halfs(0);
    __m256 mw = _mm256_setzero_ps();
    if constexpr (L.min) mw = row_halfs(2);  // the block's min m
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      const __m256i ylo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
      const __m256i yhi = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
      const __m256i p01 = _mm256_madd_epi16(
          _mm256_add_epi16(_mm256_maddubs_epi16(lo01, ylo), _mm256_maddubs_epi16(hi01, yhi)), ones);
      const __m256i p23 = _mm256_madd_epi16(
          _mm256_add_epi16(_mm256_maddubs_epi16(lo23, ylo), _mm256_maddubs_epi16(hi23, yhi)), ones);
      const __m256i h = _mm256_hadd_epi32(p01, p23);
      const float dy = yd[t * nb + ib];
      if constexpr (L.min) {
        const __m256i s = _mm256_hadd_epi32(h, h);
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, _mm256_set1_ps(dy)), acc[t]);
        acc[t] = _mm256_fmadd_ps(mw, _mm256_set1_ps(dy * static_cast<float>(-yb[t * nb + ib])), acc[t]);
      } else {
        const __m256i s = _mm256_add_epi32(_mm256_hadd_epi32(h, h), _mm256_set1_epi32(yb[t * nb + ib]));
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, _mm256_set1_ps(dy)), acc[t]);
      }
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) {
    alignas(32) float out[8];
    _mm256_store_ps(out, acc[t]);
    const int lane[4] = {0, 4, 1, 5};
    for (int j = 0; j < nrows; ++j) y[t * ldy + j] = out[lane[j]];
  }
}

}  // namespace

void tile_q4_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  if (nt == 1) {  // decode: whole groups as kStreams streams, the rest (a partial group) by halves
    for_group_streams<kStreams>(w, ws, y, nr, [&](const uint8_t* g, size_t gs, float* yg, int64_t ys) {
      micro_packed_groups<kStreams>(g, gs, nb, a.qs + t0 * a.n_in, a.d + t0 * nb, a.ybias + t0 * nb, yg, ys);
    });
    for_group_runs<1>(w, ws, y, nr, [&](const uint8_t* g, float* yg) {  // whole groups left over
      micro_packed_groups<1>(g, ws, nb, a.qs + t0 * a.n_in, a.d + t0 * nb, a.ybias + t0 * nb, yg, 16);
    });
  }
  for_tiles<kTokens>(nr, nt, 8, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const int64_t tt = t0 + t;
    micro_packed<RN>(w + static_cast<size_t>(r / 16) * ws, static_cast<int>((r / 8) % 2), nrows, nb, a.qs + tt * a.n_in,
                     a.d + tt * nb, a.ybias + tt * nb, a.n_in, y + t * ldy + r, ldy);
  });
}

namespace {

template <Block32 kB>
void tile_rows(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  // This kernel is compute-bound at ~15-28 GB/s per core (Zen 5): half the distance of the 8-row AVX-512 tiles.
  const int64_t ahead = prefetch_rows_ahead(ws, 4, kStoredPrefetchBytes / 2);
  for_tiles<kTokens>(nr, nt, 4, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const uint8_t* rows[4];
    row_pointers(w, ws, r, nrows, 4, rows);
    const int64_t tt = t0 + t;
    micro_rows<RN, kB>(rows, nrows, nb, a.qs + tt * a.n_in, a.d + tt * nb, a.ybias + tt * nb, a.n_in,
                        y + t * ldy + r, ldy, w + static_cast<size_t>(r + ahead) * ws, tile_share(ws, 4, nb));
  });
}

}  // namespace

void tile_q4_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_rows<Block32::kQ4_0>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q5_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_rows<Block32::kQ5_0>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q4_1(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_rows<Block32::kQ4_1>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q5_1(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_rows<Block32::kQ5_1>(w, ws, nr, a, t0, nt, y, ldy);
}

void block_bias(const int8_t* qs, int64_t n, int32_t c, int32_t* bias) {
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  for (int64_t ib = 0; ib < n / 32; ++ib) {
    const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + ib * 32));
    const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, yv), ones16);  // 8 lanes of 4-element sums
    __m128i v = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0x4E));
    v = _mm_add_epi32(v, _mm_shuffle_epi32(v, 0xB1));
    bias[ib] = -c * _mm_cvtsi128_si32(v);
  }
}

}  // namespace nt::kernels::avx2
