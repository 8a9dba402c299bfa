// AVX-512 (F/BW/VL/DQ) tile kernels for ModelOpt FP8 and NVFP4 weights against fp32 activations (see gemm.h for
// the tile contract, quant/modelopt.h for the formats). The weights are decoded to their exact values in registers,
// 16 lanes at a time, and multiplied into fp32 accumulators by FMA; the scale that is constant over a row (FP8's
// per-tensor or per-channel scale, NVFP4's weight_scale_2) multiplies the finished sum once.
//
// E4M3 byte b -> fp32, exactly, through fp16: with v = b sign-extended to 16 bits,
//   e4m3(b) · 2^-8 = fp16_to_fp32((v << 7) & 0xBF80)
// The 7 magnitude bits land at the top of fp16's exponent and mantissa fields (bias 15 = 7 + 8), the sign in bit 15
// (bit 14, a copy of it, is cleared). fp16 holds every E4M3 value times 2^-8 exactly, subnormals included, and the
// conversion yields a normal fp32, so no arithmetic sees a subnormal weight (a subnormal multiply operand can take
// a microcode assist: decoding through fp32 subnormals made these kernels several times slower on weights with
// subnormal codes). The factor 2^8 goes back exactly, once: to the finished FP8 sum, and to the NVFP4 block scales
// as they are decoded. Only the NaN codes 0x7F / 0xFF come out finite (1.875 · 2^8): FP8 rows are checked for them,
// and a row holding one gives NaN, as its dequantized weights would; NVFP4 block scales never hold them
// (bind_modelopt_linear rejects codes >= 0x7F).
// E2M1 code c -> fp32: lane c of a 16-entry table (vpermps reads the low 4 bits of each index lane).
//
// Per output element (weight row r, token t), in this order:
//   FP8:   acc (16 lanes) = fma(e4m3(w[k..k+16]) · 2^-8, x[k..k+16], acc) for k = 0, 16, ... (a last partial step
//          zero-padded); y = (hsum(acc) · 2^8) · s, with s = wscale[r] (per channel) or wscale2 (per tensor).
//   NVFP4: per group of 32 columns, against the activations in pair order (Act::xp: even columns, then odd):
//          acc = fma(e2m1(low nibbles) · bs, x_even, acc), then acc = fma(e2m1(high nibbles) · bs, x_odd, acc),
//          where lanes 0..7 take the scale bs (E4M3) of the group's first block and lanes 8..15 of its second;
//          a last group of 16 columns is one step (even columns in lanes 0..7, odd ones in 8..15);
//          y = hsum(acc) · wscale2.
// e2m1 · bs is exact (2 + 4 significant bits), so each product is the exact weight (up to the row's constant
// factor) times x: the result is the dequantized weights' dot product up to fp32 rounding.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).

#include "kernels/gemm.h"
#include "kernels/simd.h"

namespace nt::kernels::avx512 {
namespace {

// Software prefetch distance in bytes of each streamed weight row; the first kPrefetchBytes of a tile's rows are
// requested at once when the tile starts.
constexpr int64_t kPrefetchBytes = 1024;
constexpr int kRows1 = 8;  // rows per register tile for one token (independent accumulation chains)
constexpr int kRowsN = 4;  // rows × tokens per register tile for more tokens
constexpr int kColsN = 4;

inline float hsum16(__m512 v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// E4M3 bytes sign-extended to 16-bit lanes -> fp16 bits of e4m3 · 2^-8 (see the top of the file).
inline __m512i e4m3_f16(__m512i v) {
  return _mm512_and_si512(_mm512_slli_epi16(v, 7), _mm512_set1_epi16(static_cast<short>(0xBF80)));
}
inline __m256i e4m3_f16(__m256i v) {
  return _mm256_and_si256(_mm256_slli_epi16(v, 7), _mm256_set1_epi16(static_cast<short>(0xBF80)));
}

inline void prefetch_head(const uint8_t* p, int64_t bytes) {
  const int64_t n = bytes < kPrefetchBytes ? bytes : kPrefetchBytes;
  for (int64_t i = 0; i < n; i += 64) _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
}

// --- FP8 ----------------------------------------------------------------------------------------------------------
// RM weight rows (a short tile repeats its last row; nrows are written) × RN tokens. rows[j]: [n] E4M3 bytes;
// scale[j]: the row's scale; x: [RN, n].

// acc[r][t] = fma(w_r, x_t[k..k+16], acc[r][t]) for the RM rows' decoded 16 columns w.
template <int RM, int RN>
inline void fma_rows(const __m512* w, const float* x, int64_t n, int64_t k, __m512 (*acc)[RN]) {
  NT_UNROLL for (int r = 0; r < RM; ++r)
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm512_fmadd_ps(w[r], _mm512_loadu_ps(x + t * n + k), acc[r][t]);
}

template <int RM, int RN>
void micro_fp8(const uint8_t* const* rows, const float* scale, int nrows, const float* x, int64_t n, float* y,
               int64_t ldy) {
  const __m512i hi = _mm512_set1_epi8(static_cast<char>(0x80)), ones = _mm512_set1_epi8(-1);
  __m512 acc[RM][RN];
  uint64_t nan[RM];
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    nan[r] = 0;
    prefetch_head(rows[r], n);
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  int64_t k = 0;
  for (; k + 64 <= n; k += 64) {  // one 64-byte line of each row: NaN check on the line, then 2 × 32 columns
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const uint8_t* p = rows[r] + k;
      _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
      nan[r] |= _mm512_cmpeq_epi8_mask(_mm512_or_si512(_mm512_loadu_si512(p), hi), ones);  // (b | 0x80) == 0xFF
    }
    NT_UNROLL for (int j = 0; j < 64; j += 32) {
      __m512 w0[RM], w1[RM];
      NT_UNROLL for (int r = 0; r < RM; ++r) {
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[r] + k + j));
        const __m512i h = e4m3_f16(_mm512_cvtepi8_epi16(b));
        w0[r] = _mm512_cvtph_ps(_mm512_castsi512_si256(h));
        w1[r] = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1));
      }
      fma_rows<RM, RN>(w0, x, n, k + j, acc);
      fma_rows<RM, RN>(w1, x, n, k + j + 16, acc);
    }
  }
  for (; k < n; k += 16) {  // up to 3 full steps and a partial one (bytes and activations zero-padded)
    const __mmask16 m = n - k >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - k)) - 1);
    __m512 w[RM];
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const __m128i b = _mm_maskz_loadu_epi8(m, rows[r] + k);
      nan[r] |= _mm_cmpeq_epi8_mask(_mm_or_si128(b, _mm512_castsi512_si128(hi)), _mm512_castsi512_si128(ones));
      w[r] = _mm512_cvtph_ps(e4m3_f16(_mm256_cvtepi8_epi16(b)));
    }
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        acc[r][t] = _mm512_fmadd_ps(w[r], _mm512_maskz_loadu_ps(m, x + t * n + k), acc[r][t]);
      }
    }
  }
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    if (r < nrows) {
      NT_UNROLL for (int t = 0; t < RN; ++t) {
        y[t * ldy + r] = nan[r] ? __builtin_nanf("") : hsum16(acc[r][t]) * 256.0f * scale[r];
      }
    }
  }
}

// --- NVFP4 --------------------------------------------------------------------------------------------------------
// RM weight rows × RN tokens. rows[j]: [n / 2] packed bytes; bsrows[j]: [n / 16] E4M3 block scales; xp: [RN, n] in
// pair order. Blocks are taken 16 at a time (256 columns, 128 bytes of each row): their scales decoded in one
// register per row, then 8 groups of 32 columns, each with its two blocks' scales broadcast to lanes 0..7 / 8..15.
template <int RM, int RN>
void micro_nvfp4(const uint8_t* const* rows, const uint8_t* const* bsrows, int nrows, const float* xp, int64_t n,
                 float s2, float* y, int64_t ldy) {
  const int64_t nb = n / 16;
  const __m512 lut = _mm512_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f, -0.0f, -0.5f, -1.0f, -1.5f, -2.0f,
                                    -3.0f, -4.0f, -6.0f);
  __m512 acc[RM][RN];
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    prefetch_head(rows[r], n / 2);
    prefetch_head(bsrows[r], nb);
    NT_UNROLL for (int t = 0; t < RN; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  for (int64_t c = 0; c < nb; c += 16) {
    const int64_t m = nb - c < 16 ? nb - c : 16;
    const __mmask16 mk = static_cast<__mmask16>((1u << m) - 1);
    __m512 sv[RM];  // lane j: the scale of block c + j
    NT_UNROLL for (int r = 0; r < RM; ++r) {
      const __m256i h = e4m3_f16(_mm256_cvtepi8_epi16(_mm_maskz_loadu_epi8(mk, bsrows[r] + c)));
      sv[r] = _mm512_mul_ps(_mm512_cvtph_ps(h), _mm512_set1_ps(256.0f));
      const uint8_t* p = rows[r] + c * 8;
      _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes + 64), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(bsrows[r] + c + kPrefetchBytes / 8), _MM_HINT_T0);
    }
    __m512i sidx = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    for (int64_t j = 0; j + 2 <= m; j += 2) {  // 32 columns: 16 bytes of each row
      const int64_t k = (c + j) * 16;
      NT_UNROLL for (int r = 0; r < RM; ++r) {
        const __m512i q = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[r] + k / 2)));
        const __m512 sc = _mm512_permutexvar_ps(sidx, sv[r]);
        const __m512 we = _mm512_mul_ps(_mm512_permutexvar_ps(q, lut), sc);
        const __m512 wo = _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), lut), sc);
        NT_UNROLL for (int t = 0; t < RN; ++t) {
          acc[r][t] = _mm512_fmadd_ps(we, _mm512_loadu_ps(xp + t * n + k), acc[r][t]);
          acc[r][t] = _mm512_fmadd_ps(wo, _mm512_loadu_ps(xp + t * n + k + 16), acc[r][t]);
        }
      }
      sidx = _mm512_add_epi32(sidx, _mm512_set1_epi32(2));
    }
    if (m & 1) {  // a last lone block (n % 32 == 16): its 8 bytes twice, the second copy shifted to the high nibbles
      const int64_t k = (c + m - 1) * 16;
      const __m512i shift = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 4, 4, 4, 4, 4, 4, 4, 4);
      const __m512i last = _mm512_set1_epi32(static_cast<int>(m - 1));
      NT_UNROLL for (int r = 0; r < RM; ++r) {
        const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(rows[r] + k / 2));
        const __m512i q = _mm512_srlv_epi32(_mm512_cvtepu8_epi32(_mm_unpacklo_epi64(b, b)), shift);
        const __m512 w = _mm512_mul_ps(_mm512_permutexvar_ps(q, lut), _mm512_permutexvar_ps(last, sv[r]));
        NT_UNROLL for (int t = 0; t < RN; ++t) {
          acc[r][t] = _mm512_fmadd_ps(w, _mm512_loadu_ps(xp + t * n + k), acc[r][t]);
        }
      }
    }
  }
  NT_UNROLL for (int r = 0; r < RM; ++r) {
    if (r < nrows) {
      NT_UNROLL for (int t = 0; t < RN; ++t) y[t * ldy + r] = hsum16(acc[r][t]) * s2;
    }
  }
}

// --- Tiles ----------------------------------------------------------------------------------------------------------
// Token tiles outside, row tiles inside: a few tokens' activations stream from L2 while the row block's weights are
// re-read, and decoded again, per token tile; kRows1 rows per register tile for one token, kRowsN rows × up to
// kColsN tokens for more (each decoded vector feeds kColsN fused multiply-adds). Decoding each row once into a
// buffer for all tokens, as gemm_fp_avx2.cc does for its smaller register tiles, measured 15-20% slower here (the
// activations are then read in short strided pieces).

struct Fp8Tile {
  const uint8_t* rows[kRows1];
  float scale[kRows1];
  int nrows;
  template <int RM, int RN>
  void run(const Act& a, const float* x, float* y, int64_t ldy) const {
    micro_fp8<RM, RN>(rows, scale, nrows, x, a.n_in, y, ldy);
  }
};

struct Nvfp4Tile {
  const uint8_t* rows[kRows1];
  const uint8_t* bsrows[kRows1];
  int nrows;
  template <int RM, int RN>
  void run(const Act& a, const float* x, float* y, int64_t ldy) const {
    micro_nvfp4<RM, RN>(rows, bsrows, nrows, x, a.n_in, a.wq_scale2, y, ldy);
  }
};

template <class Tile>
void run_tile(const Tile& tile, int64_t mt, const Act& a, const float* x, float* y, int64_t ldy) {
  switch (mt) {
    case 1: tile.template run<kRows1, 1>(a, x, y, ldy); break;
    case 2: tile.template run<kRowsN, 2>(a, x, y, ldy); break;
    case 3: tile.template run<kRowsN, 3>(a, x, y, ldy); break;
    default: tile.template run<kRowsN, 4>(a, x, y, ldy); break;
  }
}

}  // namespace

void tile_fp8(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t row0 = static_cast<int64_t>(static_cast<size_t>(w - a.wq_rows) / ws);
  for (int64_t t = 0; t < nt; t += kColsN) {
    const int64_t mt = nt - t < kColsN ? nt - t : kColsN;
    const int64_t span = mt == 1 ? kRows1 : kRowsN;
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
    const int64_t span = mt == 1 ? kRows1 : kRowsN;
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

}  // namespace nt::kernels::avx512
