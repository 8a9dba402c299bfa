// AVX-512 VNNI kernels for Q4_K and Q5_K in the packed kQ4_KRows16 / kQ5_KRows16 layouts (kernels/packed_weight.h)
// against q8_K activations,
// with the Q4_K operation sequence of the SIMD routes (gemm.h): per output element and super-block the exact
// integers
//   S = Σ_c sc_c · Σ_{i in chunk c} q_i·y_i        M = Σ_c mn_c · Σ_{i in chunk c} y_i      (c: 8 chunks of 32)
// then acc = fma(float(S), d·dy, acc), accm = fma(float(M), dmin·dy, accm), and y = acc − accm.
//
// One lane per row: a 512-bit load gives 4 quant bytes of each of 16 rows, elements 4k..4k+3 of chunk 2i in the
// low nibbles and of chunk 2i + 1 in the high ones, so a chunk's dot products are 8 vpdpbusd per token with no
// horizontal sum; each chunk's sum is then scaled by its per-row 6-bit scale (vpmulld) into S. The high nibbles are
// masked in place (16·q), and their sum shifted back exactly. M takes 4 vpdpwssd per token: the rows' mins in int16
// pairs against the token's pairs of 32-element sums (Act::q8k_bsum2).
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/gemm.h"
#include "kernels/kquant_records.h"
#include "kernels/simd.h"

namespace nt::kernels::avx512 {
namespace {

using namespace kquant_records;  // the record offsets (kernels/kquant_records.h)
// Prefill: one group × kTokens tokens per register tile. One core, in L2 (64 rows × 4096 inputs, 12 tokens):
// 290-330 GFLOP/s against 250-270 for 2 groups × 3 or 4 tokens and 290-300 for 1 × 6.
constexpr int kTokens = 4;
// Decode reads two groups in step, from the two halves of the call's groups (for_group_streams), and prefetches each
// line of a record kDecodePrefetchBytes ahead as it reads the record's columns. 8B shapes streamed from DRAM,
// 2 threads (linear_bench gemv_stream, alternating runs): one group at a time 47-48 GB/s without the prefetch, 55-59
// with 1-4 KB ahead; with it, two halves 59-64 GB/s against one stream's 51-55, four quarters 44-45. (Measured when
// the machine's memory read 36 GB/s, prefetching a whole record at once 1-8 records ahead had lost, 19-29 against
// 33-36.) One core in L2 (64 × 4096): 65 GB/s of Q4_K, against 17-22 for the stored-row kernel.
constexpr int kStreams = 2;
constexpr size_t kDecodePrefetchBytes = 2048;

// G groups (group j at g + j·gs) × RN tokens over all nb super-blocks; y[t * ldy + ys * j + r] for token t, row r of
// group j (rows past `m` are not written). Each quant column is loaded and split once for the RN tokens; per group
// and lane the same operations whatever G.
// kFive: Q5_K (kQ5_KRows16): the fifth bits come from the record's qh columns, and the high nibbles are split
// unscaled (q + 16·bit does not fit a byte as 16·q).
template <int G, int RN, bool kFive>
void micro(const uint8_t* g, size_t gs, int64_t nb, const uint8_t* yk, size_t ystride, const int32_t* b2,
           int64_t b2stride, float* y, int64_t ldy, __mmask16 m, int64_t ys = 16) {
  constexpr size_t kRecord = kFive ? kQ5Record : kQ4Record;
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512 acc[G][RN], accm[G][RN];
  NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int t = 0; t < RN; ++t) acc[j][t] = accm[j][t] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    const uint8_t* rec[G];
    NT_UNROLL for (int j = 0; j < G; ++j) {
      rec[j] = g + j * gs + ib * kRecord;
      if constexpr (RN == 1) {  // the record's scales and mins (kQ4Quants bytes), one prefetch distance ahead
        NT_UNROLL for (int l = 0; l < 5; ++l) {
          _mm_prefetch(reinterpret_cast<const char*>(rec[j]) + kDecodePrefetchBytes + 64 * l, _MM_HINT_T0);
        }
      }
    }
    __m512i s[G][RN];
    NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int t = 0; t < RN; ++t) s[j][t] = _mm512_setzero_si512();
    NT_UNROLL for (int i = 0; i < 4; ++i) {  // chunk pair i: chunks 2i (low nibbles) and 2i + 1 (high)
      __m512i dlo[G][RN], dhi[G][RN];
      NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int t = 0; t < RN; ++t) dlo[j][t] = dhi[j][t] = _mm512_setzero_si512();
      NT_UNROLL for (int k = 0; k < 8; ++k) {
        __m512i lo[G], hi[G];
        NT_UNROLL for (int j = 0; j < G; ++j) {
          if constexpr (RN == 1) {  // this column (and the qh column after it) one prefetch distance ahead
            const char* ahead = reinterpret_cast<const char*>(rec[j]) + kDecodePrefetchBytes + quant_column<kFive>(i, k);
            _mm_prefetch(ahead, _MM_HINT_T0);
            if (kFive && i == 0) _mm_prefetch(ahead + 64, _MM_HINT_T0);
          }
          const __m512i v = _mm512_loadu_si512(rec[j] + quant_column<kFive>(i, k));
          if constexpr (kFive) {  // bits 2i, 2i + 1 of each qh byte: the fifth bits of chunks 2i and 2i + 1
            const __m512i hb = _mm512_srli_epi16(_mm512_loadu_si512(rec[j] + qh_column(k)), 2 * i);
            const __m512i five = _mm512_set1_epi8(0x10);
            lo[j] = _mm512_ternarylogic_epi32(v, _mm512_and_si512(_mm512_slli_epi16(hb, 4), five), m4, 0xEC);
            hi[j] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(v, 4), _mm512_and_si512(_mm512_slli_epi16(hb, 3), five),
                                              m4, 0xEC);
          } else {
            lo[j] = _mm512_and_si512(v, m4);
            hi[j] = _mm512_andnot_si512(m4, v);
          }
        }
        NT_UNROLL for (int t = 0; t < RN; ++t) {
          const int8_t* yq = reinterpret_cast<const int8_t*>(yk + t * ystride + ib * kQ8KBytes + 4) + 64 * i + 4 * k;
          const __m512i ylo = _mm512_set1_epi32(i32_at(yq)), yhi = _mm512_set1_epi32(i32_at(yq + 32));
          NT_UNROLL for (int j = 0; j < G; ++j) {
            dlo[j][t] = _mm512_dpbusd_epi32(dlo[j][t], lo[j], ylo);
            dhi[j][t] = _mm512_dpbusd_epi32(dhi[j][t], hi[j], yhi);
          }
        }
      }
      NT_UNROLL for (int j = 0; j < G; ++j) {
        const uint8_t* sc = rec[j] + kQ4Scales + 32 * i;
        const __m512i sc_lo = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc)));
        const __m512i sc_hi = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc + 16)));
        NT_UNROLL for (int t = 0; t < RN; ++t) {
          s[j][t] = _mm512_add_epi32(s[j][t], _mm512_mullo_epi32(dlo[j][t], sc_lo));
          s[j][t] = _mm512_add_epi32(s[j][t], _mm512_mullo_epi32(kFive ? dhi[j][t] : _mm512_srai_epi32(dhi[j][t], 4), sc_hi));
        }
      }
    }
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec[j])));
      const __m512 dmin = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec[j] + 32)));
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        const int32_t* bt = b2 + t * b2stride + ib * 4;
        __m512i mt = _mm512_setzero_si512();
        NT_UNROLL for (int p = 0; p < 4; ++p) {
          const __m512i mins = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rec[j] + kQ4Mins + 32 * p)));
          mt = _mm512_dpwssd_epi32(mt, mins, _mm512_set1_epi32(bt[p]));
        }
        const __m512 dy = _mm512_set1_ps(f32_at(yk + t * ystride + ib * kQ8KBytes));
        acc[j][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[j][t]), _mm512_mul_ps(d, dy), acc[j][t]);
        accm[j][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(mt), _mm512_mul_ps(dmin, dy), accm[j][t]);
      }
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) {
    NT_UNROLL for (int t = 0; t < RN; ++t) _mm512_mask_storeu_ps(y + t * ldy + ys * j, m, _mm512_sub_ps(acc[j][t], accm[j][t]));
  }
}

}  // namespace

namespace {

template <bool kFive>
void tile_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 256;
  const size_t ystride = static_cast<size_t>(nb) * kQ8KBytes;
  const uint8_t* yk = static_cast<const uint8_t*>(a.q8k) + static_cast<size_t>(t0) * ystride;
  const int32_t* b2 = a.q8k_bsum2 + t0 * nb * 4;
  if (nt == 1) {  // decode: whole groups as kStreams streams, the rest one by one
    for_group_streams<kStreams>(w, ws, y, nr, [&](const uint8_t* g, size_t gs, float* yg, int64_t ys) {
      micro<kStreams, 1, kFive>(g, gs, nb, yk, ystride, b2, nb * 4, yg, 0, static_cast<__mmask16>(0xFFFF), ys);
    });
  }
  for_tiles<kTokens>(nr, nt, 16, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    micro<1, RN, kFive>(w + static_cast<size_t>(r / 16) * ws, ws, nb, yk + t * ystride, ystride, b2 + t * nb * 4, nb * 4,
                        y + t * ldy + r, ldy, static_cast<__mmask16>((1u << nrows) - 1));
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

}  // namespace nt::kernels::avx512
