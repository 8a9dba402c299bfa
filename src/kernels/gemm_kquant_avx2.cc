// AVX2 tile kernels for the K-quants (Q4_K, Q5_K, Q6_K) against q8_K activations (see gemm.h for the contract).
//
// Each weight super-block (256 values) of a register tile's rows is decoded once into unsigned 8-bit quants in
// element order plus 16-bit scale vectors, then used for every token of the tile. Per super-block and output
// element, in integers (exact):   s = Σ_chunks madd(maddubs(q, y), scale)  (8 int32 lanes)
//   Q4_K, Q5_K: m = madd(mins per 16, bsums)
//   Q6_K: s -= 32·madd(scales, bsums), m = 0                (q − 32 folded in through bsums; dmin = 0)
// then with S, M the lane totals of s, m:  acc = fma(float(S), d·dy, acc), accm = fma(float(M), dmin·dy, accm)
// (two fp32 lanes) and y = acc − accm. This is gemm.h's sequence for the SIMD K-quant routes: their packed AVX-512
// kernels (one row per lane) compute S and M as whole integers, so the stored-row kernels sum their lanes first and
// give the same bits. Accumulators live in a small array so a super-block is decoded once per tile.

#include "kernels/avx2_util.h"
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx2 {
namespace {

constexpr int kRowsK = 4;
constexpr int kMaxTokens = 64;
constexpr size_t kQ8KBytes = 292;  // BlockQ8_K: float d, int8 qs[256], int16 bsums[16]

struct Decoded {
  __m256i q[8];     // quants 0..63 (unsigned), 32 per chunk, element order
  __m256i sc[8];    // int16 scale per lane pair (lane k covers elements 2k, 2k+1 of the chunk)
  __m256i m;        // Q4_K: mins per 16 elements; Q6_K: the 16 scales
  float d, dmin;
};

// Q4_K, and with kQh Q5_K: its qh[32] after the scales holds the fifth bits, bit c of qh[l] for element l of chunk c.
template <bool kQh>
struct Q4K5 {
  static constexpr size_t kBytes = kQh ? 176 : 144;  // d, dmin, scales[12], (qh[32],) qs[128]
  static constexpr bool kHasMin = true;
  static void decode(const uint8_t* b, Decoded* o) {
    o->d = f16_at(b);
    o->dmin = f16_at(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* qs = b + (kQh ? 48 : 16);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int j = 0; j < 4; ++j) {
      const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * j));
      o->q[2 * j] = _mm256_and_si256(bits, m4);
      o->q[2 * j + 1] = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
    }
    if constexpr (kQh) {  // bit c of each qh byte to bit 4 of chunk c's byte (the 16-bit shifts stay within bytes)
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16)), one = _mm256_set1_epi8(1);
      for (int c = 0; c < 8; ++c) {
        const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(h, c), one);
        o->q[c] = _mm256_or_si256(o->q[c], _mm256_slli_epi16(bit, 4));
      }
    }
    __m128i sc16;
    q4_K_scales_mins(scales, &sc16, &o->m);
    const __m256i sc = _mm256_broadcastsi128_si256(sc16);
    for (int j = 0; j < 8; ++j) {  // int16 lane j of sc in every lane
      o->sc[j] = _mm256_shuffle_epi8(sc, _mm256_set1_epi16(static_cast<int16_t>(0x0100 + 0x0202 * j)));
    }
  }
};

using Q4K = Q4K5<false>;
using Q5K = Q4K5<true>;

struct Q6K {
  static constexpr size_t kBytes = 210;  // ql[128], qh[64], scales[16] (int8), d
  static constexpr bool kHasMin = false;
  static void decode(const uint8_t* b, Decoded* o) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const int8_t* scales = reinterpret_cast<const int8_t*>(b + 192);
    o->d = f16_at(b + 208);
    o->dmin = 0.0f;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x03);
    for (int h = 0; h < 2; ++h) {
      const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 64 * h));
      const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 64 * h + 32));
      const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh + 32 * h));
      o->q[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4));
      o->q[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m3), 4));
      o->q[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m3), 4));
      o->q[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m3), 4));
    }
    for (int c = 0; c < 8; ++c) {
      o->sc[c] = _mm256_set_m128i(_mm_set1_epi16(scales[2 * c + 1]), _mm_set1_epi16(scales[2 * c]));
    }
    o->m = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
  }
};

// The running sums of one output element, acc and accm in lanes 0 and 1 (Q6_K: accm stays 0).
using Acc = __m128;

inline Acc zero_acc() { return _mm_setzero_ps(); }

inline float result(Acc a) { return _mm_cvtss_f32(a) - _mm_cvtss_f32(_mm_movehdup_ps(a)); }

template <class W>
inline void update(const Decoded& w, const uint8_t* yb, Acc* acc) {
  float dy;
  __builtin_memcpy(&dy, yb, 4);
  const uint8_t* yq = yb + 4;
  __m256i s = _mm256_setzero_si256();
  for (int c = 0; c < 8; ++c) {
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yq + 32 * c));
    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(w.q[c], y), w.sc[c]));
  }
  const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yb + 260));
  __m256i m = _mm256_madd_epi16(w.m, bsums);
  if (!W::kHasMin) {  // Q6_K: M = 0 (dmin = 0), the −32 offset folded into S
    s = _mm256_sub_epi32(s, _mm256_slli_epi32(m, 5));
    m = _mm256_setzero_si256();
  }
  // Lanes 0, 1: acc = fma(float(S), d·dy, acc), accm = fma(float(M), dmin·dy, accm).
  const __m128 ddy = _mm_mul_ps(_mm_setr_ps(w.d, w.dmin, w.d, w.dmin), _mm_set1_ps(dy));
  *acc = _mm_fmadd_ps(_mm_cvtepi32_ps(hsum2_i32(s, m)), ddy, *acc);
}

// One token (decode): the operations of tile_k with mt = 1, a row at a time, so the accumulators stay in registers
// (tile_k's arrays over rows and tokens live in memory).
template <class W>
void tile_k1(const uint8_t* w, size_t ws, int64_t nr, int64_t nb, const uint8_t* yrow, float* y) {
  for (int64_t r = 0; r < nr; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * ws;
    Acc acc = zero_acc();
    for (int64_t ib = 0; ib < nb; ++ib) {
      const char* next = reinterpret_cast<const char*>(row + static_cast<size_t>(ib + 2) * W::kBytes);
      for (size_t off = 0; off < W::kBytes; off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
      Decoded dec;
      W::decode(row + static_cast<size_t>(ib) * W::kBytes, &dec);
      update<W>(dec, yrow + static_cast<size_t>(ib) * kQ8KBytes, &acc);
    }
    y[r] = result(acc);
  }
}

template <class W>
void tile_k(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 256;
  const uint8_t* act = static_cast<const uint8_t*>(a.q8k);
  if (nt == 1) return tile_k1<W>(w, ws, nr, nb, act + static_cast<size_t>(t0 * nb) * kQ8KBytes, y);
  Acc acc[kRowsK][kMaxTokens];
  Decoded dec[kRowsK];
  for (int64_t tc = 0; tc < nt; tc += kMaxTokens) {
    const int64_t mt = nt - tc < kMaxTokens ? nt - tc : kMaxTokens;
    for (int64_t r0 = 0; r0 < nr; r0 += kRowsK) {
      const int64_t mr = nr - r0 < kRowsK ? nr - r0 : kRowsK;
      for (int64_t r = 0; r < mr; ++r)
        for (int64_t t = 0; t < mt; ++t) acc[r][t] = zero_acc();
      for (int64_t ib = 0; ib < nb; ++ib) {
        for (int64_t r = 0; r < mr; ++r) {  // prefetch the super-block two ahead (see kPrefetchBlocks, gemm_avx2.cc)
          const char* next = reinterpret_cast<const char*>(w + static_cast<size_t>(r0 + r) * ws + static_cast<size_t>(ib + 2) * W::kBytes);
          for (size_t off = 0; off < W::kBytes; off += 64) _mm_prefetch(next + off, _MM_HINT_T0);
        }
        for (int64_t r = 0; r < mr; ++r) W::decode(w + static_cast<size_t>(r0 + r) * ws + static_cast<size_t>(ib) * W::kBytes, &dec[r]);
        for (int64_t t = 0; t < mt; ++t) {
          const uint8_t* yb = act + (static_cast<size_t>(t0 + tc + t) * nb + ib) * kQ8KBytes;
          for (int64_t r = 0; r < mr; ++r) update<W>(dec[r], yb, &acc[r][t]);
        }
      }
      for (int64_t r = 0; r < mr; ++r) {
        for (int64_t t = 0; t < mt; ++t) {
          y[(tc + t) * ldy + r0 + r] = result(acc[r][t]);
        }
      }
    }
  }
}

}  // namespace

void tile_q4_K(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_k<Q4K>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q5_K(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_k<Q5K>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q6_K(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_k<Q6K>(w, ws, nr, a, t0, nt, y, ldy);
}

}  // namespace nt::kernels::avx2
