// NVIDIA ModelOpt FP8 / NVFP4 checkpoints (spec §13): the quantization config, the exact E4M3 and E2M1 value
// tables, binding of one quantized Linear's tensors, and row dequantization for convert_rows.
//
// Weight layouts (PyTorch order, per quantized Linear `<module>`):
//   FP8                        weight F8_E4M3 [out, in]; weight_scale F32 [] (per tensor); input_scale F32 []
//   FP8_PER_CHANNEL_PER_TOKEN  weight F8_E4M3 [out, in]; weight_scale F32 [out] or [out, 1]; no input_scale
//   NVFP4                      weight U8 [out, in/2] (two E2M1 codes per byte, low nibble = even column);
//                              weight_scale F8_E4M3 [out, in/16]; weight_scale_2 F32 []; input_scale F32 []
//   W4A16_NVFP4                as NVFP4 without input_scale
// Dequantized weights (exact, one rounding to fp32):
//   FP8:   W[o,i] = e4m3(code) · weight_scale                       (per tensor, or [o] per channel)
//   NVFP4: W[o,i] = (e2m1(code) · e4m3(weight_scale[o, i/16])) · weight_scale_2   (the first product is exact)
// Activations stay fp32: this engine computes with the dequantized weights only. input_scale (the static
// activation scale of W8A8 / W4A4 GPU kernels) is validated and otherwise unused, so results equal the
// dequantized-weight model rather than a simulation of activation quantization (see docs/quantization.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "formats/tensor_view.h"

namespace nt {

class TensorStore;

enum class ModelOptAlgo : uint8_t { None, Fp8, Fp8PerChannel, Nvfp4, W4A16Nvfp4 };

// "FP8", "FP8_PER_CHANNEL_PER_TOKEN", "NVFP4", "W4A16_NVFP4" ("none" for None).
std::string_view modelopt_algo_name(ModelOptAlgo a);
bool modelopt_algo_is_nvfp4(ModelOptAlgo a);

struct ModelOptConfig {
  ModelOptAlgo algo = ModelOptAlgo::None;
  std::string kv_cache_algo;          // e.g. "FP8"; the KV cache stays fp32 here (k_scale / v_scale unused)
  int64_t group_size = 16;            // NVFP4 block size along the input dimension
  std::vector<std::string> exclude;   // fnmatch patterns over module names (exclude_modules / ignore)
  std::string source;                 // where the description came from, for messages

  bool enabled() const { return algo != ModelOptAlgo::None; }
  // True if a pattern matches `module` (a checkpoint module name such as "backbone.layers.3.mixer.in_proj";
  // the same name with the other of the "backbone."/"model." prefixes is tried too).
  bool excluded(const std::string& module) const;
};

// Reads config.json's `quantization_config` (null if absent) and hf_quant_config.json (null if absent).
// Both layouts are accepted: {"quant_method": "modelopt", "quant_algo", "ignore", ...} and
// {"quantization": {"quant_algo", "kv_cache_quant_algo", "exclude_modules", ...}}. Unknown algorithms and
// other quant_methods are errors.
Result<ModelOptConfig> parse_modelopt_config(const Json* quantization_config, const Json* hf_quant_config);

// Exact format tables.
float e4m3_to_f32(uint8_t code);      // float8_e4m3fn: bias 7, no infinities, 0x7F/0xFF = NaN, max 448
float e2m1_to_f32(uint8_t code);      // low 4 bits: sign bit 3, magnitudes {0, .5, 1, 1.5, 2, 3, 4, 6}
// Round to nearest, ties to even; saturating (±448 / ±6); NaN -> 0x7F (E4M3) / 0 (E2M1).
uint8_t f32_to_e4m3(float x);
uint8_t f32_to_e2m1(float x);

// True if `<module>.weight` is stored in a ModelOpt quantized dtype (F8_E4M3 or U8) or has ModelOpt scale tensors.
bool modelopt_module_quantized(const TensorStore& store, const std::string& module);

// Binds the tensors of one quantized Linear `<module>` of logical shape [out, in]: checks the config (a quantized
// weight needs a ModelOpt config whose algorithm it matches and must not be excluded), dtypes, shapes, packed
// sizes and that every scale is finite and positive (NVFP4 block scales: finite and not negative). Appends the
// names it consumed to `used`. The returned view has the logical shape [out, in].
Result<TensorView> bind_modelopt_linear(const ModelOptConfig& cfg, const TensorStore& store, const std::string& module,
                                        int64_t out, int64_t in, std::vector<std::string>* used);

// Validates an optional attention KV-cache scale (k_scale / v_scale): F32 scalar, finite, positive.
Status check_modelopt_scalar_scale(const TensorView& t);

// Dequantizes rows [row, row + count) of a ModelOpt weight (t.wq != None) to fp32. out: [count, in]
void modelopt_convert_rows(const TensorView& t, int64_t row, int64_t count, float* out);

}  // namespace nt
