// AVX2 Q8_0 kernels against q8_0 activations, with the Q8_0 operation sequence of gemm.h: per output element and
// block, the exact integer sum s = Σ w·y, then acc = fma(float(s), d_w·d_y, acc). The products use ggml's sign
// trick, maddubs(|w|, sign(y, w)) (pairs at most 2·128·127 < 2^15), then madd into int32 lanes.
//
// Packed (kQ8_0Rows16, kernels/packed_weight.h): a 256-bit half-chunk holds 4 weight bytes of each of 8 rows, so
// each row's block total builds up in its own int32 lane over the 8 chunks: no horizontal sums.
// Stored rows: one row's block per register (8 lanes), reduced to the totals of 4 rows per block by three hadds.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include <immintrin.h>

#include "kernels/gemm.h"

namespace nt::kernels::avx2 {
namespace {

#if defined(__clang__)
#define NT_UNROLL _Pragma("clang loop unroll(full)")
#else
#define NT_UNROLL _Pragma("GCC unroll 16")
#endif

constexpr size_t kRecord = 32 + 8 * 64;  // kQ8_0Rows16: 16 fp16 scales + 8 chunks of 64 weight bytes
constexpr int64_t kPrefetchRecords = 4;  // software prefetch distance of the packed stream, in records
constexpr int kPrefetchBlocks = 8;       // ... of each stored row, in 34-byte blocks
constexpr int kTokens = 4;               // tokens per register tile (packed)
constexpr int kTokensRows = 2;           // tokens per register tile (stored rows: 4 rows × 2 tokens of lanes)

inline int32_t i32_at(const int8_t* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

inline uint64_t u16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return h;
}

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

// --- stored rows: 4 rows per tile -------------------------------------------------------------------------------
// p_r: row r's 8 int32 lanes -> [total of row 0, 1, 2, 3].
inline __m128i totals4(__m256i p0, __m256i p1, __m256i p2, __m256i p3) {
  const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(p0, p1), _mm256_hadd_epi32(p2, p3));
  return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

template <int RN>
void micro_rows(const uint8_t* const* rows, int nrows, int64_t nb, const int8_t* yq, const float* yd, int64_t n_in,
                float* y, int64_t ldy) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m128 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const size_t off = static_cast<size_t>(ib) * 34;
    uint64_t hs = 0;
    NT_UNROLL for (int j = 0; j < 4; ++j) hs |= u16_at(rows[j] + off) << (16 * j);
    const __m128 dw = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(hs)));
    __m256i p[4][RN];
    NT_UNROLL for (int j = 0; j < 4; ++j) {
      _mm_prefetch(reinterpret_cast<const char*>(rows[j] + off + kPrefetchBlocks * 34), _MM_HINT_T0);
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
  for (int64_t r = 0; r < nr; r += 8) {
    const uint8_t* g = w + static_cast<size_t>(r / 16) * ws;
    const int h = static_cast<int>((r / 8) % 2);
    const int nrows = static_cast<int>(nr - r < 8 ? nr - r : 8);
    for (int64_t t = 0; t < nt; t += kTokens) {
      const int64_t mt = nt - t < kTokens ? nt - t : kTokens;
      const int8_t* yq = a.qs + (t0 + t) * a.n_in;
      const float* yd = a.d + (t0 + t) * nb;
      float* yt = y + t * ldy + r;
      switch (mt) {
        case 1: micro_packed<1>(g, h, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
        case 2: micro_packed<2>(g, h, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
        case 3: micro_packed<3>(g, h, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
        default: micro_packed<4>(g, h, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
      }
    }
  }
}

void tile_q8_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  for (int64_t r = 0; r < nr; r += 4) {
    const int nrows = static_cast<int>(nr - r < 4 ? nr - r : 4);
    const uint8_t* rows[4];
    for (int j = 0; j < 4; ++j) rows[j] = w + static_cast<size_t>(r + (j < nrows ? j : nrows - 1)) * ws;
    for (int64_t t = 0; t < nt; t += kTokensRows) {
      const int64_t mt = nt - t < kTokensRows ? nt - t : kTokensRows;
      const int8_t* yq = a.qs + (t0 + t) * a.n_in;
      const float* yd = a.d + (t0 + t) * nb;
      float* yt = y + t * ldy + r;
      switch (mt) {
        case 1: micro_rows<1>(rows, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
        default: micro_rows<2>(rows, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
      }
    }
  }
}

}  // namespace nt::kernels::avx2
