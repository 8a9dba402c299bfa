// AVX2 kernels for Q4_K and Q5_K in the packed kQ4_KRows16 / kQ5_KRows16 layouts (kernels/packed_weight.h) against
// q8_K activations, with the
// Q4_K operation sequence of the SIMD routes (gemm.h): per output element and super-block the exact integers
//   S = Σ_c sc_c · Σ_{i in chunk c} q_i·y_i        M = Σ_c mn_c · Σ_{i in chunk c} y_i      (c: 8 chunks of 32)
// then acc = fma(float(S), d·dy, acc), accm = fma(float(M), dmin·dy, accm), and y = acc − accm: bitwise the stored-row
// tile_q4_K (gemm_kquant_avx2.cc) and the AVX-512 tile_q4_K_packed.
//
// A 256-bit half of a 64-byte quant column holds 4 quant bytes of each of 8 rows (one half of the 16-row group), so
// a row's products land in its own 32-bit lane and no horizontal sum is needed. Per chunk, the 8 columns' maddubs
// pairs add up in int16 (at most 8·2·15·128 < 2^15), and one madd against the rows' scales, each repeated in both
// int16 halves of its lane, gives sc_c · (chunk sum) in int32. M takes 4 madds per super-block: the rows' mins in
// int16 pairs against the token's pairs of 32-element sums (Act::q8k_bsum2).
// The stored-row kernel decodes each 144-byte row block (nibbles, 6-bit scales and mins) and sums its lanes per row
// and super-block; here the unpacking is done once at load, and a super-block of 8 rows costs about 9 operations per
// 32 bytes of quants.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/avx2_util.h"
#include "kernels/gemm.h"
#include "kernels/kquant_records.h"
#include "kernels/simd.h"

namespace nt::kernels::avx2 {
namespace {

using namespace kquant_records;  // the record offsets (kernels/kquant_records.h)
// Prefill: one half-group (8 rows) × up to kTokens tokens per register tile (8 int16 sums in registers). 8B mlp_up,
// 128 tokens, 2 threads: 368-371 GFLOP/s against 335-344 for the stored-row kernel.
constexpr int kTokens = 4;
// Decode: two whole groups in step, from the two halves of the call's groups (for_group_streams), each 64-byte line
// prefetched kDecodePrefetchBytes ahead as its column is read (the AVX-512 kernel's streams). linear_bench, 8B mlp_up,
// NEMOTRON_ISA=avx2, alternating runs at a 67-70 GB/s probe: gemv_stream 55-59 GB/s on 2 threads and 25-31 on one,
// against 46-48 / 24 for one group at a time and 45-46 / 23 for the stored-row kernel.
constexpr int kStreams = 2;
constexpr size_t kDecodePrefetchBytes = 2048;
// The loop over a chunk's 8 columns is unrolled by 2 only (NT_UNROLL2): fully unrolled, the kernel ran at 42-51 GB/s
// from cache against 75-90.

// The scales of chunk c for the 8 rows of half h, each in both int16 halves of its row's lane.
inline __m256i scale_pairs(const uint8_t* rec, int c, int h) {
  const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rec + kQ4Scales + 16 * c + 8 * h));
  const __m256i s = _mm256_cvtepu8_epi32(b);
  return _mm256_or_si256(s, _mm256_slli_epi32(s, 16));
}

// G groups (group j at g + j·gs) × H halves (halves h0 .. h0 + H − 1) × RN tokens over all nb super-blocks. Outputs:
// y[t·ldy + ys·j + 8·(h − h0) + r] for row r of half h, the first nrows rows of each group's 16 (counted from half
// 0). Each quant column half is loaded and split once for the RN tokens; per row and lane the same operations
// whatever G, H and RN.
// kFive: Q5_K (kQ5_KRows16), quants 0..31 with the fifth bits from the record's qh columns; their maddubs pairs add
// up in int16 over 4 columns (4·2·31·128 < 2^15), so a chunk's sum is scaled in two parts.
template <int G, int H, int RN, bool kFive = false>
void micro(const uint8_t* g, size_t gs, int h0, int64_t nb, const uint8_t* yk, size_t ystride, const int32_t* b2,
           int64_t b2stride, float* y, int64_t ldy, int64_t ys, int nrows) {
  constexpr size_t kRecord = kFive ? kQ5Record : kQ4Record;
  constexpr int kSpan = kFive ? 4 : 8;  // columns per int16 sum
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc[G][H][RN], accm[G][H][RN];
  NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int h = 0; h < H; ++h) NT_UNROLL for (int t = 0; t < RN; ++t) {
    acc[j][h][t] = accm[j][h][t] = _mm256_setzero_ps();
  }
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec[G];
    NT_UNROLL for (int j = 0; j < G; ++j) {
      rec[j] = g + j * gs + ib * kRecord;
      if constexpr (RN == 1) {  // the record's header (kQ4Quants bytes), one prefetch distance ahead
        NT_UNROLL for (int l = 0; l < 5; ++l) {
          _mm_prefetch(reinterpret_cast<const char*>(rec[j]) + kDecodePrefetchBytes + 64 * l, _MM_HINT_T0);
        }
      }
    }
    __m256i s[G][H][RN];
    NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int h = 0; h < H; ++h) NT_UNROLL for (int t = 0; t < RN; ++t) {
      s[j][h][t] = _mm256_setzero_si256();
    }
    NT_UNROLL for (int i = 0; i < 4; ++i) {  // chunk pair i: chunks 2i (low nibbles) and 2i + 1 (high)
      NT_UNROLL for (int k0 = 0; k0 < 8; k0 += kSpan) {
        __m256i dlo[G][H][RN], dhi[G][H][RN];  // int16 pair sums of the chunk's columns k0 .. k0 + kSpan − 1
        NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int h = 0; h < H; ++h) {
          NT_UNROLL for (int t = 0; t < RN; ++t) dlo[j][h][t] = dhi[j][h][t] = _mm256_setzero_si256();
        }
        NT_UNROLL2 for (int k = k0; k < k0 + kSpan; ++k) {
          __m256i lo[G][H], hi[G][H];
          NT_UNROLL for (int j = 0; j < G; ++j) {
            const uint8_t* col = rec[j] + quant_column<kFive>(i, k);
            if constexpr (RN == 1) {  // this column (and the qh column after it) one prefetch distance ahead
              const char* ahead = reinterpret_cast<const char*>(col) + kDecodePrefetchBytes;
              _mm_prefetch(ahead, _MM_HINT_T0);
              if (kFive && i == 0) _mm_prefetch(ahead + 64, _MM_HINT_T0);
            }
            NT_UNROLL for (int h = 0; h < H; ++h) {
              const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(col + 32 * (h0 + h)));
              lo[j][h] = _mm256_and_si256(v, m4);
              hi[j][h] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
              if constexpr (kFive) {  // bits 2i, 2i + 1 of each qh byte: the fifth bits of chunks 2i and 2i + 1
                const __m256i five = _mm256_set1_epi8(0x10);
                const uint8_t* qh = rec[j] + qh_column(k) + 32 * (h0 + h);
                const __m256i hb = _mm256_srli_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh)), 2 * i);
                lo[j][h] = _mm256_or_si256(lo[j][h], _mm256_and_si256(_mm256_slli_epi16(hb, 4), five));
                hi[j][h] = _mm256_or_si256(hi[j][h], _mm256_and_si256(_mm256_slli_epi16(hb, 3), five));
              }
            }
          }
          NT_UNROLL for (int t = 0; t < RN; ++t) {
            const int8_t* yq = reinterpret_cast<const int8_t*>(yk + t * ystride + ib * kQ8KBytes + 4) + 64 * i + 4 * k;
            const __m256i ylo = _mm256_set1_epi32(i32_at(yq)), yhi = _mm256_set1_epi32(i32_at(yq + 32));
            NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int h = 0; h < H; ++h) {
              dlo[j][h][t] = _mm256_add_epi16(dlo[j][h][t], _mm256_maddubs_epi16(lo[j][h], ylo));
              dhi[j][h][t] = _mm256_add_epi16(dhi[j][h][t], _mm256_maddubs_epi16(hi[j][h], yhi));
            }
          }
        }
        NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int h = 0; h < H; ++h) {
          const __m256i sc_lo = scale_pairs(rec[j], 2 * i, h0 + h), sc_hi = scale_pairs(rec[j], 2 * i + 1, h0 + h);
          NT_UNROLL for (int t = 0; t < RN; ++t) {
            s[j][h][t] = _mm256_add_epi32(s[j][h][t], _mm256_madd_epi16(dlo[j][h][t], sc_lo));
            s[j][h][t] = _mm256_add_epi32(s[j][h][t], _mm256_madd_epi16(dhi[j][h][t], sc_hi));
          }
        }
      }
    }
    NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int h = 0; h < H; ++h) {
      const int hh = h0 + h;
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec[j] + 16 * hh)));
      const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rec[j] + 32 + 16 * hh)));
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        const int32_t* bt = b2 + t * b2stride + ib * 4;
        __m256i mt = _mm256_setzero_si256();
        NT_UNROLL for (int p = 0; p < 4; ++p) {
          const __m256i mins = _mm256_cvtepu8_epi16(
              _mm_loadu_si128(reinterpret_cast<const __m128i*>(rec[j] + kQ4Mins + 32 * p + 16 * hh)));
          mt = _mm256_add_epi32(mt, _mm256_madd_epi16(mins, _mm256_set1_epi32(bt[p])));
        }
        const __m256 dy = _mm256_set1_ps(f32_at(yk + t * ystride + ib * kQ8KBytes));
        acc[j][h][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[j][h][t]), _mm256_mul_ps(d, dy), acc[j][h][t]);
        accm[j][h][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mt), _mm256_mul_ps(dmin, dy), accm[j][h][t]);
      }
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int h = 0; h < H; ++h) {
    const int n = nrows - 8 * (h0 + h);
    if (n <= 0) continue;
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      store_lanes(y + t * ldy + ys * j + 8 * h, _mm256_sub_ps(acc[j][h][t], accm[j][h][t]), n);
    }
  }
}

template <bool kFive>
void tile_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 256;
  const size_t ystride = static_cast<size_t>(nb) * kQ8KBytes;
  const uint8_t* yk = static_cast<const uint8_t*>(a.q8k) + static_cast<size_t>(t0) * ystride;
  const int32_t* b2 = a.q8k_bsum2 + t0 * nb * 4;
  if (nt == 1) {  // decode: whole groups as kStreams streams, the rest one group at a time
    for_group_streams<kStreams>(w, ws, y, nr, [&](const uint8_t* g, size_t gs, float* yg, int64_t ys) {
      micro<kStreams, 2, 1, kFive>(g, gs, 0, nb, yk, ystride, b2, nb * 4, yg, 0, ys, 16);
    });
    for (int64_t r = 0; r < nr; r += 16) {
      micro<1, 2, 1, kFive>(w + static_cast<size_t>(r / 16) * ws, 0, 0, nb, yk, ystride, b2, nb * 4, y + r, 0, 0,
                            static_cast<int>(nr - r < 16 ? nr - r : 16));
    }
    return;
  }
  // prefill: each half of a group × tiles of up to kTokens tokens
  for_tiles<kTokens>(nr, nt, 16, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    const uint8_t* g = w + static_cast<size_t>(r / 16) * ws;
    for (int h = 0; h < 2 && 8 * h < nrows; ++h) {
      micro<1, 1, RN, kFive>(g, 0, h, nb, yk + t * ystride, ystride, b2 + t * nb * 4, nb * 4, y + t * ldy + r + 8 * h,
                             ldy, 0, nrows);
    }
  });
}

}  // namespace

void tile_q4_K_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  tile_packed<false>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q5_K_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  tile_packed<true>(w, ws, nr, a, t0, nt, y, ldy);
}

}  // namespace nt::kernels::avx2
