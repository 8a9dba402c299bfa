// The inverse of parse_model_config: a ModelConfig as Hugging Face Nemotron-H config.json fields, for writers of
// checkpoints (`nemotron synth` to a Hugging Face directory). parse_model_config(dump) gives the config back.
#pragma once

#include "core/json.h"
#include "model/config.h"

namespace nt {

// `base` (e.g. the config.json the model was described by) keeps its other fields (architectures, rope_theta, ...);
// every field parse_model_config reads is set from `c` under its primary name, and aliases that would be read
// instead are removed. quantization_config is left to the caller.
Json model_config_to_json(const ModelConfig& c, Json base = Json::object());

}  // namespace nt
