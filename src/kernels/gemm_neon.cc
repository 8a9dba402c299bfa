// AArch64 Advanced SIMD kernels: F32 / BF16 / F16 rows against fp32 activations (below), and, with the dot-product
// instructions (sdot, ARMv8.2 dotprod), Q8_0 and Q4_0 stored rows against q8_0 activations, with the operation
// sequence of the SIMD routes (gemm.h): per output element and block, the exact integer sum s = Σ w·y (Q4_0:
// Σ (q − 8)·y), then acc = fma(float(s), d_w·d_y, acc) in block order from 0. So they give bitwise the AVX2 /
// AVX-512 kernels' results. sdot multiplies signed by signed bytes, so neither type needs the activations' block
// sums (Act::ybias).
//
// A register tile is 4 rows × up to 4 tokens: per block, each row's 32 weight bytes in two registers (Q4_0: its
// nibbles split and re-centred), and per token 8 sdot, the rows' 4-lane partial sums reduced pairwise into one
// vector of the 4 rows' block totals (rows in lanes), so the scaling runs on 4 rows at once.
// Raw pointers and intrinsics only (no std:: templates in per-ISA files).
#include <arm_neon.h>

#include <cstring>

#include "kernels/gemm.h"

namespace nt::kernels::neon {
namespace {

constexpr int kRows = 4;
constexpr int kTokens = 4;

inline float f16_at(const uint8_t* p) {
  __fp16 h;
  std::memcpy(&h, p, 2);
  return static_cast<float>(h);
}

// Pointers to the kRows rows of a register tile from row r (ws bytes apart); a short tile repeats its last row. (The
// x86 kernels' row_pointers, kernels/simd.h, sits in a header that only x86 files can include.)
inline void tile_rows(const uint8_t* w, size_t ws, int64_t r, int nrows, const uint8_t** rows) {
  for (int j = 0; j < kRows; ++j) rows[j] = w + static_cast<size_t>(r + (j < nrows ? j : nrows - 1)) * ws;
}

// The 32 weights of block ib of a row as two registers of signed bytes (elements 0..15, 16..31).
template <bool kQ4>
inline void load_block(const uint8_t* row, int64_t ib, int8x16_t* lo, int8x16_t* hi) {
  if constexpr (kQ4) {
    const uint8x16_t q = vld1q_u8(row + ib * 18 + 2);
    const int8x16_t eight = vdupq_n_s8(8);
    *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0f))), eight);
    *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
  } else {
    *lo = vld1q_s8(reinterpret_cast<const int8_t*>(row + ib * 34 + 2));
    *hi = vld1q_s8(reinterpret_cast<const int8_t*>(row + ib * 34 + 18));
  }
}

// Rows r[0..3] (a short tile repeats its last row; only `nrows` are stored) × RN tokens over all nb blocks.
template <int RN, bool kQ4>
void micro(const uint8_t* const* r, int nrows, int64_t nb, const int8_t* yq, const float* yd, int64_t n_in, float* y,
           int64_t ldy) {
  constexpr size_t kBlock = kQ4 ? 18 : 34;
  float32x4_t acc[RN];
  for (int t = 0; t < RN; ++t) acc[t] = vdupq_n_f32(0.0f);
  for (int64_t ib = 0; ib < nb; ++ib) {
    int8x16_t wl[kRows], wh[kRows];
    for (int j = 0; j < kRows; ++j) load_block<kQ4>(r[j], ib, &wl[j], &wh[j]);
    const float dws[kRows] = {f16_at(r[0] + ib * kBlock), f16_at(r[1] + ib * kBlock), f16_at(r[2] + ib * kBlock),
                              f16_at(r[3] + ib * kBlock)};
    const float32x4_t dw = vld1q_f32(dws);
    for (int t = 0; t < RN; ++t) {
      const int8_t* b = yq + t * n_in + ib * 32;
      const int8x16_t y0 = vld1q_s8(b), y1 = vld1q_s8(b + 16);
      int32x4_t p[kRows];
      for (int j = 0; j < kRows; ++j) p[j] = vdotq_s32(vdotq_s32(vdupq_n_s32(0), wl[j], y0), wh[j], y1);
      const int32x4_t s = vpaddq_s32(vpaddq_s32(p[0], p[1]), vpaddq_s32(p[2], p[3]));  // exact: [s_r0 .. s_r3]
      acc[t] = vfmaq_f32(acc[t], vcvtq_f32_s32(s), vmulq_f32(dw, vdupq_n_f32(yd[t * nb + ib])));
    }
  }
  for (int t = 0; t < RN; ++t) {
    float out[kRows];
    vst1q_f32(out, acc[t]);
    for (int j = 0; j < nrows; ++j) y[t * ldy + j] = out[j];
  }
}

template <bool kQ4>
void tile(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  const int64_t nb = a.n_in / 32;
  for (int64_t r = 0; r < nr; r += kRows) {
    const int nrows = static_cast<int>(nr - r < kRows ? nr - r : kRows);
    const uint8_t* rows[kRows];
    tile_rows(w, ws, r, nrows, rows);
    for (int64_t t = 0; t < nt; t += kTokens) {
      const int64_t tt = t0 + t, n = nt - t < kTokens ? nt - t : kTokens;
      const int8_t* yq = a.qs + tt * a.n_in;
      const float* yd = a.d + tt * nb;
      float* yt = y + t * ldy + r;
      switch (n) {
        case 1: micro<1, kQ4>(rows, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
        case 2: micro<2, kQ4>(rows, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
        case 3: micro<3, kQ4>(rows, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
        default: micro<4, kQ4>(rows, nrows, nb, yq, yd, a.n_in, yt, ldy); break;
      }
    }
  }
}

// --- fp32 activations against F32 / BF16 / F16 (or converted) rows -----------------------------------------------
// The AVX2 fp32 sequence (gemm_avx2.cc) on two 4-lane registers: lane i of 8 takes fma(w[k + i], x[k + i], ·) for k
// in steps of 8 (the tail zero-padded), then the 8 lanes are summed as hsum does: (l_i + l_{i+4}) for i < 4, then
// (s0 + s2) + (s1 + s3). So these kernels give the AVX2 results bit for bit.
struct LF32 {
  static float32x4_t load(const uint8_t* row, int64_t k) { return vld1q_f32(reinterpret_cast<const float*>(row) + k); }
  static float at(const uint8_t* row, int64_t k) {
    float f;
    std::memcpy(&f, row + 4 * k, 4);
    return f;
  }
};

struct LBF16 {
  static float32x4_t load(const uint8_t* row, int64_t k) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row) + k), 16));
  }
  static float at(const uint8_t* row, int64_t k) {
    uint16_t h;
    std::memcpy(&h, row + 2 * k, 2);
    const uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

struct LF16 {
  static float32x4_t load(const uint8_t* row, int64_t k) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row) + k)));
  }
  static float at(const uint8_t* row, int64_t k) { return f16_at(row + 2 * k); }
};

inline float hsum8(float32x4_t lo, float32x4_t hi) {
  const float32x4_t s = vaddq_f32(lo, hi);
  const float32x2_t p = vadd_f32(vget_low_f32(s), vget_high_f32(s));  // [s0 + s2, s1 + s3]
  return vget_lane_f32(p, 0) + vget_lane_f32(p, 1);
}

template <class L, int RN>
void micro_f(const uint8_t* const* r, int nrows, const float* x, int64_t n, float* y, int64_t ldy) {
  float32x4_t lo[kRows][RN], hi[kRows][RN];
  for (int j = 0; j < kRows; ++j)
    for (int t = 0; t < RN; ++t) lo[j][t] = hi[j][t] = vdupq_n_f32(0.0f);
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    float32x4_t x0[RN], x1[RN];
    for (int t = 0; t < RN; ++t) {
      x0[t] = vld1q_f32(x + t * n + k);
      x1[t] = vld1q_f32(x + t * n + k + 4);
    }
    for (int j = 0; j < kRows; ++j) {
      const float32x4_t w0 = L::load(r[j], k), w1 = L::load(r[j], k + 4);
      for (int t = 0; t < RN; ++t) {
        lo[j][t] = vfmaq_f32(lo[j][t], w0, x0[t]);
        hi[j][t] = vfmaq_f32(hi[j][t], w1, x1[t]);
      }
    }
  }
  if (k < n) {  // the tail, zero-padded to 8 lanes
    const int64_t m = n - k;
    float buf[8];
    float32x4_t x0[RN], x1[RN];
    for (int t = 0; t < RN; ++t) {
      for (int i = 0; i < 8; ++i) buf[i] = i < m ? x[t * n + k + i] : 0.0f;
      x0[t] = vld1q_f32(buf);
      x1[t] = vld1q_f32(buf + 4);
    }
    for (int j = 0; j < kRows; ++j) {
      for (int i = 0; i < 8; ++i) buf[i] = i < m ? L::at(r[j], k + i) : 0.0f;
      const float32x4_t w0 = vld1q_f32(buf), w1 = vld1q_f32(buf + 4);
      for (int t = 0; t < RN; ++t) {
        lo[j][t] = vfmaq_f32(lo[j][t], w0, x0[t]);
        hi[j][t] = vfmaq_f32(hi[j][t], w1, x1[t]);
      }
    }
  }
  for (int j = 0; j < nrows; ++j)
    for (int t = 0; t < RN; ++t) y[t * ldy + j] = hsum8(lo[j][t], hi[j][t]);
}

template <class L>
void tile_fp(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  constexpr int kTokensF = 2;
  for (int64_t r = 0; r < nr; r += kRows) {
    const int nrows = static_cast<int>(nr - r < kRows ? nr - r : kRows);
    const uint8_t* rows[kRows];
    tile_rows(w, ws, r, nrows, rows);
    for (int64_t t = 0; t < nt; t += kTokensF) {
      const float* x = a.x + (t0 + t) * a.n_in;
      if (nt - t >= 2) {
        micro_f<L, 2>(rows, nrows, x, a.n_in, y + t * ldy + r, ldy);
      } else {
        micro_f<L, 1>(rows, nrows, x, a.n_in, y + t * ldy + r, ldy);
      }
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

void tile_q8_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile<false>(w, ws, nr, a, t0, nt, y, ldy);
}

void tile_q4_0(const uint8_t* w, size_t ws, int64_t nr, const Act& a, int64_t t0, int64_t nt, float* y, int64_t ldy) {
  tile<true>(w, ws, nr, a, t0, nt, y, ldy);
}

}  // namespace nt::kernels::neon
