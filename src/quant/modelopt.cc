#include "quant/modelopt.h"

#include <fnmatch.h>

#include <cmath>
#include <cstring>

#include "core/strings.h"
#include "formats/safetensors.h"

namespace nt {

namespace {

struct AlgoName { ModelOptAlgo algo; std::string_view name; };
constexpr AlgoName kAlgos[] = {
    {ModelOptAlgo::Fp8, "FP8"},
    {ModelOptAlgo::Fp8PerChannel, "FP8_PER_CHANNEL_PER_TOKEN"},
    {ModelOptAlgo::Nvfp4, "NVFP4"},
    {ModelOptAlgo::W4A16Nvfp4, "W4A16_NVFP4"},
};

// 256-entry value tables, built once from the bit fields.
struct Tables {
  float e4m3[256];
  float e2m1[16];
  Tables() {
    for (int c = 0; c < 256; ++c) {
      const int e = (c >> 3) & 15, m = c & 7;
      float v;
      if (e == 15 && m == 7) v = NAN;
      else if (e == 0) v = std::ldexp(static_cast<float>(m), -9);          // subnormal: m/8 · 2^-6
      else v = std::ldexp(static_cast<float>(8 + m), e - 10);              // (1 + m/8) · 2^(e-7)
      e4m3[c] = (c & 0x80) ? -v : v;
    }
    for (int c = 0; c < 16; ++c) {
      const int e = (c >> 1) & 3, m = c & 1;
      const float v = e == 0 ? 0.5f * static_cast<float>(m) : std::ldexp(static_cast<float>(2 + m), e - 2);
      e2m1[c] = (c & 8) ? -v : v;
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// Nearest code among the `n` non-negative codes 0..n-1 (ascending values), ties to the even code; saturating.
uint8_t nearest_code(const float* values, int n, float a) {
  int lo = 0;
  while (lo + 1 < n && values[lo + 1] <= a) ++lo;
  if (lo + 1 >= n) return static_cast<uint8_t>(n - 1);
  const float dl = a - values[lo], dh = values[lo + 1] - a;
  if (dl < dh) return static_cast<uint8_t>(lo);
  if (dh < dl) return static_cast<uint8_t>(lo + 1);
  return static_cast<uint8_t>((lo & 1) ? lo + 1 : lo);
}

std::string upper(std::string s) {
  for (char& ch : s) if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return s;
}

Status read_string_list(const Json& j, const char* key, const std::string& what, std::vector<std::string>* out) {
  if (!j.contains(key) || j[key].is_null()) return Status::ok();
  if (!j[key].is_array()) return Status::error(cat(what, ": '", key, "' must be a list of module name patterns, found ", json_type_name(j[key])));
  for (const auto& e : j[key]) {
    if (!e.is_string()) return Status::error(cat(what, ": '", key, "' entries must be strings, found ", json_type_name(e)));
    out->push_back(e.get<std::string>());
  }
  return Status::ok();
}

// One description object: flat (quant_algo, ignore / exclude_modules, kv_cache_quant_algo, group_size).
Status read_description(const Json& q, const std::string& what, ModelOptConfig* c) {
  if (!q.contains("quant_algo") || !q["quant_algo"].is_string()) {
    return Status::error(cat(what, ": expected a string 'quant_algo' (FP8, FP8_PER_CHANNEL_PER_TOKEN, NVFP4 or W4A16_NVFP4)"));
  }
  const std::string algo = upper(q["quant_algo"].get<std::string>());
  c->algo = ModelOptAlgo::None;
  for (const auto& a : kAlgos) if (a.name == algo) c->algo = a.algo;
  if (c->algo == ModelOptAlgo::None) {
    return Status::error(cat(what, ": unsupported quant_algo '", q["quant_algo"].get<std::string>(),
                             "' (supported: FP8, FP8_PER_CHANNEL_PER_TOKEN, NVFP4, W4A16_NVFP4)"));
  }
  c->exclude.clear();
  NT_RETURN_IF_ERROR(read_string_list(q, "exclude_modules", what, &c->exclude));
  NT_RETURN_IF_ERROR(read_string_list(q, "ignore", what, &c->exclude));
  if (q.contains("kv_cache_quant_algo") && q["kv_cache_quant_algo"].is_string()) {
    c->kv_cache_algo = q["kv_cache_quant_algo"].get<std::string>();
  }
  if (q.contains("group_size") && !q["group_size"].is_null()) {
    if (!q["group_size"].is_number_integer()) return Status::error(cat(what, ": 'group_size' must be an integer, found ", q["group_size"].dump()));
    c->group_size = q["group_size"].get<int64_t>();
  }
  if (modelopt_algo_is_nvfp4(c->algo) && c->group_size != 16) {
    return Status::error(cat(what, ": NVFP4 group_size must be 16, found ", c->group_size));
  }
  return Status::ok();
}

Status parse_one(const Json& j, const std::string& what, ModelOptConfig* c) {
  if (!j.is_object()) return Status::error(cat(what, ": expected an object, found ", json_type_name(j)));
  if (j.contains("quant_method")) {
    if (!j["quant_method"].is_string() || j["quant_method"].get<std::string>() != "modelopt") {
      return Status::error(cat(what, ": quant_method ", j["quant_method"].dump(), " is not supported (expected \"modelopt\")"));
    }
  }
  if (j.contains("quantization")) {
    if (!j["quantization"].is_object()) return Status::error(cat(what, ": 'quantization' must be an object, found ", json_type_name(j["quantization"])));
    return read_description(j["quantization"], what + ".quantization", c);
  }
  return read_description(j, what, c);
}

std::string hex_byte(uint8_t b) {
  const char* d = "0123456789abcdef";
  return std::string{d[b >> 4], d[b & 15]};
}

bool is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

float scalar_value(const TensorView& t) {
  switch (t.dtype) {
    case DType::F32: { float f; std::memcpy(&f, t.data, 4); return f; }
    case DType::F16: { uint16_t h; std::memcpy(&h, t.data, 2); return f16_to_f32(h); }
    default: { uint16_t h; std::memcpy(&h, t.data, 2); return bf16_to_f32(h); }
  }
}

bool is_scalar_shape(const std::vector<int64_t>& s) { return s.empty() || (s.size() == 1 && s[0] == 1); }

// A per-tensor scale: F32 (F16/BF16 accepted) of shape [] or [1], finite and > 0.
Result<float> read_scalar_scale(const TensorView& t) {
  if (!is_float(t.dtype)) return Status::error(cat("tensor '", t.name, "' has dtype ", dtype_name(t.dtype), ", expected F32 (a per-tensor scale)"));
  if (!is_scalar_shape(t.shape)) return Status::error(cat("tensor '", t.name, "' has shape ", shape_str(t.shape), ", expected [] or [1] (a per-tensor scale)"));
  const float v = scalar_value(t);
  if (!std::isfinite(v) || !(v > 0.0f)) return Status::error(cat("tensor '", t.name, "' holds ", v, ", expected a finite positive scale"));
  return v;
}

const TensorView* find_used(const TensorStore& store, const std::string& name, std::vector<std::string>* used) {
  const TensorView* t = store.find(name);
  if (t) used->push_back(name);
  return t;
}

}  // namespace

std::string_view modelopt_algo_name(ModelOptAlgo a) {
  for (const auto& e : kAlgos) if (e.algo == a) return e.name;
  return "none";
}

bool modelopt_algo_is_nvfp4(ModelOptAlgo a) { return a == ModelOptAlgo::Nvfp4 || a == ModelOptAlgo::W4A16Nvfp4; }

bool ModelOptConfig::excluded(const std::string& module) const {
  std::string alt;
  if (starts_with(module, "backbone.")) alt = "model." + module.substr(9);
  else if (starts_with(module, "model.")) alt = "backbone." + module.substr(6);
  for (const auto& p : exclude) {
    if (fnmatch(p.c_str(), module.c_str(), 0) == 0) return true;
    if (!alt.empty() && fnmatch(p.c_str(), alt.c_str(), 0) == 0) return true;
  }
  return false;
}

Result<ModelOptConfig> parse_modelopt_config(const Json* quantization_config, const Json* hf_quant_config) {
  ModelOptConfig c;
  if (quantization_config) {
    NT_RETURN_IF_ERROR(parse_one(*quantization_config, "config.json quantization_config", &c));
    c.source = "config.json quantization_config";
    if (hf_quant_config) {
      ModelOptConfig h;
      NT_RETURN_IF_ERROR(parse_one(*hf_quant_config, "hf_quant_config.json", &h));
      if (h.algo != c.algo) {
        return Status::error(cat("config.json quantization_config says quant_algo ", modelopt_algo_name(c.algo),
                                 " but hf_quant_config.json says ", modelopt_algo_name(h.algo)));
      }
    }
  } else if (hf_quant_config) {
    NT_RETURN_IF_ERROR(parse_one(*hf_quant_config, "hf_quant_config.json", &c));
    c.source = "hf_quant_config.json";
  }
  return c;
}

float e4m3_to_f32(uint8_t code) { return tables().e4m3[code]; }
float e2m1_to_f32(uint8_t code) { return tables().e2m1[code & 15]; }

uint8_t f32_to_e4m3(float x) {
  if (std::isnan(x)) return 0x7F;
  const float a = std::fabs(x);
  uint8_t c;
  if (a >= 448.0f) {
    c = 0x7E;  // saturate (0x7F is NaN)
  } else if (a < 0.015625f) {
    c = static_cast<uint8_t>(std::nearbyint(a * 512.0f));  // subnormals: steps of 2^-9 (8 -> 2^-6, code 0x08)
  } else {
    int e;
    std::frexp(a, &e);                                        // a = f · 2^e, f in [0.5, 1): exponent e-1
    int q = static_cast<int>(std::nearbyint(std::ldexp(a, 4 - e)));  // 8..16 steps of 2^(e-4)
    int be = e - 1 + 7;
    if (q == 16) { q = 8; ++be; }
    c = (be > 15 || (be == 15 && q - 8 == 7)) ? 0x7E : static_cast<uint8_t>((be << 3) | (q - 8));
  }
  return std::signbit(x) ? static_cast<uint8_t>(c | 0x80) : c;
}

uint8_t f32_to_e2m1(float x) {
  if (std::isnan(x)) return 0;
  const uint8_t c = nearest_code(tables().e2m1, 8, std::fabs(x));
  return (std::signbit(x) && c != 0) ? static_cast<uint8_t>(c | 8) : c;
}

bool modelopt_module_quantized(const TensorStore& store, const std::string& module) {
  const TensorView* w = store.find(module + ".weight");
  if (w && !w->quantized() && (w->dtype == DType::F8_E4M3 || w->dtype == DType::U8)) return true;  // not a ggml block type
  for (const char* s : {".weight_scale", ".weight_scale_2", ".input_scale"}) {
    if (store.find(module + s)) return true;
  }
  return false;
}

Status check_modelopt_scalar_scale(const TensorView& t) {
  auto v = read_scalar_scale(t);
  return v.is_ok() ? Status::ok() : v.status();
}

Result<TensorView> bind_modelopt_linear(const ModelOptConfig& cfg, const TensorStore& store, const std::string& module,
                                        int64_t out, int64_t in, std::vector<std::string>* used) {
  const std::string wname = module + ".weight";
  const TensorView* w = find_used(store, wname, used);
  if (!w) return Status::error(cat("missing tensor '", wname, "' (expected shape ", shape_str({out, in}), ")"));
  const bool fp8 = w->dtype == DType::F8_E4M3, packed = w->dtype == DType::U8;
  if (!fp8 && !packed) {
    // A float weight with ModelOpt scale tensors: the scales belong to a quantized weight.
    for (const char* s : {".weight_scale", ".weight_scale_2", ".input_scale"}) {
      if (store.find(module + s)) {
        return Status::error(cat("tensor '", module, s, "' is a quantization scale but '", wname, "' is stored as ",
                                 dtype_name(w->dtype), ", expected F8_E4M3 (FP8) or U8 (packed NVFP4)"));
      }
    }
    return Status::error(cat("internal: ", wname, " is not quantized"));
  }
  if (!cfg.enabled()) {
    return Status::error(cat("tensor '", wname, "' is stored as ", dtype_name(w->dtype),
                             " but the checkpoint has no ModelOpt description (config.json quantization_config with "
                             "quant_method \"modelopt\", or hf_quant_config.json)"));
  }
  if (cfg.excluded(module)) {
    return Status::error(cat("tensor '", wname, "' is stored as ", dtype_name(w->dtype), " but module '", module,
                             "' is excluded from quantization by ", cfg.source, ", expected F32, F16 or BF16"));
  }
  const bool want_nvfp4 = modelopt_algo_is_nvfp4(cfg.algo);
  if (fp8 == want_nvfp4) {
    return Status::error(cat("tensor '", wname, "' has dtype ", dtype_name(w->dtype), ", expected ",
                             want_nvfp4 ? "U8 (packed NVFP4)" : "F8_E4M3", " for quant_algo ", modelopt_algo_name(cfg.algo),
                             " (", cfg.source, ")"));
  }
  TensorView v = *w;
  v.shape = {out, in};
  const TensorView* scale = find_used(store, module + ".weight_scale", used);
  if (!scale) return Status::error(cat("missing tensor '", module, ".weight_scale' (the scale of quantized '", wname, "')"));

  if (fp8) {
    if (w->shape != std::vector<int64_t>{out, in}) {
      return Status::error(cat("tensor '", wname, "' has shape ", shape_str(w->shape), ", expected ", shape_str({out, in})));
    }
    v.wq = WeightQuant::Fp8;
    if (cfg.algo == ModelOptAlgo::Fp8PerChannel) {
      if (scale->dtype != DType::F32) {
        return Status::error(cat("tensor '", scale->name, "' has dtype ", dtype_name(scale->dtype), ", expected F32 (per-channel scale)"));
      }
      if (scale->shape != std::vector<int64_t>{out} && scale->shape != std::vector<int64_t>{out, 1}) {
        return Status::error(cat("tensor '", scale->name, "' has shape ", shape_str(scale->shape), ", expected ", shape_str({out}),
                                 " (one scale per output channel)"));
      }
      for (int64_t o = 0; o < out; ++o) {
        float s;
        std::memcpy(&s, scale->data + 4 * o, 4);
        if (!std::isfinite(s) || !(s > 0.0f)) {
          return Status::error(cat("tensor '", scale->name, "' row ", o, " holds ", s, ", expected a finite positive scale"));
        }
      }
      v.wscale = scale->data;
    } else {
      NT_ASSIGN_OR_RETURN(v.wscale2, read_scalar_scale(*scale));
    }
  } else {
    const int64_t g = cfg.group_size;
    if (in % g != 0) {
      return Status::error(cat("tensor '", wname, "': input size ", in, " is not a multiple of the NVFP4 group size ", g));
    }
    if (w->shape != std::vector<int64_t>{out, in / 2}) {
      return Status::error(cat("tensor '", wname, "' has shape ", shape_str(w->shape), ", expected ", shape_str({out, in / 2}),
                               " (packed NVFP4: two E2M1 codes per byte of a ", shape_str({out, in}), " weight)"));
    }
    if (scale->dtype != DType::F8_E4M3) {
      return Status::error(cat("tensor '", scale->name, "' has dtype ", dtype_name(scale->dtype), ", expected F8_E4M3 (NVFP4 block scales)"));
    }
    if (scale->shape != std::vector<int64_t>{out, in / g}) {
      return Status::error(cat("tensor '", scale->name, "' has shape ", shape_str(scale->shape), ", expected ",
                               shape_str({out, in / g}), " (one E4M3 scale per ", g, " inputs)"));
    }
    // E4M3 codes 0x7F (NaN) and 0x80..0xFF (negative) are invalid block scales: byte >= 0x7F.
    for (size_t i = 0; i < scale->nbytes; ++i) {
      if (scale->data[i] >= 0x7F) {
        return Status::error(cat("tensor '", scale->name, "' block [", static_cast<int64_t>(i) / (in / g), ", ",
                                 static_cast<int64_t>(i) % (in / g), "] holds E4M3 code 0x", hex_byte(scale->data[i]), " (",
                                 e4m3_to_f32(scale->data[i]), "), expected a finite non-negative scale"));
      }
    }
    const TensorView* s2 = find_used(store, module + ".weight_scale_2", used);
    if (!s2) return Status::error(cat("missing tensor '", module, ".weight_scale_2' (the per-tensor scale of NVFP4 '", wname, "')"));
    NT_ASSIGN_OR_RETURN(v.wscale2, read_scalar_scale(*s2));
    v.wq = WeightQuant::Nvfp4;
    v.wscale = scale->data;
  }
  if (const TensorView* is = find_used(store, module + ".input_scale", used)) {
    NT_RETURN_IF_ERROR(check_modelopt_scalar_scale(*is));
  }
  return v;
}

void modelopt_convert_rows(const TensorView& t, int64_t row, int64_t count, float* out) {
  const Tables& tb = tables();
  const int64_t in = t.dim(1);
  if (t.wq == WeightQuant::Fp8) {
    for (int64_t r = 0; r < count; ++r) {
      const uint8_t* p = t.data + static_cast<size_t>(row + r) * static_cast<size_t>(in);
      float s = t.wscale2;
      if (t.wscale) std::memcpy(&s, t.wscale + 4 * static_cast<size_t>(row + r), 4);
      float* o = out + r * in;
      for (int64_t i = 0; i < in; ++i) o[i] = tb.e4m3[p[i]] * s;
    }
    return;
  }
  NT_CHECK(t.wq == WeightQuant::Nvfp4 && in % 16 == 0);
  const int64_t nb = in / 16;
  const float s2 = t.wscale2;
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t* p = t.data + static_cast<size_t>(row + r) * static_cast<size_t>(in / 2);
    const uint8_t* bs = t.wscale + static_cast<size_t>(row + r) * static_cast<size_t>(nb);
    float* o = out + r * in;
    for (int64_t b = 0; b < nb; ++b) {
      const float s = tb.e4m3[bs[b]];
      for (int j = 0; j < 8; ++j) {
        const uint8_t byte = p[b * 8 + j];
        o[b * 16 + 2 * j] = (tb.e2m1[byte & 15] * s) * s2;      // low nibble: even column
        o[b * 16 + 2 * j + 1] = (tb.e2m1[byte >> 4] * s) * s2;  // high nibble: odd column
      }
    }
  }
}

}  // namespace nt
