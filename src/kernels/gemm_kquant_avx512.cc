// AVX-512 (F/BW/VL + VNNI) tile kernels for the K-quants (Q4_K, Q6_K) against q8_K activations (see gemm.h).
//
// The integer work of gemm_kquant_avx2.cc on two 32-element chunks per register: a super-block (256 values) is
// decoded into 4 registers of unsigned quants, register p holding chunks 2p (low 256 bits) and 2p + 1 (high), with
// matching 16-bit scale registers, all kept in registers and reused by every token of the tile. Per token:
//   s = Σ_p madd(maddubs(q_p, y[64p .. 64p+63]), sc_p)     (16 int32 lanes; VNNI vpdpwssd does the madd and the
//                                                           sum in one), folded to 8 lanes: low + high
// Integer sums are exact and the maddubs pairs cannot saturate (|q| ≤ 63, |y| ≤ 128), so lane k of the folded s
// equals the AVX2 kernel's lane k (Σ over the chunks of sc·Σ y·q over elements 4k .. 4k+3 of the chunk). The
// floating-point steps are the AVX2 ones: with S, M the exact totals of s and m (Q6_K: s − 32·m and 0),
// acc = fma(float(S), d·dy, acc), accm = fma(float(M), dmin·dy, accm), y = acc − accm. So results are bitwise those
// of the AVX2 route and of the packed kernels (gemm_q4_K_avx512.cc, gemm_q6_K_avx512.cc).
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).

#include "kernels/avx2_util.h"
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx512 {
namespace {

constexpr size_t kQ8KBytes = 292;  // BlockQ8_K: float d, int8 qs[256], int16 bsums[16]
constexpr int kMaxTokens = 64;
// Software prefetch distance in bytes of the tile's weight stream (its rows are contiguous).
constexpr size_t kPrefetchBytes = 8192;

// The AVX2 kernels' helpers (avx2_util.h): the same horizontal sum, operation for operation.
using avx2::f16_at;
using avx2::hsum2_i32;
inline float hsum8(__m256 v) { return avx2::hsum(v); }

struct Decoded {
  __m512i q[4];   // chunks 2p | 2p + 1, unsigned quants in element order
  __m512i sc[4];  // int16 scale of each int16 lane of maddubs(q[p], y)
  __m256i m;      // as the AVX2 kernel: Q4_K mins duplicated per 16 elements; Q6_K the 16 scales
  float d, dmin;
};

// Index vector for _mm512_permutexvar_epi16: lane i takes source lane base + (i >> log2_width).
inline __m512i lane_index(int base, int log2_width) {
  const __m512i iota = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                                        12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  return _mm512_add_epi16(_mm512_set1_epi16(static_cast<short>(base)), _mm512_srli_epi16(iota, log2_width));
}

struct Q4K {
  static constexpr size_t kBytes = 144;  // d, dmin, scales[12], qs[128]
  static constexpr bool kHasMin = true;
  static void decode(const uint8_t* b, Decoded* o) {
    o->d = f16_at(b);
    o->dmin = f16_at(b + 2);
    __m128i sc16;
    avx2::q4_K_scales_mins(b + 4, &sc16, &o->m);
    // 64 quant bytes hold 4 chunks: low nibbles chunks 4j, 4j + 2, high nibbles 4j + 1, 4j + 3 (j = 0, 1).
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const uint8_t* qs = b + 16;
    for (int j = 0; j < 2; ++j) {
      const __m512i bits = _mm512_loadu_si512(qs + 64 * j);
      const __m512i lo = _mm512_and_si512(bits, m4), hi = _mm512_and_si512(_mm512_srli_epi16(bits, 4), m4);
      o->q[2 * j] = _mm512_shuffle_i64x2(lo, hi, 0x44);      // chunks 4j | 4j + 1
      o->q[2 * j + 1] = _mm512_shuffle_i64x2(lo, hi, 0xEE);  // chunks 4j + 2 | 4j + 3
    }
    const __m512i s = _mm512_castsi128_si512(sc16);
    for (int p = 0; p < 4; ++p) o->sc[p] = _mm512_permutexvar_epi16(lane_index(2 * p, 4), s);
  }
};

struct Q6K {
  static constexpr size_t kBytes = 210;  // ql[128], qh[64], scales[16] (int8), d
  static constexpr bool kHasMin = false;
  static void decode(const uint8_t* b, Decoded* o) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    o->d = f16_at(b + 208);
    o->dmin = 0.0f;
    const __m512i m4 = _mm512_set1_epi8(0x0F), m3 = _mm512_set1_epi8(0x03);
    // Chunk 4h + i takes its high 2 bits from bits 2i, 2i + 1 of qh[32h ..]: the high half of the register
    // (chunks 4h + 1, 4h + 3) reads qh shifted right by 2 more.
    const __m512i shift = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    for (int h = 0; h < 2; ++h) {
      const __m512i l = _mm512_loadu_si512(ql + 64 * h);  // chunk 4h low nibbles | chunk 4h + 1 low nibbles
      const __m512i hb = _mm512_srlv_epi16(
          _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh + 32 * h))), shift);
      o->q[2 * h] = _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_slli_epi16(_mm512_and_si512(hb, m3), 4));
      o->q[2 * h + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                        _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hb, 4), m3), 4));
    }
    o->m = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 192)));
    // Chunk c: elements 0..15 scale 2c, 16..31 scale 2c + 1; register p holds chunks 2p, 2p + 1.
    const __m512i s = _mm512_castsi256_si512(o->m);
    for (int p = 0; p < 4; ++p) o->sc[p] = _mm512_permutexvar_epi16(lane_index(4 * p, 3), s);
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
  __m512i s = _mm512_setzero_si512();
  for (int p = 0; p < 4; ++p) {
    const __m512i y = _mm512_loadu_si512(yq + 64 * p);
    s = _mm512_dpwssd_epi32(s, _mm512_maddubs_epi16(w.q[p], y), w.sc[p]);  // VNNI: madd + add in one
  }
  __m256i s8 = _mm256_add_epi32(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
  const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(yb + 260));
  __m256i m = _mm256_madd_epi16(w.m, bsums);
  if (!W::kHasMin) {  // Q6_K: M = 0 (dmin = 0), the −32 offset folded into S
    s8 = _mm256_sub_epi32(s8, _mm256_slli_epi32(m, 5));
    m = _mm256_setzero_si256();
  }
  // Lanes 0, 1: acc = fma(float(S), d·dy, acc), accm = fma(float(M), dmin·dy, accm).
  const __m128 ddy = _mm_mul_ps(_mm_setr_ps(w.d, w.dmin, w.d, w.dmin), _mm_set1_ps(dy));
  *acc = _mm_fmadd_ps(_mm_cvtepi32_ps(hsum2_i32(s8, m)), ddy, *acc);
}

// The weight stream kPrefetchBytes past super-block `blk` (rows are contiguous: past a row's end comes the next row,
// past the tile's last row the next tile, which this thread usually takes next; a prefetch past the weight's end is
// harmless).
template <class W>
inline void prefetch_ahead(const uint8_t* blk) {
  for (size_t off = 0; off < W::kBytes; off += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(blk + kPrefetchBytes + off), _MM_HINT_T0);
  }
}

// One token (decode): the operations of tile_k's token loop with mt = 1, the accumulators and the decoded
// super-block in registers (tile_k's run-time token loop keeps them in memory).
template <class W>
void tile_k1(const uint8_t* w, size_t ws, int64_t nr, int64_t nb, const uint8_t* yrow, float* y) {
  for (int64_t r = 0; r < nr; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * ws;
    Acc acc = zero_acc();
    for (int64_t ib = 0; ib < nb; ++ib) {
      const uint8_t* blk = row + static_cast<size_t>(ib) * W::kBytes;
      prefetch_ahead<W>(blk);
      Decoded dec;
      W::decode(blk, &dec);
      update<W>(dec, yrow + static_cast<size_t>(ib) * kQ8KBytes, &acc);
    }
    y[r] = result(acc);
  }
}

// Rows one at a time (a decoded super-block fills 9 registers), up to kMaxTokens tokens per pass over a row.
template <class W>
void tile_k(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 256;
  const uint8_t* act = static_cast<const uint8_t*>(a.q8k);
  const uint8_t* end = w + static_cast<size_t>(nr - 1) * ws + static_cast<size_t>(nb) * W::kBytes;
  for (size_t off = 0; off < kPrefetchBytes && w + off < end; off += 64)
    _mm_prefetch(reinterpret_cast<const char*>(w + off), _MM_HINT_T0);
  if (nt == 1) return tile_k1<W>(w, ws, nr, nb, act + static_cast<size_t>(t0 * nb) * kQ8KBytes, y);
  Acc acc[kMaxTokens];
  for (int64_t r = 0; r < nr; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * ws;
    for (int64_t tc = 0; tc < nt; tc += kMaxTokens) {
      const int64_t mt = nt - tc < kMaxTokens ? nt - tc : kMaxTokens;
      for (int64_t t = 0; t < mt; ++t) acc[t] = zero_acc();
      for (int64_t ib = 0; ib < nb; ++ib) {
        const uint8_t* blk = row + static_cast<size_t>(ib) * W::kBytes;
        prefetch_ahead<W>(blk);
        Decoded dec;
        W::decode(blk, &dec);
        const uint8_t* yb = act + (static_cast<size_t>(t0 + tc) * nb + ib) * kQ8KBytes;
        for (int64_t t = 0; t < mt; ++t) update<W>(dec, yb + static_cast<size_t>(t * nb) * kQ8KBytes, &acc[t]);
      }
      for (int64_t t = 0; t < mt; ++t)
        y[(tc + t) * ldy + r] = result(acc[t]);
    }
  }
}

}  // namespace

void tile_q4_K(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_k<Q4K>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q6_K(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_k<Q6K>(w, ws, nr, a, t0, nt, y, ldy);
}

}  // namespace nt::kernels::avx512
