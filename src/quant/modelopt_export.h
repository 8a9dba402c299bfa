// Writes a ModelOpt-layout FP8 / NVFP4 checkpoint from a loaded unquantized model (`nemotron quantize
// --type fp8|fp8_per_channel|nvfp4|w4a16_nvfp4`), and summarizes a model's weight types (`nemotron info`).
//
// Output directory: the weights (model.safetensors, or shards + model.safetensors.index.json above 5 GB), tensors
// named and laid out as ModelOpt exports them (<m>.weight, <m>.weight_scale, <m>.weight_scale_2, <m>.input_scale;
// quant/modelopt_stream.h), config.json with quantization_config (quant_method "modelopt", quant_algo, ignore),
// hf_quant_config.json ({"quantization": {quant_algo, exclude_modules}}), and every other file of the source
// directory (tokenizer, generation config) copied. The weights are streamed: memory stays at one block of rows.
//
// Quantization: ModelOpt's recipe (quant/modelopt_quantize.h). input_scale is written as 1.0 for FP8 and NVFP4:
// no activation calibration is run (this engine quantizes weights only); GPU runtimes that use static activation
// scales should recalibrate.
// Excluded (kept in the source dtype), following NVIDIA's Nemotron FP8/NVFP4 releases (spec §13): lm_head,
// embeddings, Mamba conv1d, the MoE router, every attention layer and the Mamba layer feeding each attention
// layer. Stacked expert tensors ([E, I, D] in one tensor) are kept unquantized.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/status.h"
#include "formats/safetensors.h"
#include "model/config.h"
#include "model/weights.h"
#include "quant/modelopt.h"

namespace nt {

// "fp8", "fp8_per_channel", "nvfp4", "w4a16_nvfp4" -> algorithm; false if unknown.
bool modelopt_algo_from_type(const std::string& type, ModelOptAlgo* out);

// The exclusion patterns written for a model (module names with the checkpoint's prefix).
std::vector<std::string> modelopt_default_exclude(const ModelConfig& c, const std::string& prefix);

struct ModelOptExportStats {
  int64_t quantized = 0;  // Linear weights written quantized
  int64_t kept = 0;       // Linear weights kept in their source dtype (excluded or stacked)
};

// src_dir: the source Hugging Face directory (its config.json is extended, other files copied). `threads` quantize
// rows in parallel (the output does not depend on the count).
Result<ModelOptExportStats> export_modelopt(const std::string& src_dir, const std::string& out_dir, ModelOptAlgo algo,
                                            const ModelConfig& c, const ModelWeights& w, const TensorStore& store,
                                            int threads = 1);

// Writes out_dir/config.json (`config` plus quantization_config: quant_method "modelopt", quant_algo, ignore,
// producer) and out_dir/hf_quant_config.json ({"producer", "quantization": {quant_algo, exclude_modules, ...}}).
Status write_modelopt_configs(const std::string& out_dir, Json config, ModelOptAlgo algo,
                              const std::vector<std::string>& exclude, const std::string& producer);

// One line per weight role ("in_proj", "experts.up_proj", "lm_head", ...) with its storage types and counts,
// e.g. "in_proj FP8_E4M3 x3, BF16 x1".
std::vector<std::string> describe_weight_types(const ModelWeights& w);

}  // namespace nt
