// AVX2 kernel for Q6_K in the packed kQ6_KRows16 layout (kernels/packed_weight.h) against q8_K activations, with the
// Q6_K operation sequence of the SIMD routes (gemm.h): per output element and super-block the exact integer
//   S = Σ_j sc_j · Σ_{i in sub-block j} q_i·y_i − 32 · Σ_j sc_j · bsum_j        (j: 16 sub-blocks of 16, q in 0..63)
// then acc = fma(float(S), d·dy, acc), y = acc: bitwise the stored-row tile_q6_K (gemm_kquant_avx2.cc) and the
// AVX-512 tile_q6_K_packed.
//
// A 256-bit half of a quant column holds 4 bytes of each of 8 rows (one half of the 16-row group), one lane per row.
// A triple of columns holds elements 4k..4k+3 of four chunks: chunk c < 3 in the low 6 bits of column c, chunk 3 in
// the three columns' top two bits. The maddubs pairs of two columns add up in int16 (at most 2·2·63·128 < 2^15), and
// a madd against the sub-block's scales (each row's in both int16 halves of its lane) adds sc_j times them to S.
// The bsum term takes 8 madds per super-block: the rows' scales in int16 pairs (sub-blocks 2p, 2p + 1) against the
// token's bsums of those sub-blocks, which a q8_K block stores side by side.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/avx2_util.h"
#include "kernels/gemm.h"
#include "kernels/kquant_records.h"
#include "kernels/simd.h"

namespace nt::kernels::avx2 {
namespace {

using namespace kquant_records;  // the record offsets (kernels/kquant_records.h)
constexpr size_t kRecord = kQ6Record;
constexpr int kTokens = 2;         // prefill: tokens per register tile of one half-group
// Decode: one group at a time, both halves of each record in turn, each line prefetched kDecodePrefetchBytes ahead
// as the first half reads its column. Two groups in step from the call's halves (the AVX-512 kernel's streams) ran
// out of ymm registers: linear_bench, 8B mlp_up, 2 threads, alternating builds: gemv_stream 28.6-29.8 GB/s with one
// group against 21.1-21.7 with two.
constexpr size_t kDecodePrefetchBytes = 2048;

// Sub-block sb's scales for the 8 rows of half h, each in both int16 halves of its row's lane.
inline __m256i scale_pairs(const uint8_t* rec, int sb, int h) {
  const __m128i s = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rec + kQ6Scales + 16 * sb + 8 * h));
  return _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(s, s));
}

// Σ_j sc_j · bsum_j for the 8 rows of half h (int32 lanes): sub-blocks 2p, 2p + 1 as int16 pairs against the bsums.
inline __m256i scaled_bsums(const uint8_t* rec, int h, const uint8_t* yb) {
  __m256i m = _mm256_setzero_si256();
  NT_UNROLL for (int p = 0; p < 8; ++p) {
    const __m128i a = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rec + kQ6Scales + 32 * p + 8 * h));
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rec + kQ6Scales + 32 * p + 16 + 8 * h));
    const __m256i sc = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(a, b));  // row r: (sc_2p, sc_2p+1)
    int32_t bs;
    __builtin_memcpy(&bs, yb + 260 + 4 * p, 4);  // (bsum_2p, bsum_2p+1)
    m = _mm256_add_epi32(m, _mm256_madd_epi16(sc, _mm256_set1_epi32(bs)));
  }
  return m;
}

// S (before the bsum term) of half h of one record for RN tokens (yb: the tokens' q8_K blocks, ystride apart).
template <int RN, bool kPrefetch>
inline void half_sums(const uint8_t* rec, int h, const uint8_t* yb, size_t ystride, __m256i* s) {
  const __m256i m6 = _mm256_set1_epi8(0x3F);
  NT_UNROLL for (int c4 = 0; c4 < 2; ++c4) {      // chunks 4·c4 .. 4·c4 + 3
    NT_UNROLL for (int part = 0; part < 2; ++part) {  // sub-blocks 2c + part: columns k = 4·part .. 4·part + 3
      NT_UNROLL2 for (int pair = 0; pair < 2; ++pair) {
        __m256i d16[4][RN];
        NT_UNROLL for (int kk = 0; kk < 2; ++kk) {
          const int k = 4 * part + 2 * pair + kk;
          const uint8_t* col = rec + kQ6Quants + kQ6Triple * (8 * c4 + k);
          if constexpr (kPrefetch) {
            NT_UNROLL for (int l = 0; l < 3; ++l) {
              _mm_prefetch(reinterpret_cast<const char*>(col) + kDecodePrefetchBytes + 64 * l, _MM_HINT_T0);
            }
          }
          const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + 32 * h));
          const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + 64 + 32 * h));
          const __m256i v2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + 128 + 32 * h));
          __m256i q6[4];
          q6[0] = _mm256_and_si256(v0, m6);
          q6[1] = _mm256_and_si256(v1, m6);
          q6[2] = _mm256_and_si256(v2, m6);
          // Chunk 3's bits 0-1, 2-3, 4-5 are bits 6-7 of v0, v1, v2: those bits alone, shifted into place (16-bit
          // shifts of bits 6-7 and 14-15 stay within their bytes).
          q6[3] = _mm256_or_si256(_mm256_or_si256(_mm256_srli_epi16(_mm256_andnot_si256(m6, v0), 6),
                                                  _mm256_srli_epi16(_mm256_andnot_si256(m6, v1), 4)),
                                  _mm256_srli_epi16(_mm256_andnot_si256(m6, v2), 2));
          NT_UNROLL for (int t = 0; t < RN; ++t) {
            const int8_t* yq = reinterpret_cast<const int8_t*>(yb + t * ystride + 4) + 128 * c4 + 4 * k;
            NT_UNROLL for (int q = 0; q < 4; ++q) {
              const __m256i p = _mm256_maddubs_epi16(q6[q], _mm256_set1_epi32(i32_at(yq + 32 * q)));
              d16[q][t] = kk == 0 ? p : _mm256_add_epi16(d16[q][t], p);
            }
          }
        }
        NT_UNROLL for (int q = 0; q < 4; ++q) {
          const __m256i sc = scale_pairs(rec, 2 * (4 * c4 + q) + part, h);
          NT_UNROLL for (int t = 0; t < RN; ++t) s[t] = _mm256_add_epi32(s[t], _mm256_madd_epi16(d16[q][t], sc));
        }
      }
    }
  }
}

// acc = fma(float(S), d·dy, acc) for half h of one record, from its sums s (before the bsum term).
template <int RN>
inline void finish_record(const uint8_t* rec, int h, const uint8_t* yb, size_t ystride, const __m256i* s, __m256* acc) {
  const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec + 16 * h)));
  NT_UNROLL for (int t = 0; t < RN; ++t) {
    const uint8_t* bt = yb + t * ystride;
    const __m256i st = _mm256_sub_epi32(s[t], _mm256_slli_epi32(scaled_bsums(rec, h, bt), 5));
    acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(st), _mm256_mul_ps(d, _mm256_set1_ps(f32_at(bt))), acc[t]);
  }
}

// Decode: one group × one token, both halves of each record in turn; writes the group's first nrows outputs.
void micro_decode(const uint8_t* g, int64_t nb, const uint8_t* yk, float* y, int nrows) {
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* yb = yk + ib * kQ8KBytes;
    const uint8_t* rec = g + ib * kRecord;
    NT_UNROLL for (int l = 0; l < 5; ++l) {  // the record's scales, one prefetch distance ahead
      _mm_prefetch(reinterpret_cast<const char*>(rec) + kDecodePrefetchBytes + 64 * l, _MM_HINT_T0);
    }
    NT_UNROLL for (int h = 0; h < 2; ++h) {
      __m256i s = _mm256_setzero_si256();
      if (h == 0) half_sums<1, true>(rec, h, yb, 0, &s);  // the first half prefetches the lines both read
      else half_sums<1, false>(rec, h, yb, 0, &s);
      finish_record<1>(rec, h, yb, 0, &s, &acc[h]);
    }
  }
  NT_UNROLL for (int h = 0; h < 2; ++h) {
    if (nrows > 8 * h) store_lanes(y + 8 * h, acc[h], nrows - 8 * h);
  }
}

// Prefill: half h of one group × RN tokens; writes the half's first n rows.
template <int RN>
void micro_tokens(const uint8_t* g, int h, int64_t nb, const uint8_t* yk, size_t ystride, float* y, int64_t ldy,
                  int n) {
  __m256 acc[RN];
  NT_UNROLL for (int t = 0; t < RN; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec = g + ib * kRecord;
    const uint8_t* yb = yk + ib * kQ8KBytes;
    __m256i s[RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) s[t] = _mm256_setzero_si256();
    half_sums<RN, false>(rec, h, yb, ystride, s);
    finish_record<RN>(rec, h, yb, ystride, s, acc);
  }
  NT_UNROLL for (int t = 0; t < RN; ++t) store_lanes(y + t * ldy, acc[t], n);
}

}  // namespace

void tile_q6_K_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  const int64_t nb = a.n_in / 256;
  const size_t ystride = static_cast<size_t>(nb) * kQ8KBytes;
  const uint8_t* yk = static_cast<const uint8_t*>(a.q8k) + static_cast<size_t>(t0) * ystride;
  if (nt == 1) {  // decode: one group at a time
    for (int64_t r = 0; r < nr; r += 16) {
      micro_decode(w + static_cast<size_t>(r / 16) * ws, nb, yk, y + r, static_cast<int>(nr - r < 16 ? nr - r : 16));
    }
    return;
  }
  for_tiles<kTokens>(nr, nt, 16, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const uint8_t* g = w + static_cast<size_t>(r / 16) * ws;
    for (int h = 0; h < 2 && 8 * h < nrows; ++h) {
      micro_tokens<RN>(g, h, nb, yk + t * ystride, ystride, y + t * ldy + r + 8 * h, ldy, nrows - 8 * h);
    }
  });
}

}  // namespace nt::kernels::avx2
