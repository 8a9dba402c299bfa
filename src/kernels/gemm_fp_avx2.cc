// AVX2 + FMA tile kernels for ModelOpt FP8 and NVFP4 weights against fp32 activations (see gemm.h for the tile
// contract, quant/modelopt.h for the formats). The weights are decoded to their exact values in registers, 8 lanes
// at a time, and multiplied into fp32 accumulators by FMA; the scale that is constant over a row (FP8's per-tensor
// or per-channel scale, NVFP4's weight_scale_2) multiplies the finished sum once.
//
// E4M3 byte -> fp32 exactly as in gemm_fp_avx512.cc: float_from_bits((v << 20) & 0x87F00000) · 2^120, v the byte
// sign-extended (subnormal fp32 inputs, never flushed here, rebiased exactly). The NaN codes 0x7F / 0xFF come out as
// ±480: FP8 rows are checked for them and a row holding one gives NaN; NVFP4 block scales never hold them
// (bind_modelopt_linear rejects codes >= 0x7F).
// E2M1 code -> 2·value, an integer in [−12, 12], by one byte shuffle of a 16-entry table; widened to fp32 and
// multiplied by bs/2 (bs the block's E4M3 scale; the halving is folded into the 2^120, exactly), which is e2m1·bs
// exactly (2 + 4 significant bits).
//
// Per output element (weight row r, token t), in this order:
//   FP8:   acc (8 lanes) = fma(e4m3(w[k..k+8]), x[k..k+8], acc) for k = 0, 8, ... (a last partial step is
//          zero-padded); y = hsum(acc) · s, with s = wscale[r] (per channel) or wscale2 (per tensor).
//   NVFP4: per group of 32 columns (16 bytes), against the activations in pair order (Act::xp), the 4 steps
//            acc = fma(2·e2m1(low nibbles of bytes 0..7)   · bs0/2, xp[0..8],   acc)
//            acc = fma(2·e2m1(low nibbles of bytes 8..15)  · bs1/2, xp[8..16],  acc)
//            acc = fma(2·e2m1(high nibbles of bytes 0..7)  · bs0/2, xp[16..24], acc)
//            acc = fma(2·e2m1(high nibbles of bytes 8..15) · bs1/2, xp[24..32], acc)
//          (bs0, bs1 the scales of the group's two blocks); a last group of 16 columns (8 bytes, one block) takes
//          the first and the third step; y = hsum(acc) · wscale2.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include <immintrin.h>

#include "kernels/avx2_util.h"
#include "kernels/gemm.h"

namespace nt::kernels::avx2 {
namespace {

#if defined(__clang__)
#define NT_UNROLL _Pragma("clang loop unroll(full)")
#else
#define NT_UNROLL _Pragma("GCC unroll 16")
#endif

// Software prefetch distance in bytes of each streamed weight row; the first kPrefetchBytes of a tile's rows are
// requested at once when the tile starts.
constexpr int64_t kPrefetchBytes = 1024;
constexpr int kMaxRows = 4;  // rows per register tile

// E4M3 bytes sign-extended to 32-bit lanes -> their exact fp32 values times `pow2` (a power of two).
inline __m256 e4m3_values(__m256i v, float pow2) {
  const __m256i bits = _mm256_and_si256(_mm256_slli_epi32(v, 20), _mm256_set1_epi32(static_cast<int>(0x87F00000u)));
  return _mm256_mul_ps(_mm256_castsi256_ps(bits), _mm256_set1_ps(pow2));
}

inline float f32_at(const uint8_t* p) {
  float f;
  __builtin_memcpy(&f, p, 4);
  return f;
}

// The m <= 8 bytes at p in the low lanes, zeros above (never reads past p + m).
inline __m128i load_bytes(const uint8_t* p, int64_t m) {
  if (m == 8) return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  uint64_t v = 0;
  for (int64_t i = 0; i < m; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return _mm_cvtsi64_si128(static_cast<long long>(v));
}

inline void prefetch_head(const uint8_t* p, int64_t bytes) {
  const int64_t n = bytes < kPrefetchBytes ? bytes : kPrefetchBytes;
  for (int64_t i = 0; i < n; i += 64) _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
}

// Lanes of (b | 0x80) == 0xFF: the E4M3 NaN codes among 8 bytes.
inline uint32_t nan_codes8(__m128i b) {
  const __m128i c = _mm_cmpeq_epi8(_mm_or_si128(b, _mm_set1_epi8(static_cast<char>(0x80))), _mm_set1_epi8(-1));
  return static_cast<uint32_t>(_mm_movemask_epi8(c)) & 0xFF;
}

// --- FP8 ----------------------------------------------------------------------------------------------------------
// RM weight rows (a short tile repeats its last row; nrows are written) × RN tokens. rows[j]: [n] E4M3 bytes;
// scale[j]: the row's scale; x: [RN, n].

template <int RM, int RN>
inline void step_fp8(const uint8_t* const* rows, int64_t k, const __m256* xv, __m256 (*acc)[RN]) {
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    const __m256 w = e4m3_values(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[r] + k))), 0x1p120f);
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_fmadd_ps(w, xv[t], acc[r][t]);
  }
}

template <int RM, int RN>
void micro_fp8(const uint8_t* const* rows, const float* scale, int nrows, const float* x, int64_t n, float* y,
               int64_t ldy) {
  const __m256i hi = _mm256_set1_epi8(static_cast<char>(0x80)), ones = _mm256_set1_epi8(-1);
  __m256 acc[RM][RN];
  uint32_t nan[RM];
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    nan[r] = 0;
    prefetch_head(rows[r], n);
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();
  }
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {  // 32 bytes of each row: NaN check, then 4 steps
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const uint8_t* p = rows[r] + k;
      if ((k & 63) == 0) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      nan[r] |= static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_or_si256(b, hi), ones)));
    }
    NT_UNROLL for (int j = 0; j < 4; ++j) {
      __m256 xv[RN];
      NT_UNROLL for (int t = 0; t < RN; ++t) xv[t] = _mm256_loadu_ps(x + t * n + k + 8 * j);
      step_fp8<RM, RN>(rows, k + 8 * j, xv, acc);
    }
  }
  for (; k + 8 <= n; k += 8) {
    __m256 xv[RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) xv[t] = _mm256_loadu_ps(x + t * n + k);
    NT_UNROLL for (int r = 0; r < RM; ++r) nan[r] |= nan_codes8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[r] + k)));
    step_fp8<RM, RN>(rows, k, xv, acc);
  }
  if (k < n) {  // the last n − k < 8 columns, bytes and activations zero-padded
    const int64_t m = n - k;
    __m256 xv[RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      float buf[8];
      for (int i = 0; i < 8; ++i) buf[i] = i < m ? x[t * n + k + i] : 0.0f;
      xv[t] = _mm256_loadu_ps(buf);
    }
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const __m128i b = load_bytes(rows[r] + k, m);
      nan[r] |= nan_codes8(b);
      const __m256 w = e4m3_values(_mm256_cvtepi8_epi32(b), 0x1p120f);
      NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_fmadd_ps(w, xv[t], acc[r][t]);
    }
  }
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    if (r < nrows) {
      NT_UNROLL for (int t = 0; t < RN; ++t) y[t * ldy + r] = nan[r] ? __builtin_nanf("") : hsum(acc[r][t]) * scale[r];
    }
  }
}

// --- NVFP4 --------------------------------------------------------------------------------------------------------
// RM weight rows × RN tokens. rows[j]: [n / 2] packed bytes; bsrows[j]: [n / 16] E4M3 block scales; xp: [RN, n] in
// pair order. Blocks are taken 8 at a time (128 columns, one 64-byte line of each row): their halved scales
// decoded in one register per row, then 4 groups of 32 columns.

inline __m256 widen(__m128i q) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)); }

template <int RM, int RN>
void micro_nvfp4(const uint8_t* const* rows, const uint8_t* const* bsrows, int nrows, const float* xp, int64_t n,
                 float s2, float* y, int64_t ldy) {
  const int64_t nb = n / 16;
  const __m128i lut = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);  // 2·e2m1
  const __m128i m4 = _mm_set1_epi8(0x0F);
  __m256 acc[RM][RN];
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    prefetch_head(rows[r], n / 2);
    prefetch_head(bsrows[r], nb);
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_setzero_ps();
  }
  for (int64_t c = 0; c < nb; c += 8) {
    const int64_t m = nb - c < 8 ? nb - c : 8;
    __m256 sv[RM];  // lane j: half the scale of block c + j
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      sv[r] = e4m3_values(_mm256_cvtepi8_epi32(load_bytes(bsrows[r] + c, m)), 0x1p119f);
      _mm_prefetch(reinterpret_cast<const char*>(rows[r] + c * 8 + kPrefetchBytes), _MM_HINT_T0);
      if ((c & 63) == 0) _mm_prefetch(reinterpret_cast<const char*>(bsrows[r] + c + kPrefetchBytes / 8), _MM_HINT_T0);
    }
    __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_set1_epi32(1);
    for (int64_t j = 0; j + 2 <= m; j += 2) {  // 32 columns: 16 bytes of each row
      const int64_t k = (c + j) * 16;
      NT_UNROLL for (int r = 0; r < RM; ++r) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[r] + k / 2));
        const __m128i qe = _mm_shuffle_epi8(lut, _mm_and_si128(b, m4));
        const __m128i qo = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(b, 4), m4));
        const __m256 s0 = _mm256_permutevar8x32_ps(sv[r], i0), s1 = _mm256_permutevar8x32_ps(sv[r], i1);
        const __m256 w0 = _mm256_mul_ps(widen(qe), s0), w1 = _mm256_mul_ps(widen(_mm_unpackhi_epi64(qe, qe)), s1);
        const __m256 w2 = _mm256_mul_ps(widen(qo), s0), w3 = _mm256_mul_ps(widen(_mm_unpackhi_epi64(qo, qo)), s1);
        NT_UNROLL for (int t = 0; t < RN; ++t) {
          const float* xt = xp + t * n + k;
          acc[r][t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xt), acc[r][t]);
          acc[r][t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xt + 8), acc[r][t]);
          acc[r][t] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xt + 16), acc[r][t]);
          acc[r][t] = _mm256_fmadd_ps(w3, _mm256_loadu_ps(xt + 24), acc[r][t]);
        }
      }
      i0 = _mm256_add_epi32(i0, _mm256_set1_epi32(2));
      i1 = _mm256_add_epi32(i1, _mm256_set1_epi32(2));
    }
    if (m & 1) {  // a last lone block (n % 32 == 16)
      const int64_t k = (c + m - 1) * 16;
      const __m256i last = _mm256_set1_epi32(static_cast<int>(m - 1));
      NT_UNROLL for (int r = 0; r < RM; ++r) {
        const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[r] + k / 2));
        const __m256 s = _mm256_permutevar8x32_ps(sv[r], last);
        const __m256 w0 = _mm256_mul_ps(widen(_mm_shuffle_epi8(lut, _mm_and_si128(b, m4))), s);
        const __m256 w2 = _mm256_mul_ps(widen(_mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(b, 4), m4))), s);
        NT_UNROLL for (int t = 0; t < RN; ++t) {
          acc[r][t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xp + t * n + k), acc[r][t]);
          acc[r][t] = _mm256_fmadd_ps(w2, _mm256_loadu_ps(xp + t * n + k + 8), acc[r][t]);
        }
      }
    }
  }
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    if (r < nrows) {
      NT_UNROLL for (int t = 0; t < RN; ++t) y[t * ldy + r] = hsum(acc[r][t]) * s2;
    }
  }
}

// --- Tiles ----------------------------------------------------------------------------------------------------------
// Token tiles outside, row tiles inside: a few tokens' activations stay in L1 while the row block's weights are
// re-read from L2. One token: kRows1 rows per register tile; more: kRowsN rows × up to 3 tokens.

struct Fp8Tile {
  static constexpr int kRows1 = 4, kRowsN = 4;
  const uint8_t* rows[kMaxRows];
  float scale[kMaxRows];
  int nrows;
  template <int RM, int RN>
  void run(const Act& a, const float* x, float* y, int64_t ldy) const {
    micro_fp8<RM, RN>(rows, scale, nrows, x, a.n_in, y, ldy);
  }
};

struct Nvfp4Tile {
  static constexpr int kRows1 = 4, kRowsN = 2;
  const uint8_t* rows[kMaxRows];
  const uint8_t* bsrows[kMaxRows];
  int nrows;
  template <int RM, int RN>
  void run(const Act& a, const float* x, float* y, int64_t ldy) const {
    micro_nvfp4<RM, RN>(rows, bsrows, nrows, x, a.n_in, a.wq_scale2, y, ldy);
  }
};

constexpr int kColsN = 3;

template <class Tile>
void run_tile(const Tile& tile, int64_t mt, const Act& a, const float* x, float* y, int64_t ldy) {
  switch (mt) {
    case 1: tile.template run<Tile::kRows1, 1>(a, x, y, ldy); break;
    case 2: tile.template run<Tile::kRowsN, 2>(a, x, y, ldy); break;
    default: tile.template run<Tile::kRowsN, 3>(a, x, y, ldy); break;
  }
}

}  // namespace

void tile_fp8(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t row0 = static_cast<int64_t>(static_cast<size_t>(w - a.wq_rows) / ws);
  for (int64_t t = 0; t < nt; t += kColsN) {
    const int64_t mt = nt - t < kColsN ? nt - t : kColsN;
    const int64_t span = mt == 1 ? Fp8Tile::kRows1 : Fp8Tile::kRowsN;
    for (int64_t r = 0; r < nr; r += span) {
      Fp8Tile tile;
      tile.nrows = static_cast<int>(nr - r < span ? nr - r : span);
      for (int j = 0; j < span; ++j) {
        const int64_t rr = r + (j < tile.nrows ? j : tile.nrows - 1);
        tile.rows[j] = w + static_cast<size_t>(rr) * ws;
        tile.scale[j] = a.wq_scale != nullptr ? f32_at(a.wq_scale + 4 * static_cast<size_t>(row0 + rr)) : a.wq_scale2;
      }
      run_tile(tile, mt, a, a.x + (t0 + t) * a.n_in, y + t * ldy + r, ldy);
    }
  }
}

void tile_nvfp4(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t row0 = static_cast<int64_t>(static_cast<size_t>(w - a.wq_rows) / ws);
  const size_t bss = static_cast<size_t>(a.n_in / 16);
  for (int64_t t = 0; t < nt; t += kColsN) {
    const int64_t mt = nt - t < kColsN ? nt - t : kColsN;
    const int64_t span = mt == 1 ? Nvfp4Tile::kRows1 : Nvfp4Tile::kRowsN;
    for (int64_t r = 0; r < nr; r += span) {
      Nvfp4Tile tile;
      tile.nrows = static_cast<int>(nr - r < span ? nr - r : span);
      for (int j = 0; j < span; ++j) {
        const int64_t rr = r + (j < tile.nrows ? j : tile.nrows - 1);
        tile.rows[j] = w + static_cast<size_t>(rr) * ws;
        tile.bsrows[j] = a.wq_scale + static_cast<size_t>(row0 + rr) * bss;
      }
      run_tile(tile, mt, a, a.xp + (t0 + t) * a.n_in, y + t * ldy + r, ldy);
    }
  }
}

}  // namespace nt::kernels::avx2
