// AVX-512 VNNI Q8_0 kernels against q8_0 activations, with the Q8_0 operation sequence of gemm.h: per output
// element and block, the exact integer sum s = Σ w·y, then acc = fma(float(s), d_w·d_y, acc).
//
// VNNI multiplies unsigned by signed bytes, so the weights are biased, u = w + 128 (w xor 0x80), and the bias is
// taken out exactly through the activations' block sums: s = Σ u·y − 128·Σ y.
// Packed (kQ8_0Rows16, kernels/packed_weight.h): a 512-bit chunk holds 4 weight bytes of each of 16 rows, one
// dot-product lane per row, the 16 rows' scales in one fp16 load, the activations broadcast from memory. Decode
// (one token) reads four 16-row groups in step, each from its own quarter of the call's groups (for_group_streams),
// with a software prefetch kDecodePrefetchRecords ahead in each, as the Q4_0 kernel does. 8B decode, nemotron bench
// -p 16 -n 32 -t 2, alternating runs: 70-72% of the probe with adjacent groups and no prefetch, 63-68% with the
// quarters alone, 82-87% with the quarters and 2-3 records ahead.
// Stored rows: two rows per register (row 2p in the low 256 bits), 8 lanes per row, reduced to the 8 rows'
// totals per block by unpack-add steps.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx512 {
namespace {

constexpr size_t kRecord = 32 + 8 * 64;  // kQ8_0Rows16: 16 fp16 scales + 8 chunks of 64 weight bytes
constexpr int64_t kPrefetchRecords = 4;  // software prefetch distance of the packed stream, in records
constexpr int kStreams = 4;              // decode: packed groups read in step (weight streams per thread)
constexpr int64_t kDecodePrefetchRecords = 3;  // decode: software prefetch distance of each stream, in records
constexpr int kTokens = 8;               // tokens per register tile (packed, one group)
constexpr int kTileGroups = 2;           // prefill: packed groups per register tile
constexpr int kTileTokens = 6;           // prefill: tokens per register tile of kTileGroups groups
constexpr int kTokensRows = 4;           // tokens per register tile (stored rows)

// --- packed: 16 rows per register ------------------------------------------------------------------------------
template <int RN>
void micro_packed(const uint8_t* g, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb, int64_t n_in,
                  float* y, int64_t ldy, __mmask16 m) {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec = g + ib * kRecord;
    NT_UNROLL for (int l = 0; l < 9; ++l) {
      _mm_prefetch(reinterpret_cast<const char*>(rec + kPrefetchRecords * kRecord + 64 * l), _MM_HINT_T0);
    }
    const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec)));
    __m512i u[8];
    NT_UNROLL for (int k = 0; k < 8; ++k) u[k] = _mm512_xor_si512(_mm512_loadu_si512(rec + 32 + 64 * k), bias);
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      __m512i s0 = _mm512_set1_epi32(yb[t * nb + ib]);
      __m512i s1 = _mm512_setzero_si512();
      NT_UNROLL for (int k = 0; k < 4; ++k) {
        s0 = _mm512_dpbusd_epi32(s0, u[k], _mm512_set1_epi32(i32_at(b + 4 * k)));
        s1 = _mm512_dpbusd_epi32(s1, u[4 + k], _mm512_set1_epi32(i32_at(b + 16 + 4 * k)));
      }
      const __m512i s = _mm512_add_epi32(s0, s1);
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(yd[t * nb + ib])), acc[t]);
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) _mm512_mask_storeu_ps(y + t * ldy, m, acc[t]);
}

// One token × G whole groups (group j at g + j·gs, its outputs at y + j·ys), record by record in step: G weight
// streams in flight at once, each prefetched kDecodePrefetchRecords ahead, and the token's activations broadcast
// once per block for all G groups. Per group and lane the operations of micro_packed<1>.
template <int G>
void micro_packed_groups(const uint8_t* g, size_t gs, int64_t nb, const int8_t* yq, const float* yd,
                         const int32_t* yb, float* y, int64_t ys) {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  __m512 acc[G];
  NT_UNROLL for (int j = 0; j < G; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const int8_t* b = yq + ib * 32;
    __m512i ya[8];
    NT_UNROLL for (int k = 0; k < 8; ++k) ya[k] = _mm512_set1_epi32(i32_at(b + 4 * k));
    const __m512i yb_ib = _mm512_set1_epi32(yb[ib]);
    const __m512 dy = _mm512_set1_ps(yd[ib]);
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const uint8_t* rec = g + j * gs + ib * kRecord;
      NT_UNROLL for (int l = 0; l < 9; ++l) {
        _mm_prefetch(reinterpret_cast<const char*>(rec + kDecodePrefetchRecords * kRecord + 64 * l), _MM_HINT_T0);
      }
      const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec)));
      __m512i s0 = yb_ib, s1 = _mm512_setzero_si512();
      NT_UNROLL for (int k = 0; k < 4; ++k) {
        s0 = _mm512_dpbusd_epi32(s0, _mm512_xor_si512(_mm512_loadu_si512(rec + 32 + 64 * k), bias), ya[k]);
        s1 = _mm512_dpbusd_epi32(s1, _mm512_xor_si512(_mm512_loadu_si512(rec + 32 + 64 * (4 + k)), bias), ya[4 + k]);
      }
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), _mm512_mul_ps(dw, dy), acc[j]);
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) _mm512_storeu_ps(y + ys * j, acc[j]);
}

// Prefill: G whole groups × RN tokens per pass over the blocks. Each weight chunk is loaded (and unbiased) once for
// RN tokens and each activation broadcast once for G groups, so a dot product costs about half the loads of
// micro_packed's one group × 8 tokens. One integer sum per group, token and block, s = −128·Σy + Σ u·y: the integer
// of micro_packed's two partial sums, so the same bits.
// Blocks [ib0, ib1) of nb; y holds the sums of the blocks before ib0 (ib0 > 0) and gets those up to ib1.
template <int G, int RN>
void micro_packed_tile(const uint8_t* g, size_t ws, int64_t nb, int64_t ib0, int64_t ib1, const int8_t* yq,
                       const float* yd, const int32_t* yb, int64_t n_in, float* y, int64_t ldy) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
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
      NT_UNROLL for (int l = 0; l < 9; ++l) _mm_prefetch(ahead + 64 * l, _MM_HINT_T0);
    }
    NT_UNROLL for (int k = 0; k < 8; ++k) {
      __m512i u[G];
      NT_UNROLL for (int j = 0; j < G; ++j) u[j] = _mm512_xor_si512(_mm512_loadu_si512(g + j * ws + ib * kRecord + 32 + 64 * k), flip);
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        const __m512i yk = _mm512_set1_epi32(i32_at(yq + t * n_in + ib * 32 + 4 * k));
        NT_UNROLL for (int j = 0; j < G; ++j) s[j][t] = _mm512_dpbusd_epi32(s[j][t], u[j], yk);
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

// --- stored rows: 2 rows per register, 8 rows per tile ---------------------------------------------------------
// s_p = [row 2p: 8 lanes | row 2p + 1: 8 lanes] -> 128-bit lane 0 (and 1) holds the totals of rows 0, 2, 4, 6,
// lane 2 (and 3) those of rows 1, 3, 5, 7.
inline __m512i totals8(__m512i s0, __m512i s1, __m512i s2, __m512i s3) {
  const __m512i u01 = _mm512_add_epi32(_mm512_unpacklo_epi32(s0, s1), _mm512_unpackhi_epi32(s0, s1));
  const __m512i u23 = _mm512_add_epi32(_mm512_unpacklo_epi32(s2, s3), _mm512_unpackhi_epi32(s2, s3));
  const __m512i v = _mm512_add_epi32(_mm512_unpacklo_epi64(u01, u23), _mm512_unpackhi_epi64(u01, u23));
  return _mm512_add_epi32(v, _mm512_shuffle_i32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
}

template <int RN, class Rows>
void micro_rows(const Rows& rows, int nrows, int64_t nb, const int8_t* yq, const float* yd, const int32_t* yb,
                int64_t n_in, float* y, int64_t ldy, const uint8_t* ahead, size_t step) {
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i scale_lanes = _mm512_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6, 1, 3, 5, 7, 1, 3, 5, 7);
  __m512 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const size_t off = static_cast<size_t>(ib) * 34;
    prefetch_tile_share<5>(ahead, ib, step);  // 8 rows x 34 bytes = 272 bytes per block step
    __m512i u[4];
    NT_UNROLL for (int p = 0; p < 4; ++p) {
      const uint8_t* a = rows.at(2 * p) + off;
      const uint8_t* b = rows.at(2 * p + 1) + off;
      const __m512i w = _mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 2))),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 2)), 1);
      u[p] = _mm512_xor_si512(w, bias);
    }
    const __m512 dw = _mm512_permutexvar_ps(scale_lanes, _mm512_castps256_ps512(row_scales8(rows, off)));
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const __m512i yv =
          _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(yq + t * n_in + ib * 32)));
      const __m512i zero = _mm512_setzero_si512();
      const __m512i tot = totals8(_mm512_dpbusd_epi32(zero, u[0], yv), _mm512_dpbusd_epi32(zero, u[1], yv),
                                  _mm512_dpbusd_epi32(zero, u[2], yv), _mm512_dpbusd_epi32(zero, u[3], yv));
      const __m512i s = _mm512_add_epi32(tot, _mm512_set1_epi32(yb[t * nb + ib]));
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(yd[t * nb + ib])), acc[t]);
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) {
    alignas(64) float out[16];
    _mm512_store_ps(out, acc[t]);
    for (int j = 0; j < nrows; ++j) y[t * ldy + j] = out[j % 2 == 0 ? j / 2 : 8 + j / 2];
  }
}

}  // namespace

void tile_q8_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
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

void tile_q8_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
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
