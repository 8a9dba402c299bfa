// Random-weight models of any size written as a Hugging Face directory (`nemotron synth --type bf16|fp8|nvfp4|...
// --out DIR`): config.json in the Nemotron-H format, safetensors weights (sharded above max_shard_bytes, with
// model.safetensors.index.json) named as the released checkpoints name them, and for the ModelOpt types exactly
// the tensors, scales, exclusions and quantization configs that `nemotron quantize --type` writes
// (quant/modelopt_stream.h, quant/modelopt_export.h).
//
// The weights are those of formats/synth_weights.h, stored in `dtype`; a ModelOpt type quantizes them as stored
// (BF16 from the CLI), so `synth --type fp8` equals `synth --type bf16` followed by `quantize --type fp8`, byte for
// byte.
// Rows are generated while the files are written: memory stays at one block of rows whatever the model size.
#pragma once

#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "core/json.h"
#include "core/status.h"
#include "model/config.h"
#include "quant/modelopt.h"

namespace nt {

struct HfSynthOptions {
  DType dtype = DType::BF16;               // stored type of every unquantized tensor: F32, F16 or BF16
  ModelOptAlgo algo = ModelOptAlgo::None;  // None: no quantization
  uint64_t seed = 1;
  int threads = 1;
  uint64_t max_shard_bytes = 5'000'000'000;
  Json base_config = Json::object();       // config.json fields kept as they are (architectures, rope_theta, ...)
};

struct HfSynthStats {
  int64_t quantized = 0;  // Linear weights written in the ModelOpt layout
  int64_t kept = 0;       // Linear weights kept in `dtype` (excluded, or not a whole number of NVFP4 blocks)
};

// Writes the model into `dir` (created if needed; an earlier checkpoint's weight files, config.json and
// hf_quant_config.json there are replaced).
Result<HfSynthStats> synth_hf(const std::string& dir, const ModelConfig& c, const HfSynthOptions& o);

// Copies the tokenizer files of `tok_dir` (tokenizer.json, tokenizer_config.json, special_tokens_map.json,
// chat_template.jinja, generation_config.json; those present) into `dir`.
Status copy_tokenizer_files(const std::string& tok_dir, const std::string& dir);

}  // namespace nt
