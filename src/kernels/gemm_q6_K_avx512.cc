// AVX-512 VNNI kernel for Q6_K in the packed kQ6_KRows16 layout (kernels/packed_weight.h) against q8_K activations,
// with the Q6_K operation sequence of the SIMD routes (gemm.h): per output element and super-block the exact integer
//   S = Σ_j sc_j · (Σ_{i in sub-block j} q_i·y_i − 32·Σ_{i in j} y_i)        (j: 16 sub-blocks of 16, q in 0..63)
// then acc = fma(float(S), d·dy, acc), and y = acc.
//
// One lane per row. A quant column (a 512-bit load) holds 4 bytes of each of 16 rows; a triple of columns holds
// elements 4k..4k+3 of four chunks: chunk c < 3 in the low 6 bits of column c, chunk 3 in the three columns' top two
// bits (9 operations per triple, against 13 for ql / qh columns as stored: one core, 8B mlp_up shape, alternating
// builds, 3 runs: GEMM of 128 tokens 266-270 -> 279-287 GFLOP/s, one-token GEMV from L2 50.3-50.6 -> 55.5-57.5 GB/s).
// A sub-block's sum starts from −32·bsum_j (broadcast from Act::q8k_bias32), takes 4 vpdpbusd per token and is scaled
// by its per-row int8 scale (vpmulld).
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include "kernels/gemm.h"
#include "kernels/kquant_records.h"
#include "kernels/simd.h"

namespace nt::kernels::avx512 {
namespace {

using namespace kquant_records;  // the record offsets (kernels/kquant_records.h)
constexpr size_t kRecord = kQ6Record;
constexpr int kTokens = 4;         // tokens per register tile
// Decode: groups read in step, each activation broadcast once for both. One core, 8B mlp_up shape from memory,
// alternating builds: 20.1-20.3 GB/s with one group, 26.1-26.3 with two, 17.0-17.1 with four (2 threads: 43.5-44.8,
// 44.9-45.1, 39.9-41.2); the 8B output head in decode 37.6-39.9 -> 39.7-41.7 GB/s (3 pairs).
// The two groups come from the two halves of the call's groups (for_group_streams), so each stream runs on through
// half the call instead of one group (53 KB), and every line is prefetched kDecodePrefetchBytes ahead as its column
// is read. 8B shapes from DRAM, 2 threads (linear_bench gemv_stream, alternating runs): adjacent groups without
// prefetch 46-57 GB/s, halves 52-61, adjacent groups with prefetch 60-70, halves with prefetch 66-75 (4 KB ahead
// the same).
constexpr int kStreams = 2;
constexpr size_t kDecodePrefetchBytes = 2048;

// G groups (ws bytes apart) × RN tokens over all nb super-blocks; y[t * ldy + ys * j + r] for token t, row r of
// group j (rows past `m` not written). bias: the tokens' Act::q8k_bias32 rows (16 · nb apart). Each activation
// broadcast serves the G groups; per group and lane the same operations whatever G.
template <int G, int RN>
void micro(const uint8_t* g, size_t ws, int64_t nb, const uint8_t* yk, size_t ystride, const int32_t* bias, float* y,
           int64_t ldy, __mmask16 m, int64_t ys = 16) {
  const __m512i m3 = _mm512_set1_epi8(0x03), m4 = _mm512_set1_epi8(0x0F), m6 = _mm512_set1_epi8(0x3F);
  __m512 acc[G][RN];
  NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int t = 0; t < RN; ++t) acc[j][t] = _mm512_setzero_ps();
  for (int64_t ib = 0; ib < nb; ++ib) {
    __m512i s[G][RN];
    if constexpr (RN == 1) {  // decode: the records' scales (kQ6Quants bytes), one prefetch distance ahead
      NT_UNROLL for (int j = 0; j < G; ++j) {
        const char* ahead = reinterpret_cast<const char*>(g + j * ws + ib * kRecord) + kDecodePrefetchBytes;
        NT_UNROLL for (int l = 0; l < 5; ++l) _mm_prefetch(ahead + 64 * l, _MM_HINT_T0);
      }
    }
    NT_UNROLL for (int j = 0; j < G; ++j) NT_UNROLL for (int t = 0; t < RN; ++t) s[j][t] = _mm512_setzero_si512();
    // Half h holds chunks 4h .. 4h + 3; its columns k = 0..3 are the chunks' first 16 elements (sub-blocks 2c),
    // k = 4..7 the second (2c + 1).
    NT_UNROLL for (int h = 0; h < 2; ++h) {
      NT_UNROLL for (int part = 0; part < 2; ++part) {
        __m512i dot[4][G][RN];  // chunk 4h + q, sub-block 2(4h + q) + part
        NT_UNROLL for (int q = 0; q < 4; ++q) {
          const int sb = 2 * (4 * h + q) + part;
          NT_UNROLL for (int t = 0; t < RN; ++t) {
            const __m512i b0 = _mm512_set1_epi32(bias[(t * nb + ib) * 16 + sb]);
            NT_UNROLL for (int j = 0; j < G; ++j) dot[q][j][t] = b0;
          }
        }
        NT_UNROLL for (int kk = 0; kk < 4; ++kk) {
          const int k = 4 * part + kk;
          __m512i q6[G][4];
          NT_UNROLL for (int j = 0; j < G; ++j) {
            const uint8_t* col = g + j * ws + ib * kRecord + kQ6Quants + kQ6Triple * (8 * h + k);
            if constexpr (RN == 1) {  // decode: the triple one prefetch distance ahead
              NT_UNROLL for (int l = 0; l < 3; ++l) {
                _mm_prefetch(reinterpret_cast<const char*>(col) + kDecodePrefetchBytes + 64 * l, _MM_HINT_T0);
              }
            }
            const __m512i v0 = _mm512_loadu_si512(col), v1 = _mm512_loadu_si512(col + 64);
            const __m512i v2 = _mm512_loadu_si512(col + 128);
            q6[j][0] = _mm512_and_si512(v0, m6);
            q6[j][1] = _mm512_and_si512(v1, m6);
            q6[j][2] = _mm512_and_si512(v2, m6);
            // Chunk 3's bits 0-1, 2-3, 4-5 are bits 6-7 of v0, v1, v2: shifted into place (16-bit shifts, so other
            // bits of each byte carry a neighbour's), selected by bit position, the top two cleared.
            const __m512i b01 = _mm512_ternarylogic_epi32(_mm512_srli_epi16(v0, 6), _mm512_srli_epi16(v1, 4), m3, 0xE4);
            q6[j][3] = _mm512_and_si512(_mm512_ternarylogic_epi32(b01, _mm512_srli_epi16(v2, 2), m4, 0xE4), m6);
          }
          NT_UNROLL for (int t = 0; t < RN; ++t) {
            const int8_t* yq = reinterpret_cast<const int8_t*>(yk + t * ystride + ib * kQ8KBytes + 4) + 128 * h + 4 * k;
            NT_UNROLL for (int q = 0; q < 4; ++q) {
              const __m512i yv = _mm512_set1_epi32(i32_at(yq + 32 * q));
              NT_UNROLL for (int j = 0; j < G; ++j) dot[q][j][t] = _mm512_dpbusd_epi32(dot[q][j][t], q6[j][q], yv);
            }
          }
        }
        NT_UNROLL for (int j = 0; j < G; ++j) {
          NT_UNROLL for (int q = 0; q < 4; ++q) {
            const int sb = 2 * (4 * h + q) + part;
            const __m512i sc = _mm512_cvtepi8_epi32(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + j * ws + ib * kRecord + kQ6Scales + 16 * sb)));
            NT_UNROLL for (int t = 0; t < RN; ++t) s[j][t] = _mm512_add_epi32(s[j][t], _mm512_mullo_epi32(dot[q][j][t], sc));
          }
        }
      }
    }
    NT_UNROLL for (int j = 0; j < G; ++j) {
      const __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(g + j * ws + ib * kRecord)));
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        const __m512 dy = _mm512_set1_ps(f32_at(yk + t * ystride + ib * kQ8KBytes));
        acc[j][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s[j][t]), _mm512_mul_ps(d, dy), acc[j][t]);
      }
    }
  }
  NT_UNROLL for (int j = 0; j < G; ++j) {
    NT_UNROLL for (int t = 0; t < RN; ++t) _mm512_mask_storeu_ps(y + t * ldy + ys * j, m, acc[j][t]);
  }
}

}  // namespace

void tile_q6_K_packed(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y,
                      int64_t ldy) {
  const int64_t nb = a.n_in / 256;
  const size_t ystride = static_cast<size_t>(nb) * kQ8KBytes;
  const uint8_t* yk = static_cast<const uint8_t*>(a.q8k) + static_cast<size_t>(t0) * ystride;
  if (nt == 1) {  // decode: whole groups as kStreams streams, the rest one by one
    for_group_streams<kStreams>(w, ws, y, nr, [&](const uint8_t* g, size_t gs, float* yg, int64_t ys) {
      micro<kStreams, 1>(g, gs, nb, yk, ystride, a.q8k_bias32 + t0 * nb * 16, yg, 0, static_cast<__mmask16>(0xFFFF), ys);
    });
  }
  for_tiles<kTokens>(nr, nt, 16, [&]<int RN>(int64_t r, int nrows, int64_t t) {
    micro<1, RN>(w + static_cast<size_t>(r / 16) * ws, ws, nb, yk + t * ystride, ystride,
                 a.q8k_bias32 + (t0 + t) * nb * 16, y + t * ldy + r, ldy, static_cast<__mmask16>((1u << nrows) - 1));
  });
}

}  // namespace nt::kernels::avx512
