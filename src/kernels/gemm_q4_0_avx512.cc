// AVX-512 VNNI Q4_0 kernels against q8_0 activations, with the Q4_0 operation sequence of gemm.h: per output
// element and block, the exact integer sum s = Σ (q − 8)·y, then acc = fma(float(s), d_w·d_y, acc).
//
// Packed (kQ4_0Rows16, kernels/packed_weight.h): a 512-bit chunk holds 4 quant bytes of each of 16 rows, so
//   s = dpbusd(−8·Σy; lo_k, y[4k..4k+3]) over k  +  dpbusd(0; hi_k, y[16+4k..16+4k+3]) over k
// with lo = byte & 0x0F and hi = byte >> 4, split once per block for all the tile's tokens. One lane per row: no
// horizontal sums, the block scales of the 16 rows in one fp16 load, the activations (and each block's −8·Σy)
// broadcast from memory into the dot products. Decode (one token) reads four 16-row groups in step, each from its
// own quarter of the call's groups (for_group_streams), with a software prefetch a few records ahead in each.
// Stored rows: four rows per register (row j in 128-bit lane j, as in the ggml block: byte i = element i and
// 16 + i), partial sums in 4 lanes per row, reduced to the row's total per block by two unpack-add steps.
// Packed Q5_0 (kQ5_0Rows16) runs the one-group kernel with the fifth bits added (s = Σ (q − 16)·y): bitwise the AVX2
// stored-row Q5_0 kernel.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx512 {
namespace {

constexpr size_t kRecord = 288;          // kQ4_0Rows16: 32 bytes of scales + 4 chunks of 64 quant bytes
constexpr size_t kRecordQ5 = 352;        // kQ5_0Rows16: 32 bytes of scales, the qh column, 4 chunks
constexpr int64_t kPrefetchRecords = 16;  // software prefetch distance of the packed stream, in records
constexpr int kStreams = 4;               // decode: packed groups read in step (weight streams per thread)
// Decode: each of the kStreams streams runs through its quarter of the call's groups (a grab of the thread's share,
// hundreds of KB) and is prefetched into L1 kDecodePrefetchRecords ahead. Adjacent groups in step, as before, made
// every stream a single group (24-37 KB) that the hardware prefetchers had to pick up again from a cold start, and
// without the software prefetch, long streams alone gained little. nemotron bench -p 16 -n 48 -t 2, alternating
// runs: 30B-A3B decode 18.5-20.4 tok/s (61-64% of the probe) with adjacent groups and no prefetch, 23.1-23.5
// (70-75%) with both; 8B 10.9-11.4 -> 12.5-12.8 tok/s. Prefetch distances of 2-6 records measured alike, 8-10 less.
constexpr int64_t kDecodePrefetchRecords = 4;
// Packed Q5_0 decode (the routed experts of the Q4_K_M 30B-A3B files) reads its groups the same way, 6 records ahead:
// linear_bench gemv_many (30B-A3B expert up, 8 per call, 2 threads, alternating runs) 42-45 GB/s one group at a time
// without prefetch, 53-54 with four streams (34.6-35.9 against 38.6-44.1 at the slow level); one stream with the
// prefetch read no faster than without.
constexpr int64_t kDecodePrefetchRecordsQ5 = 6;
constexpr int kTokens = 8;               // tokens per register tile (packed, one group)
constexpr int kTileGroups = 2;           // prefill: packed groups per register tile
constexpr int kTileTokens = 6;           // prefill: tokens per register tile of kTileGroups groups
constexpr int kTokensRows = 4;           // tokens per register tile (stored rows)

// --- packed: 16 rows per register ------------------------------------------------------------------------------
// Byte shuffle index: every byte of dword lane j takes byte `b` of the same dword.
inline __m512i dword_byte(int b) {
  const __m512i lane_base = _mm512_set_epi32(12 * 0x01010101, 8 * 0x01010101, 4 * 0x01010101, 0, 12 * 0x01010101,
                                             8 * 0x01010101, 4 * 0x01010101, 0, 12 * 0x01010101, 8 * 0x01010101,
                                             4 * 0x01010101, 0, 12 * 0x01010101, 8 * 0x01010101, 4 * 0x01010101, 0);
  return _mm512_add_epi8(_mm512_set1_epi32(0x01010101 * b), lane_base);
}

// Q5_0: adds 16 to the quants of quant column k (lo: elements 4k.., hi: 16 + 4k..) whose fifth bit is set in the
// record's qh column. Elements 4k.. have qh bits 4k.. (byte k / 2, from bit 4(k % 2)); 16 + 4k.. byte 2 + k / 2.
inline void add_fifth_bits(__m512i qh, int k, __m512i& lo, __m512i& hi) {
  const __m512i sixteen = _mm512_set1_epi8(16);
  const __m512i bits = _mm512_set1_epi32(k % 2 == 0 ? 0x08040201 : static_cast<int>(0x80402010u));
  const __mmask64 ml = _mm512_test_epi8_mask(_mm512_shuffle_epi8(qh, dword_byte(k / 2)), bits);
  const __mmask64 mh = _mm512_test_epi8_mask(_mm512_shuffle_epi8(qh, dword_byte(2 + k / 2)), bits);
  lo = _mm512_mask_add_epi8(lo, ml, lo, sixteen);
  hi = _mm512_mask_add_epi8(hi, mh, hi, sixteen);
}

// One group of 16 rows × RN tokens; rows whose bit is clear in `m` are not written. kQ5: a kQ5_0Rows16 group (the
// Q5_0 kernel, s = Σ (q − 16)·y through Act::ybias): for quant column k a byte shuffle copies the qh byte holding
// the fifth bits of elements 4k.. (16 + 4k..) into the row's 4 bytes, a bit test makes them a byte mask, and 16 is
// added where it is set. Q5_0 prefill and the groups left over by the decode streams (micro_packed_groups) read one group
// at a time here, without software prefetch.
template <int RN, bool kQ5 = false>
void micro_packed(const uint8_t* g, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb, int64_t n_in,
                  float* y, int64_t ldy, __mmask16 m) {
  constexpr size_t kRec = kQ5 ? kRecordQ5 : kRecord, kQuants = kQ5 ? 96 : 32;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec = g + ib * kRec;
    if constexpr (!kQ5) {
      NT_UNROLL for (int l = 0; l < 5; ++l) {
        _mm_prefetch(reinterpret_cast<const char*>(rec + kPrefetchRecords * kRecord + 64 * l), _MM_HINT_T0);
      }
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec)));
    __m512i lo[4], hi[4];
    NT_UNROLL for (int k = 0; k < 4; ++k) {
      const __m512i v = _mm512_loadu_si512(rec + kQuants + 64 * k);
      lo[k] = _mm512_and_si512(v, m4);
      hi[k] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
      if constexpr (kQ5) add_fifth_bits(_mm512_loadu_si512(rec + 32), k, lo[k], hi[k]);
    }
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      __m512i s_lo = _mm512_set1_epi32(yb[t * nb + ib]);
      __m512i s_hi = _mm512_setzero_si512();
      NT_UNROLL for (int k = 0; k < 4; ++k) {
        s_lo = _mm512_dpbusd_epi32(s_lo, lo[k], _mm512_set1_epi32(i32_at(b + 4 * k)));
        s_hi = _mm512_dpbusd_epi32(s_hi, hi[k], _mm512_set1_epi32(i32_at(b + 16 + 4 * k)));
      }
      const __m512i s = _mm512_add_epi32(s_lo, s_hi);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(yd[t * nb + ib])), acc[t]);
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) _mm512_mask_storeu_ps(y + t * ldy, m, acc[t]);
}

// One token × G whole groups (group j at g + j·gs, its outputs at y + j·ys), record by record in step: G weight
// streams in flight at once, each prefetched a few records ahead (kDecodePrefetchRecords, Q5_0
// kDecodePrefetchRecordsQ5), and the token's activations broadcast once per block for all G groups. Per group and
// lane the operations of micro_packed<1, kQ5>, so the same bits (Q4_0 masks the high nibbles in place, so their
// block sum is 16× and shifted back exactly).
template <int G, bool kQ5 = false>
void micro_packed_groups(const uint8_t* g, size_t gs, int64_t nb, const int8_t* yq, const float* yd,
                         const int32_t* yb, float* y, int64_t ys) {
  constexpr size_t kRec = kQ5 ? kRecordQ5 : kRecord, kQuants = kQ5 ? 96 : 32;
  constexpr int64_t kAhead = kQ5 ? kDecodePrefetchRecordsQ5 : kDecodePrefetchRecords;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512 acc[G];
  NT_UNROLL for (int j = 0; j < G; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const int8_t* b = yq + ib * 32;
    __m512i ya[8];
    NT_UNROLL for (int k = 0; k < 4; ++k) {
      ya[k] = _mm512_set1_epi32(i32_at(b + 4 * k));
      ya[4 + k] = _mm512_set1_epi32(i32_at(b + 16 + 4 * k));
    }
    const __m512i bias = _mm512_set1_epi32(yb[ib]);
    const __m512 dy = _mm512_set1_ps(yd[ib]);
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const uint8_t* rec = g + j * gs + ib * kRec;
      NT_UNROLL for (int l = 0; l < static_cast<int>((kRec + 63) / 64); ++l) {
        _mm_prefetch(reinterpret_cast<const char*>(rec + kAhead * kRec + 64 * l), _MM_HINT_T0);
      }
      const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec)));
      __m512i s_lo = bias, s_hi = _mm512_setzero_si512();
      NT_UNROLL for (int k = 0; k < 4; ++k) {
        const __m512i v = _mm512_loadu_si512(rec + kQuants + 64 * k);
        if constexpr (kQ5) {
          __m512i lo = _mm512_and_si512(v, m4), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
          add_fifth_bits(_mm512_loadu_si512(rec + 32), k, lo, hi);
          s_lo = _mm512_dpbusd_epi32(s_lo, lo, ya[k]);
          s_hi = _mm512_dpbusd_epi32(s_hi, hi, ya[4 + k]);
        } else {
          s_lo = _mm512_dpbusd_epi32(s_lo, _mm512_and_si512(v, m4), ya[k]);
          s_hi = _mm512_dpbusd_epi32(s_hi, _mm512_andnot_si512(m4, v), ya[4 + k]);
        }
      }
      const __m512i s = _mm512_add_epi32(s_lo, kQ5 ? s_hi : _mm512_srai_epi32(s_hi, 4));
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, dy), acc[j]);
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) _mm512_storeu_ps(y + ys * j, acc[j]);
}

// Prefill: G whole groups × RN tokens per pass over the blocks. Each weight chunk is loaded (and split into its
// nibbles) once for RN tokens and each activation broadcast once for G groups, so a dot product costs about half the
// loads of micro_packed's one group × 8 tokens, which the loads bound (one core, in L2: 2 × 6 runs at 1.3-1.4× the
// rate of 1 × 8). One integer sum per group, token and block, s = −8·Σy + Σ lo·y + Σ hi·y: the integer of
// micro_packed's two partial sums, so the same bits.
// Blocks [ib0, ib1) of nb; y holds the sums of the blocks before ib0 (ib0 > 0) and gets those up to ib1.
template <int G, int RN>
void micro_packed_tile(const uint8_t* g, size_t ws, int64_t nb, int64_t ib0, int64_t ib1, const int8_t* yq,
                       const float* yd, const int32_t* yb, int64_t n_in, float* y, int64_t ldy) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512 acc[G][RN];
  NT_UNROLL for (int j = 0; j < G; ++j) {
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      acc[j][t] = ib0 > 0 ? _mm512_loadu_ps(y + t * ldy + 16 * j) : _mm512_setzero_ps();
    }
  }
  for (int64_t ib = ib0; ib < ib1; ++ib) {
    __m512i s[G][RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const __m512i bias = _mm512_set1_epi32(yb[t * nb + ib]);
      NT_UNROLL for (int j = 0; j < G; ++j) s[j][t] = bias;
    }
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const char* ahead = reinterpret_cast<const char*>(g + j * ws + (ib + kPrefetchRecords) * kRecord);
      NT_UNROLL for (int l = 0; l < 5; ++l) _mm_prefetch(ahead + 64 * l, _MM_HINT_T0);
    }
    NT_UNROLL for (int k = 0; k < 4; ++k) {
      __m512i lo[G], hi[G];
      NT_UNROLL for (int j = 0; j < G; ++j) {
        const __m512i v = _mm512_loadu_si512(g + j * ws + ib * kRecord + 32 + 64 * k);
        lo[j] = _mm512_and_si512(v, m4);
        hi[j] = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
      }
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        const int8_t* b = yq + t * n_in + ib * 32;
        const __m512i ylo = _mm512_set1_epi32(i32_at(b + 4 * k)), yhi = _mm512_set1_epi32(i32_at(b + 16 + 4 * k));
        NT_UNROLL for (int j = 0; j < G; ++j) s[j][t] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(s[j][t], lo[j], ylo), hi[j], yhi);
      }
    }
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g + j * ws + ib * kRecord)));
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        acc[j][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[j][t]), _mm512_mul_ps(dw, _mm512_set1_ps(yd[t * nb + ib])),
                                    acc[j][t]);
      }
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int t = 0; t < RN; ++t) _mm512_storeu_ps(y + t * ldy + 16 * j, acc[j][t]);
}

// --- stored rows: 4 rows per register, 8 rows per tile ---------------------------------------------------------
// Rows j0 .. j0 + 3 of the tile, 16 bytes each from `off`, one per 128-bit lane.
template <class Rows>
inline __m512i load4(const Rows& rows, int j0, size_t off) {
  __m512i v = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows.at(j0) + off)));
  v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows.at(j0 + 1) + off)), 1);
  v = _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows.at(j0 + 2) + off)), 2);
  return _mm512_inserti32x4(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows.at(j0 + 3) + off)), 3);
}

// Rows 0..7 (TileRows8 or RowList8) × RN tokens. After the reduction, 128-bit lane j holds
// [row j, row 4 + j, row j, row 4 + j]; the scales are permuted to match.
template <int RN, class Rows>
void micro_rows(const Rows& rows, int nrows, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb,
                int64_t n_in, float* y, int64_t ldy, const uint8_t* ahead, size_t step) {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i scale_lanes = _mm512_setr_epi32(0, 4, 0, 4, 1, 5, 1, 5, 2, 6, 2, 6, 3, 7, 3, 7);
  __m512 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const size_t off = static_cast<size_t>(ib) * 18;
    prefetch_tile_share<3>(ahead, ib, step);  // 8 rows x 18 bytes = 144 bytes per block step
    const __m512i wa = load4(rows, 0, off + 2), wb = load4(rows, 4, off + 2);
    const __m512i lo_a = _mm512_and_si512(wa, m4), hi_a = _mm512_and_si512(_mm512_srli_epi16(wa, 4), m4);
    const __m512i lo_b = _mm512_and_si512(wb, m4), hi_b = _mm512_and_si512(_mm512_srli_epi16(wb, 4), m4);
    const __m512 dw = _mm512_permutexvar_ps(scale_lanes, _mm512_castps256_ps512(row_scales8(rows, off)));
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      const __m512i ylo = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
      const __m512i yhi = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16)));
      const __m512i zero = _mm512_setzero_si512();
      const __m512i pa = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zero, lo_a, ylo), hi_a, yhi);
      const __m512i pb = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(zero, lo_b, ylo), hi_b, yhi);
      const __m512i u = _mm512_add_epi32(_mm512_unpacklo_epi32(pa, pb), _mm512_unpackhi_epi32(pa, pb));
      const __m512i v = _mm512_add_epi32(u, _mm512_shuffle_epi32(u, static_cast<_MM_PERM_ENUM>(0x4E)));
      const __m512i s = _mm512_add_epi32(v, _mm512_set1_epi32(yb[t * nb + ib]));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(yd[t * nb + ib])), acc[t]);
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) {
    alignas(64) float out[16];
    _mm512_store_ps(out, acc[t]);
    for (int j = 0; j < nrows; ++j) y[t * ldy + j] = out[j < 4 ? 4 * j : 4 * (j - 4) + 1];
  }
}

}  // namespace

void tile_q4_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  if (nt == 1) {  // decode: whole groups as kStreams streams, the rest one by one
    for_group_streams<kStreams>(w, ws, y, nr, [&](const uint8_t* g, size_t gs, float* yg, int64_t ys) {
      micro_packed_groups<kStreams>(g, gs, nb, a.qs + t0 * a.n_in, a.d + t0 * nb, a.ybias + t0 * nb, yg, ys);
    });
  } else {  // prefill: whole groups kTileGroups at a time, the rest one by one
    for_prefill_tiles<kTileGroups, kTileTokens>(
        w, ws, y, nr, nt, nb, kRecord, [&]<int RN>(const uint8_t* g, float* yg, int64_t ib0, int64_t ib1, int64_t t) {
          const int64_t tt = t0 + t;
          micro_packed_tile<kTileGroups, RN>(g, ws, nb, ib0, ib1, a.qs + tt * a.n_in, a.d + tt * nb, a.ybias + tt * nb,
                                             a.n_in, yg + t * ldy, ldy);
        });
  }
  for_tiles<kTokens>(nr, nt, 16, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const int64_t tt = t0 + t;
    micro_packed<RN>(w + static_cast<size_t>(r / 16) * ws, nb, a.qs + tt * a.n_in, a.d + tt * nb, a.ybias + tt * nb,
                     a.n_in, y + t * ldy + r, ldy, static_cast<__mmask16>((1u << nrows) - 1));
  });
}

void tile_q5_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  if (nt == 1) {  // decode: whole groups as kStreams streams, the rest one by one
    for_group_streams<kStreams>(w, ws, y, nr, [&](const uint8_t* g, size_t gs, float* yg, int64_t ys) {
      micro_packed_groups<kStreams, true>(g, gs, nb, a.qs + t0 * a.n_in, a.d + t0 * nb, a.ybias + t0 * nb, yg, ys);
    });
  }
  for_tiles<kTokens>(nr, nt, 16, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const int64_t tt = t0 + t;
    micro_packed<RN, true>(w + static_cast<size_t>(r / 16) * ws, nb, a.qs + tt * a.n_in, a.d + tt * nb,
                           a.ybias + tt * nb, a.n_in, y + t * ldy + r, ldy, static_cast<__mmask16>((1u << nrows) - 1));
  });
}

void tile_q4_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  const int64_t ahead = prefetch_rows_ahead(ws, 8);
  for_tiles<kTokensRows>(nr, nt, 8, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const int64_t tt = t0 + t;
    with_tile_rows8(w, ws, r, nrows, [&](const auto& rows) {
      micro_rows<RN>(rows, nrows, nb, a.qs + tt * a.n_in, a.d + tt * nb, a.ybias + tt * nb, a.n_in, y + t * ldy + r,
                     ldy, w + static_cast<size_t>(r + ahead) * ws, tile_share(ws, 8, nb));
    });
  });
}

}  // namespace nt::kernels::avx512
