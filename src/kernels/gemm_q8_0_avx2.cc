// AVX2 Q8_0 kernels against q8_0 activations, with the Q8_0 operation sequence of gemm.h: per output element and
// block, the exact integer sum s = Σ w·y, then acc = fma(float(s), d_w·d_y, acc). The products use ggml's sign
// trick, maddubs(|w|, sign(y, w)) (pairs at most 2·128·127 < 2^15), then madd into int32 lanes.
//
// Packed (kQ8_0Rows16, kernels/packed_weight.h): a 256-bit half-chunk holds 4 weight bytes of each of 8 rows, so
// each row's block total builds up in its own int32 lane over the 8 chunks: no horizontal sums.
// Stored rows: one row's block per register (8 lanes), reduced to the totals of 4 rows per block by three hadds.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx2 {
namespace {

constexpr size_t kRecord = 32 + 8 * 64;  // kQ8_0Rows16: 16 fp16 scales + 8 chunks of 64 weight bytes
constexpr int64_t kPrefetchRecords = 4;  // software prefetch distance of the packed stream, in records
constexpr int kTokens = 4;               // tokens per register tile (packed)
constexpr int kTokensRows = 2;           // tokens per register tile (stored rows: 4 rows × 2 tokens of lanes)
// Decode: kStreams whole groups in step, from the quarters of the call's groups (for_group_streams), each stream
// prefetched kDecodePrefetchRecords ahead. linear_bench, 2 threads, NEMOTRON_ISA=avx2, alternating runs: 8B mlp_up
// gemv_stream 37.9-40.9 GB/s reading half-groups one after another (each record twice, the second time from cache),
// 43-47 whole groups one at a time, 53-56 two in step, 58-62 four; 30B-A3B experts 8 per call (gemv_many)
// 38.2-40.6 -> 56.0-64.1.
constexpr int kStreams = 4;
constexpr int64_t kDecodePrefetchRecords = 3;

// --- packed: 8 rows per register (one half of a 16-row group) --------------------------------------------------
template <int RN>
void micro_packed(const uint8_t* g, int h, int nrows, int64_t nb, const int8_t* yq, const float* yd, int64_t n_in,
                  float* y, int64_t ldy) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec = g + ib * kRecord;
    NT_UNROLL for (int l = 0; l < 9; ++l) {
      _mm_prefetch(reinterpret_cast<const char*>(rec + kPrefetchRecords * kRecord + 64 * l), _MM_HINT_T0);
    }
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * h)));
    __m256i s[RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) s[t] = _mm256_setzero_si256();
    NT_UNROLL for (int k = 0; k < 8; ++k) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 32 + 64 * k + 32 * h));
      const __m256i aw = _mm256_sign_epi8(w, w);
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        const __m256i yv = _mm256_set1_epi32(i32_at(yq + t * n_in + ib * 32 + 4 * k));
        s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(yv, w)), ones));
      }
    }
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[t]), _mm256_mul_ps(dw, _mm256_set1_ps(yd[t * nb + ib])), acc[t]);
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
// operations of micro_packed<1>, so the same bits.
template <int G>
void micro_packed_groups(const uint8_t* g, size_t gs, int64_t nb, const int8_t* yq, const float* yd, float* y,
                         int64_t ys) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[G][2];
  NT_UNROLL for (int j = 0; j < G; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const int8_t* b = yq + ib * 32;
    const __m256 dy = _mm256_set1_ps(yd[ib]);
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const uint8_t* rec = g + j * gs + ib * kRecord;
      NT_UNROLL for (int l = 0; l < 9; ++l) {
        _mm_prefetch(reinterpret_cast<const char*>(rec + kDecodePrefetchRecords * kRecord + 64 * l), _MM_HINT_T0);
      }
      NT_UNROLL for (int h = 0; h < 2; ++h) {
        __m256i s = _mm256_setzero_si256();
        NT_UNROLL for (int k = 0; k < 8; ++k) {
          const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec + 32 + 64 * k + 32 * h));
          const __m256i yv = _mm256_set1_epi32(i32_at(b + 4 * k));
          s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(yv, w)), ones));
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * h)));
        acc[j][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, dy), acc[j][h]);
      }
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) {
    _mm256_storeu_ps(y + ys * j, acc[j][0]);
    _mm256_storeu_ps(y + ys * j + 8, acc[j][1]);
  }
}

// --- stored rows: 4 rows per tile -------------------------------------------------------------------------------
// p_r: row r's 8 int32 lanes -> [total of row 0, 1, 2, 3].
inline __m128i totals4(__m256i p0, __m256i p1, __m256i p2, __m256i p3) {
  const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

template <int RN>
void micro_rows(const uint8_t* const* rows, int nrows, int64_t nb, const int8_t* yq, const float* yd, int64_t n_in,
                float* y, int64_t ldy, const uint8_t* ahead, size_t step) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m128 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const size_t off = static_cast<size_t>(ib) * 34;
    prefetch_tile_share<3>(ahead, ib, step);  // 4 rows x 34 bytes = 136 bytes per block step
    uint64_t hs = 0;
    NT_UNROLL for (int j = 0; j < 4; ++j) hs |= u16_at(rows[j] + off) << (16 * j);
    const __m128 dw = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(hs)));
    __m256i p[4][RN];
    NT_UNROLL for (int j = 0; j < 4; ++j) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[j] + off + 2));
      const __m256i aw = _mm256_sign_epi8(w, w);
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        const __m256i yv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yq + t * n_in + ib * 32));
        p[j][t] = _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(yv, w)), ones);
      }
    }
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      const __m128i s = totals4(p[0][t], p[1][t], p[2][t], p[3][t]);
      acc[t] = _mm_fmadd_ps(_mm_cvtepi32_ps(s), _mm_mul_ps(dw, _mm_set1_ps(yd[t * nb + ib])), acc[t]);
    }
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) {
    alignas(16) float out[4];
    _mm_store_ps(out, acc[t]);
    for (int j = 0; j < nrows; ++j) y[t * ldy + j] = out[j];
  }
}

}  // namespace

void tile_q8_0_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  if (nt == 1) {  // decode: whole groups as kStreams streams, the rest (a partial group) by halves
    for_group_streams<kStreams>(w, ws, y, nr, [&](const uint8_t* g, size_t gs, float* yg, int64_t ys) {
      micro_packed_groups<kStreams>(g, gs, nb, a.qs + t0 * a.n_in, a.d + t0 * nb, yg, ys);
    });
    for_group_runs<1>(w, ws, y, nr, [&](const uint8_t* g, float* yg) {  // whole groups left over
      micro_packed_groups<1>(g, ws, nb, a.qs + t0 * a.n_in, a.d + t0 * nb, yg, 16);
    });
  }
  for_tiles<kTokens>(nr, nt, 8, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const int64_t tt = t0 + t;
    micro_packed<RN>(w + static_cast<size_t>(r / 16) * ws, static_cast<int>((r / 8) % 2), nrows, nb, a.qs + tt * a.n_in,
                     a.d + tt * nb, a.n_in, y + t * ldy + r, ldy);
  });
}

void tile_q8_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  const int64_t ahead = prefetch_rows_ahead(ws, 4);
  for_tiles<kTokensRows>(nr, nt, 4, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const uint8_t* rows[4];
    row_pointers(w, ws, r, nrows, 4, rows);
    const int64_t tt = t0 + t;
    micro_rows<RN>(rows, nrows, nb, a.qs + tt * a.n_in, a.d + tt * nb, a.n_in, y + t * ldy + r, ldy,
                   w + static_cast<size_t>(r + ahead) * ws, tile_share(ws, 4, nb));
  });
}

}  // namespace nt::kernels::avx2
