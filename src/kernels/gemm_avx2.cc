// AVX2 + FMA + F16C tile kernels of the fp32-activation routes (F32 / BF16 / F16 and converted rows; see gemm.h
// for the contract; Q8_0 / Q4_0: gemm_q8_0_avx2.cc / gemm_q4_0_avx2.cc). Register tiles of kRows weight rows × a
// few tokens; each output element owns one 8-lane fp32 accumulator that receives its blocks in order, and is
// reduced by one fixed horizontal sum, so the value of an element does not depend on the tile it was computed in.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).

#include "kernels/avx2_util.h"
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx2 {
namespace {

constexpr int kRows = 4;  // weight rows per register tile
// --- fp32 activations against F32 / BF16 / F16 (or converted) weight rows --------------------------------------
// acc = fma(w[k..k+8], x[k..k+8], acc) for k in steps of 8; the tail is zero-padded to 8 lanes.

// Prefetch distance of the fp32-activation tiles, in elements of the weight row.
constexpr int64_t kPrefetchElems = 256;

struct LF32 {
  static constexpr int64_t kBytes = 4;
  static __m256 load(const uint8_t* row, int64_t k) { return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k); }
  static float at(const uint8_t* row, int64_t k) { return reinterpret_cast<const float*>(row)[k]; }
};

struct LBF16 {
  static constexpr int64_t kBytes = 2;
  static __m256 load(const uint8_t* row, int64_t k) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + k));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  static float at(const uint8_t* row, int64_t k) {
    const uint32_t u = static_cast<uint32_t>(reinterpret_cast<const uint16_t*>(row)[k]) << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
  }
};

struct LF16 {
  static constexpr int64_t kBytes = 2;
  static __m256 load(const uint8_t* row, int64_t k) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + k)));
  }
  static float at(const uint8_t* row, int64_t k) { return _cvtsh_ss(reinterpret_cast<const uint16_t*>(row)[k]); }
};

template <class L, int RM, int RN>
void micro_f(const uint8_t* w, size_t ws, const float* x, int64_t n, float* y, int64_t ldy) {
  __m256 acc[RM][RN];
  for (int r = 0; r < RM; ++r)
    for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    if (((k * L::kBytes) & 63) == 0) {  // once per 64-byte line of each row
      for (int r = 0; r < RM; ++r)
        _mm_prefetch(reinterpret_cast<const char*>(w + static_cast<size_t>(r) * ws) + (k + kPrefetchElems) * L::kBytes,
                     _MM_HINT_T0);
    }
    __m256 xv[RN];
    for (int t = 0; t < RN; ++t) xv[t] = _mm256_loadu_ps(x + t * n + k);
    for (int r = 0; r < RM; ++r) {
      const __m256 wv = L::load(w + static_cast<size_t>(r) * ws, k);
      for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  if (k < n) {
    const int64_t m = n - k;
    float buf[8];
    __m256 xv[RN];
    for (int t = 0; t < RN; ++t) {
      for (int i = 0; i < 8; ++i) buf[i] = i < m ? x[t * n + k + i] : 0.0f;
      xv[t] = _mm256_loadu_ps(buf);
    }
    for (int r = 0; r < RM; ++r) {
      for (int i = 0; i < 8; ++i) buf[i] = i < m ? L::at(w + static_cast<size_t>(r) * ws, k + i) : 0.0f;
      const __m256 wv = _mm256_loadu_ps(buf);
      for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  for (int r = 0; r < RM; ++r)
    for (int t = 0; t < RN; ++t) y[t * ldy + r] = hsum(acc[r][t]);
}

constexpr int kColsF = 3;  // tokens per register tile (fp32 routes)
using MicroF = void (*)(const uint8_t*, size_t, const float*, int64_t, float*, int64_t);

template <class L>
void tile_fp(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  static const MicroF table[kRows][kColsF] = {
      {micro_f<L, 1, 1>, micro_f<L, 1, 2>, micro_f<L, 1, 3>},
      {micro_f<L, 2, 1>, micro_f<L, 2, 2>, micro_f<L, 2, 3>},
      {micro_f<L, 3, 1>, micro_f<L, 3, 2>, micro_f<L, 3, 3>},
      {micro_f<L, 4, 1>, micro_f<L, 4, 2>, micro_f<L, 4, 3>},
  };
  for (int64_t r = 0; r < nr; r += kRows) {
    const int64_t mr = nr - r < kRows ? nr - r : kRows;
    for (int64_t t = 0; t < nt; t += kColsF) {
      const int64_t mt = nt - t < kColsF ? nt - t : kColsF;
      table[mr - 1][mt - 1](w + static_cast<size_t>(r) * ws, ws, a.x + (t0 + t) * a.n_in, a.n_in, y + t * ldy + r, ldy);
    }
  }
}

}  // namespace

void tile_f32(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_fp<LF32>(w, ws, nr, a, t0, nt, y, ldy);
}
void tile_bf16(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_fp<LBF16>(w, ws, nr, a, t0, nt, y, ldy);
}
void tile_f16(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile_fp<LF16>(w, ws, nr, a, t0, nt, y, ldy);
}

// Byte-identical to quant::quantize_row_q8_0: amax, d = amax / 127 and id = 1 / d in fp32, q = round half away
// from zero of x·id (as roundf), stored scale = fp16(d) rounded to nearest even (F16C).
void quantize_q8_0(const float* x, int64_t n, int8_t* qs, float* d) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t ib = 0; ib < n / 32; ++ib, x += 32, qs += 32) {
    __m256 v[4];
    for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + 8 * i);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v[0]), _mm256_andnot_ps(sign, v[1])),
                             _mm256_max_ps(_mm256_andnot_ps(sign, v[2]), _mm256_andnot_ps(sign, v[3])));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float dd = amax / 127;
    const float id = dd != 0.0f ? 1.0f / dd : 0.0f;
    d[ib] = _cvtsh_ss(_cvtss_sh(dd, _MM_FROUND_TO_NEAREST_INT));
    const __m256 idv = _mm256_set1_ps(id);
    __m256i q[4];
    for (int i = 0; i < 4; ++i) {
      const __m256 s = _mm256_mul_ps(v[i], idv);
      const __m256 t = _mm256_round_ps(s, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 away = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(s, t)), half, _CMP_GE_OQ);
      const __m256 step = _mm256_and_ps(away, _mm256_or_ps(one, _mm256_and_ps(sign, s)));
      q[i] = _mm256_cvttps_epi32(_mm256_add_ps(t, step));
    }
    const __m256i q01 = _mm256_packs_epi32(q[0], q[1]), q23 = _mm256_packs_epi32(q[2], q[3]);
    const __m256i q8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q01, q23), perm);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), q8);
  }
}

// Byte-identical to quant::quantize_row_q8_K (BlockQ8_K: float d, int8 qs[256], int16 bsums[16]): max = the first
// element of the largest magnitude (NaNs skipped, as the reference's comparisons skip them: max_ps returns its second
// operand when the first is NaN), iscale = −127 / max, q = round half to even of iscale·x (ggml's nearest_int, which
// is cvtps under the default rounding for |v| <= 2^22; NaN products give 0 there, so here too), bsums = the sums of
// 16 quants, d = 1 / iscale; an all-zero block is all zero bytes.
void quantize_q8_K(const float* x, int64_t n, uint8_t* out) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t ib = 0; ib < n / 256; ++ib, x += 256, out += 292) {
    __m256 am = _mm256_setzero_ps();
    for (int i = 0; i < 32; ++i) am = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * i)), am);
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(am), _mm256_extractf128_ps(am, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    if (amax == 0.0f) {
      __builtin_memset(out, 0, 292);
      continue;
    }
    float max = 0;
    const __m256 amv = _mm256_set1_ps(amax);
    for (int i = 0; i < 32; ++i) {
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + 8 * i)), amv, _CMP_EQ_OQ));
      if (hit != 0) {
        max = x[8 * i + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 isv = _mm256_set1_ps(iscale);
    uint8_t* qs = out + 4;
    int16_t bsums[16];
    for (int g = 0; g < 8; ++g) {  // 32 quants
      __m256i q[4];
      for (int i = 0; i < 4; ++i) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + 32 * g + 8 * i), isv);
        q[i] = _mm256_cvtps_epi32(_mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q)));
      }
      const __m256i q01 = _mm256_packs_epi32(q[0], q[1]), q23 = _mm256_packs_epi32(q[2], q[3]);
      const __m256i q8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q01, q23), perm);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + 32 * g), q8);
      // Sums of 8 biased bytes per 64-bit lane; two lanes per 16 quants, less 16 · 128.
      const __m256i s8 = _mm256_sad_epu8(_mm256_xor_si256(q8, bias), _mm256_setzero_si256());
      bsums[2 * g] = static_cast<int16_t>(_mm256_extract_epi64(s8, 0) + _mm256_extract_epi64(s8, 1) - 2048);
      bsums[2 * g + 1] = static_cast<int16_t>(_mm256_extract_epi64(s8, 2) + _mm256_extract_epi64(s8, 3) - 2048);
    }
    __builtin_memcpy(out + 260, bsums, sizeof(bsums));
    const float d = 1 / iscale;
    __builtin_memcpy(out, &d, 4);
  }
}

// s[ib * 4 + i] = 8 · (Σ_{j = 4i}^{4i+3} qs[ib·32 + j] + Σ_{j = 16+4i}^{16+4i+3} qs[ib·32 + j]) (exact int32).
}  // namespace nt::kernels::avx2
