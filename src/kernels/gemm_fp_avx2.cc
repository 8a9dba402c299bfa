// AVX2 + FMA tile kernels for ModelOpt FP8 and NVFP4 weights against fp32 activations (see gemm.h for the tile
// contract, quant/modelopt.h for the formats). The weights are decoded to their exact values in registers, 8 lanes
// at a time, and multiplied into fp32 accumulators by FMA; the scale that is constant over a row (FP8's per-tensor
// or per-channel scale, NVFP4's weight_scale_2) multiplies the finished sum once.
//
// E4M3 byte -> fp32 exactly as in gemm_fp_avx512.cc: through fp16 (F16C), e4m3(b) · 2^-8 =
// fp16_to_fp32((v << 7) & 0xBF80) with v the byte sign-extended to 16 bits; a normal fp32 whatever the code, the
// factor 2^8 given back once (to the FP8 sum, to the NVFP4 block scales). The NaN codes 0x7F / 0xFF come out finite:
// FP8 rows are checked for them and a row holding one gives NaN; NVFP4 block scales never hold them
// (bind_modelopt_linear rejects codes >= 0x7F).
// E2M1 code -> 2·value, an integer in [−12, 12], by one byte shuffle of a 16-entry table; widened to fp32 and
// multiplied by bs/2 (bs the block's E4M3 scale, decoded halved), which is e2m1·bs exactly (2 + 4 significant bits).
//
// Per output element (weight row r, token t), in this order:
//   FP8:   acc (8 lanes) = fma(e4m3(w[k..k+8]) · 2^-8, x[k..k+8], acc) for k = 0, 8, ... (a last partial step is
//          zero-padded); y = (hsum(acc) · 2^8) · s, with s = wscale[r] (per channel) or wscale2 (per tensor).
//   NVFP4: per group of 32 columns (16 bytes), against the activations in pair order (Act::xp), the 4 steps
//            acc = fma(2·e2m1(low nibbles of bytes 0..7)   · bs0/2, xp[0..8],   acc)
//            acc = fma(2·e2m1(low nibbles of bytes 8..15)  · bs1/2, xp[8..16],  acc)
//            acc = fma(2·e2m1(high nibbles of bytes 0..7)  · bs0/2, xp[16..24], acc)
//            acc = fma(2·e2m1(high nibbles of bytes 8..15) · bs1/2, xp[24..32], acc)
//          (bs0, bs1 the scales of the group's two blocks); a last group of 16 columns (8 bytes, one block) takes
//          the first and the third step; y = hsum(acc) · wscale2.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).

#include "kernels/avx2_util.h"
#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx2 {
namespace {

// Software prefetch distance in bytes of each streamed weight row; the first kPrefetchBytes of a tile's rows are
// requested at once when the tile starts.
constexpr int64_t kPrefetchBytes = 1024;
constexpr int kMaxRows = 4;  // rows per register tile

// E4M3 bytes sign-extended to 16-bit lanes -> fp16 bits of e4m3 · 2^-8 (see the top of the file).
inline __m256i e4m3_f16(__m256i v) {
  return _mm256_and_si256(_mm256_slli_epi16(v, 7), _mm256_set1_epi16(static_cast<short>(0xBF80)));
}
inline __m128i e4m3_f16(__m128i v) {
  return _mm_and_si128(_mm_slli_epi16(v, 7), _mm_set1_epi16(static_cast<short>(0xBF80)));
}

// 8 E4M3 bytes (the low half of b) -> e4m3 · 2^-8 in fp32.
inline __m256 e4m3_8(__m128i b) { return _mm256_cvtph_ps(e4m3_f16(_mm_cvtepi8_epi16(b))); }

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

// acc[r][t] = fma(w_r, x_t[k..k+8], acc[r][t]) for the RM rows' decoded 8 columns w.
template <int RM, int RN>
inline void fma_rows(const __m256* w, const __m256* xv, __m256 (*acc)[RN]) {
  NT_UNROLL for (int r = 0; r < RM; ++r)
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm256_fmadd_ps(w[r], xv[t], acc[r][t]);
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
  for (; k + 32 <= n; k += 32) {  // 32 bytes of each row: NaN check, then 2 × 16 columns
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const uint8_t* p = rows[r] + k;
      if ((k & 63) == 0) _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      nan[r] |= static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_or_si256(b, hi), ones)));
    }
    NT_UNROLL for (int j = 0; j < 32; j += 16) {
      __m256 w0[RM], w1[RM], xv[RN];
      NT_UNROLL for (int r = 0; r < RM; ++r) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[r] + k + j));
        const __m256i h = e4m3_f16(_mm256_cvtepi8_epi16(b));
        w0[r] = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
        w1[r] = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
      }
      NT_UNROLL for (int t = 0; t < RN; ++t) xv[t] = _mm256_loadu_ps(x + t * n + k + j);
      fma_rows<RM, RN>(w0, xv, acc);
      NT_UNROLL for (int t = 0; t < RN; ++t) xv[t] = _mm256_loadu_ps(x + t * n + k + j + 8);
      fma_rows<RM, RN>(w1, xv, acc);
    }
  }
  for (; k < n; k += 8) {  // up to 3 steps of 8 and a partial one (bytes and activations zero-padded)
    const int64_t m = n - k < 8 ? n - k : 8;
    __m256 w[RM], xv[RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      if (m == 8) {
        xv[t] = _mm256_loadu_ps(x + t * n + k);
      } else {
        float buf[8];
        for (int i = 0; i < 8; ++i) buf[i] = i < m ? x[t * n + k + i] : 0.0f;
        xv[t] = _mm256_loadu_ps(buf);
      }
    }
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const __m128i b = load_bytes(rows[r] + k, m);
      nan[r] |= nan_codes8(b);
      w[r] = e4m3_8(b);
    }
    fma_rows<RM, RN>(w, xv, acc);
  }
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    if (r < nrows) {
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        y[t * ldy + r] = nan[r] ? __builtin_nanf("") : hsum(acc[r][t]) * 256.0f * scale[r];
      }
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
      sv[r] = _mm256_mul_ps(e4m3_8(load_bytes(bsrows[r] + c, m)), _mm256_set1_ps(128.0f));
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

// --- Prefill: each weight row decoded once per tile -----------------------------------------------------------------
// With 16 registers a register tile holds 4 rows × 3 tokens, so decoding per token tile costs about one operation
// per fused multiply-add. From kBatchTokens tokens on, a tile's rows are instead decoded kChunk columns at a time into
// a buffer (the exact values the kernels above hold in registers, in the same lanes) and fp32 register tiles of
// kBufRows rows × kBufCols tokens run over it for every token, the accumulators kept in memory between chunks. Each
// element still takes one fma per 8-column step, in step order, then the same sum and scale: bitwise the results of
// the kernels above (storing and reloading exact values changes nothing), with the decoding done once.
constexpr int64_t kBatchTokens = 4;
constexpr int64_t kChunk = 512;       // columns per decoded chunk (a multiple of 32: NVFP4 groups never straddle)
constexpr int64_t kGroupRows = 16;    // rows and tokens per pass over the columns (the accumulator buffer)
constexpr int64_t kGroupTokens = 64;
constexpr int kBufRows = 4, kBufCols = 3;

struct Batch {
  alignas(32) float w[kGroupRows][kChunk];
  alignas(32) float acc[kGroupRows][kGroupTokens][8];
};

inline void prefetch_bytes(const uint8_t* p, int64_t bytes) {
  for (int64_t i = 0; i < bytes; i += 64) _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
}

// cols FP8 bytes -> e4m3 · 2^-8 at out[0 .. cols rounded up to 8) (zeros past cols); true if a NaN code is among
// them.
inline bool decode_fp8(const uint8_t* p, int64_t cols, float* out) {
  uint32_t nan = 0;
  int64_t k = 0;
  for (; k + 16 <= cols; k += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
    nan |= nan_codes8(b) | nan_codes8(_mm_unpackhi_epi64(b, b));
    const __m256i h = e4m3_f16(_mm256_cvtepi8_epi16(b));
    _mm256_store_ps(out + k, _mm256_cvtph_ps(_mm256_castsi256_si128(h)));
    _mm256_store_ps(out + k + 8, _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
  }
  for (; k < cols; k += 8) {
    const __m128i b = load_bytes(p + k, cols - k < 8 ? cols - k : 8);
    nan |= nan_codes8(b);
    _mm256_store_ps(out + k, e4m3_8(b));
  }
  return nan != 0;
}

// cols (a multiple of 16) NVFP4 columns: packed bytes p, block scales bs -> e2m1 · bs at out[0 .. cols), in pair
// order, as micro_nvfp4 forms them (2·e2m1 · bs/2).
inline void decode_nvfp4(const uint8_t* p, const uint8_t* bs, int64_t cols, float* out) {
  const __m128i lut = _mm_setr_epi8(0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
  const __m128i m4 = _mm_set1_epi8(0x0F);
  const int64_t nb = cols / 16;
  for (int64_t c = 0; c < nb; c += 8) {
    const int64_t m = nb - c < 8 ? nb - c : 8;
    const __m256 sv = _mm256_mul_ps(e4m3_8(load_bytes(bs + c, m)), _mm256_set1_ps(128.0f));
    for (int64_t j = 0; j < m; j += 2) {
      const int64_t k = (c + j) * 16;
      const __m256 s0 = _mm256_permutevar8x32_ps(sv, _mm256_set1_epi32(static_cast<int>(j)));
      if (j + 1 < m) {
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k / 2));
        const __m128i qe = _mm_shuffle_epi8(lut, _mm_and_si128(b, m4));
        const __m128i qo = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(b, 4), m4));
        const __m256 s1 = _mm256_permutevar8x32_ps(sv, _mm256_set1_epi32(static_cast<int>(j + 1)));
        _mm256_store_ps(out + k, _mm256_mul_ps(widen(qe), s0));
        _mm256_store_ps(out + k + 8, _mm256_mul_ps(widen(_mm_unpackhi_epi64(qe, qe)), s1));
        _mm256_store_ps(out + k + 16, _mm256_mul_ps(widen(qo), s0));
        _mm256_store_ps(out + k + 24, _mm256_mul_ps(widen(_mm_unpackhi_epi64(qo, qo)), s1));
      } else {  // a last lone block
        const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + k / 2));
        const __m128i qe = _mm_shuffle_epi8(lut, _mm_and_si128(b, m4));
        const __m128i qo = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(b, 4), m4));
        _mm256_store_ps(out + k, _mm256_mul_ps(widen(qe), s0));
        _mm256_store_ps(out + k + 8, _mm256_mul_ps(widen(qo), s0));
      }
    }
  }
}

// RM buffered rows (w[j]: the chunk's cols decoded columns) × RN tokens (x: token 0 at the chunk, n apart);
// acc[j]: row j's accumulators, RN × 8 floats (first: start from zero). A last partial step takes zero-padded
// activations, as micro_fp8 does.
template <int RM, int RN>
void micro_buf(const float* const* w, float* const* acc, const float* x, int64_t n, int64_t cols, bool first) {
  __m256 a[RM][RN];
  NT_UNROLL for (int r = 0; r < RM; ++r)
    NT_UNROLL for (int t = 0; t < RN; ++t) a[r][t] = first ? _mm256_setzero_ps() : _mm256_load_ps(acc[r] + 8 * t);
  int64_t k = 0;
  for (; k + 8 <= cols; k += 8) {
    __m256 xv[RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) xv[t] = _mm256_loadu_ps(x + t * n + k);
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const __m256 wv = _mm256_load_ps(w[r] + k);
      NT_UNROLL for (int t = 0; t < RN; ++t) a[r][t] = _mm256_fmadd_ps(wv, xv[t], a[r][t]);
    }
  }
  if (k < cols) {
    __m256 xv[RN];
    NT_UNROLL for (int t = 0; t < RN; ++t) {
      float buf[8];
      for (int i = 0; i < 8; ++i) buf[i] = k + i < cols ? x[t * n + k + i] : 0.0f;
      xv[t] = _mm256_loadu_ps(buf);
    }
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const __m256 wv = _mm256_load_ps(w[r] + k);
      NT_UNROLL for (int t = 0; t < RN; ++t) a[r][t] = _mm256_fmadd_ps(wv, xv[t], a[r][t]);
    }
  }
  NT_UNROLL for (int r = 0; r < RM; ++r)
    NT_UNROLL for (int t = 0; t < RN; ++t) _mm256_store_ps(acc[r] + 8 * t, a[r][t]);
}

template <int RN = kBufCols>
void run_buf(int64_t mt, const float* const* w, float* const* acc, const float* x, int64_t n, int64_t cols,
             bool first) {
  if constexpr (RN > 1) {
    if (mt < RN) return run_buf<RN - 1>(mt, w, acc, x, n, cols, first);
  }
  micro_buf<kBufRows, RN>(w, acc, x, n, cols, first);
}

// Kind: decode(r, c0, cols, out) -> NaN seen (row r of the tile, columns [c0, c0 + cols)); finish(r, sum, nan) -> y.
template <class Kind>
void run_batched(const Kind& kind, int64_t nr, const float* x, int64_t n, int64_t nt, float* y, int64_t ldy) {
  Batch b;
  for (int64_t r0 = 0; r0 < nr; r0 += kGroupRows) {
    const int64_t rows = nr - r0 < kGroupRows ? nr - r0 : kGroupRows;
    for (int64_t t0 = 0; t0 < nt; t0 += kGroupTokens) {
      const int64_t toks = nt - t0 < kGroupTokens ? nt - t0 : kGroupTokens;
      bool nan[kGroupRows] = {};
      for (int64_t c = 0; c < n; c += kChunk) {
        const int64_t cols = n - c < kChunk ? n - c : kChunk;
        for (int64_t r = 0; r < rows; ++r) nan[r] |= kind.decode(r0 + r, c, cols, b.w[r]);
        for (int64_t t = 0; t < toks; t += kBufCols) {
          for (int64_t r = 0; r < rows; r += kBufRows) {
            const float* w[kBufRows];
            float* acc[kBufRows];
            for (int j = 0; j < kBufRows; ++j) {  // a short tile repeats its last row (same values, same stores)
              const int64_t rr = r + j < rows ? r + j : rows - 1;
              w[j] = b.w[rr];
              acc[j] = b.acc[rr][t];
            }
            run_buf(toks - t, w, acc, x + (t0 + t) * n + c, n, cols, c == 0);
          }
        }
      }
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t t = 0; t < toks; ++t)
          y[(t0 + t) * ldy + r0 + r] = kind.finish(r0 + r, hsum(_mm256_load_ps(b.acc[r][t])), nan[r]);
    }
  }
}

struct Fp8Kind {
  const uint8_t* w;
  size_t ws;
  const uint8_t* scale;  // per channel: F32 of the tile's row 0; null: per tensor
  float scale2;
  bool decode(int64_t r, int64_t c0, int64_t cols, float* out) const {
    const uint8_t* p = w + static_cast<size_t>(r) * ws + c0;
    prefetch_bytes(p + kChunk, kChunk);
    return decode_fp8(p, cols, out);
  }
  float finish(int64_t r, float sum, bool nan) const {
    const float s = scale != nullptr ? f32_at(scale + 4 * r) : scale2;
    return nan ? __builtin_nanf("") : sum * 256.0f * s;
  }
};

struct Nvfp4Kind {
  const uint8_t* w;
  size_t ws;
  const uint8_t* bs;  // block scales of the tile's row 0, bss apart
  size_t bss;
  float scale2;
  bool decode(int64_t r, int64_t c0, int64_t cols, float* out) const {
    const uint8_t* p = w + static_cast<size_t>(r) * ws + c0 / 2;
    prefetch_bytes(p + kChunk / 2, kChunk / 2);
    decode_nvfp4(p, bs + static_cast<size_t>(r) * bss + c0 / 16, cols, out);
    return false;
  }
  float finish(int64_t, float sum, bool) const { return sum * scale2; }
};

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
  if (nt >= kBatchTokens) {
    const uint8_t* scale = a.wq_scale != nullptr ? a.wq_scale + 4 * static_cast<size_t>(row0) : nullptr;
    return run_batched(Fp8Kind{w, ws, scale, a.wq_scale2}, nr, a.x + t0 * a.n_in, a.n_in, nt, y, ldy);
  }
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
  if (nt >= kBatchTokens) {
    const Nvfp4Kind kind{w, ws, a.wq_scale + static_cast<size_t>(row0) * bss, bss, a.wq_scale2};
    return run_batched(kind, nr, a.xp + t0 * a.n_in, a.n_in, nt, y, ldy);
  }
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
