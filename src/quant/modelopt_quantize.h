// ModelOpt's weight quantization recipe, one row at a time (round to nearest even, saturating), so that a writer
// can stream a weight: a first pass for the tensor-wide amax, then each row on its own.
//   FP8:   weight_scale = amax(W) / 448;  code = e4m3(W / weight_scale)       (per channel: per-row amax)
//   NVFP4: weight_scale_2 = amax(W) / (6·448); block scale s = e4m3(amax(block) / 6 / weight_scale_2);
//          code = e2m1(W / (s · weight_scale_2))  (a zero block scale divides by weight_scale_2 alone)
// A scale that would be zero or not finite (an all-zero weight) is 1.
#pragma once

#include <cstdint>

namespace nt {

// max |x[i]| (NaN entries are skipped). x: [n]
float modelopt_amax(const float* x, int64_t n);

// weight_scale of an FP8 weight (or of one row, per channel) from its amax.
float modelopt_fp8_scale(float amax);
// weight_scale_2 of an NVFP4 weight from its amax.
float modelopt_nvfp4_scale2(float amax);

// x: [in] -> codes: [in] E4M3 codes of x / scale.
void modelopt_fp8_row(const float* x, int64_t in, float scale, uint8_t* codes);

// x: [in], in % 16 == 0 -> packed: [in / 2] (two E2M1 codes per byte, low nibble = even column),
// block_scales: [in / 16] E4M3.
void modelopt_nvfp4_row(const float* x, int64_t in, float scale2, uint8_t* packed, uint8_t* block_scales);

}  // namespace nt
