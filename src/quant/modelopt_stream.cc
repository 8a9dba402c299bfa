#include "quant/modelopt_stream.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/strings.h"
#include "quant/modelopt_quantize.h"

namespace nt {

namespace {

bool is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

// Rows of fp32 scratch per source read: about 4 MiB.
int64_t chunk_rows(int64_t cols) { return std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(cols, 1)); }

// The value a tensor stored in `t` holds for x.
void round_to(DType t, float* x, int64_t n) {
  if (t == DType::BF16) {
    for (int64_t i = 0; i < n; ++i) x[i] = round_bf16(x[i]);
  } else if (t == DType::F16) {
    for (int64_t i = 0; i < n; ++i) x[i] = f16_to_f32(f32_to_f16(x[i]));
  }
}

void encode(DType t, const float* x, int64_t n, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) {
    if (t == DType::F32) {
      std::memcpy(out + 4 * i, x + i, 4);
    } else {
      const uint16_t h = t == DType::BF16 ? f32_to_bf16(x[i]) : f32_to_f16(x[i]);
      out[2 * i] = static_cast<uint8_t>(h);
      out[2 * i + 1] = static_cast<uint8_t>(h >> 8);
    }
  }
}

Result<StreamedTensor> as_stored(const SourceTensor& src) {
  StreamedTensor s{src.name, src.dtype, src.shape, {}, {}, {}};
  const size_t rb = s.row_bytes();
  if (src.raw) {
    const uint8_t* raw = src.raw;
    s.fill = [raw, rb](int64_t row, int64_t count, uint8_t* out) {
      std::memcpy(out, raw + static_cast<size_t>(row) * rb, static_cast<size_t>(count) * rb);
    };
    return s;
  }
  if (!src.rows || !is_float(src.dtype)) {
    return Status::error(cat("tensor '", src.name, "': expected stored bytes, or rows of an F32/F16/BF16 tensor; found ",
                             src.rows ? std::string(dtype_name(src.dtype)) + " rows" : "neither"));
  }
  const int64_t cols = src.shape.empty() ? 1 : src.shape.back();
  const DType dt = src.dtype;
  RowSource rows = src.rows;
  s.fill = [rows, cols, dt, rb](int64_t row, int64_t count, uint8_t* out) {
    std::vector<float> x(static_cast<size_t>(std::min(count, chunk_rows(cols)) * cols));
    for (int64_t r = 0; r < count; r += chunk_rows(cols)) {
      const int64_t n = std::min(chunk_rows(cols), count - r);
      rows(row + r, n, x.data());
      encode(dt, x.data(), n * cols, out + static_cast<size_t>(r) * rb);
    }
  };
  return s;
}

// One quantized Linear [out, in], shared by the streams of its tensors.
struct QuantJob {
  RowSource rows;
  DType src = DType::BF16;
  ModelOptAlgo algo = ModelOptAlgo::Fp8;
  int64_t out = 0, in = 0;
  bool have_tensor_scale = false;
  float tensor_scale = 1.0f;          // FP8 weight_scale (per tensor) or NVFP4 weight_scale_2
  std::vector<float> row_scale;       // FP8 per channel: [out]
  std::vector<uint8_t> block_scale;   // NVFP4: [out, in/16]
  bool scales_ready = false;          // row_scale / block_scale hold every row

  bool nvfp4() const { return modelopt_algo_is_nvfp4(algo); }
  bool per_channel() const { return algo == ModelOptAlgo::Fp8PerChannel; }
  size_t code_bytes() const { return static_cast<size_t>(nvfp4() ? in / 2 : in); }

  // The weight's values as stored in the source. x: [count, in]
  void read(int64_t row, int64_t count, float* x) const {
    rows(row, count, x);
    round_to(src, x, count * in);
  }

  // Runs fn(row, count, thread) over every row in chunks, split across the pool.
  void for_chunks(ThreadPool& pool, const std::function<void(int64_t, int64_t, int)>& fn) const {
    const int64_t chunk = chunk_rows(in), n = (out + chunk - 1) / chunk;
    pool.parallel_for(n, [&](int64_t b, int64_t e, int th) {
      for (int64_t c = b; c < e; ++c) fn(c * chunk, std::min(chunk, out - c * chunk), th);
    });
  }

  void prepare_weight(ThreadPool& pool) {
    if (per_channel()) row_scale.assign(static_cast<size_t>(out), 0.0f);
    if (nvfp4()) block_scale.assign(static_cast<size_t>(out * (in / 16)), 0);
    if (have_tensor_scale || per_channel()) return;
    std::vector<float> part(static_cast<size_t>(pool.size()), 0.0f);
    for_chunks(pool, [&](int64_t row, int64_t count, int th) {
      std::vector<float> x(static_cast<size_t>(count * in));
      read(row, count, x.data());
      part[static_cast<size_t>(th)] = std::max(part[static_cast<size_t>(th)], modelopt_amax(x.data(), count * in));
    });
    const float amax = *std::max_element(part.begin(), part.end());
    tensor_scale = nvfp4() ? modelopt_nvfp4_scale2(amax) : modelopt_fp8_scale(amax);
    have_tensor_scale = true;
  }

  // Codes of rows [row, row + count) (codes: [count, code_bytes()]); records their row / block scales.
  void quantize(int64_t row, int64_t count, uint8_t* codes) {
    std::vector<float> x(static_cast<size_t>(std::min(count, chunk_rows(in)) * in));
    for (int64_t r = 0; r < count; r += chunk_rows(in)) {
      const int64_t n = std::min(chunk_rows(in), count - r);
      read(row + r, n, x.data());
      for (int64_t i = 0; i < n; ++i) {
        const int64_t o = row + r + i;
        const float* xr = x.data() + i * in;
        uint8_t* c = codes + static_cast<size_t>(r + i) * code_bytes();
        if (nvfp4()) {
          modelopt_nvfp4_row(xr, in, tensor_scale, c, block_scale.data() + o * (in / 16));
        } else if (per_channel()) {
          row_scale[static_cast<size_t>(o)] = modelopt_fp8_scale(modelopt_amax(xr, in));
          modelopt_fp8_row(xr, in, row_scale[static_cast<size_t>(o)], c);
        } else {
          modelopt_fp8_row(xr, in, tensor_scale, c);
        }
      }
    }
  }

  // After the scale tensor was written. (Swapped out: `v = {}` would keep the capacity.)
  void release_scales() {
    std::vector<float>().swap(row_scale);
    std::vector<uint8_t>().swap(block_scale);
    scales_ready = false;
  }

  // For a scale tensor written before its weight: a quantizing pass whose codes are dropped.
  void ensure_scales(ThreadPool& pool) {
    if (scales_ready) return;
    prepare_weight(pool);
    for_chunks(pool, [&](int64_t row, int64_t count, int) {
      std::vector<uint8_t> discard(static_cast<size_t>(count) * code_bytes());
      quantize(row, count, discard.data());
    });
    scales_ready = true;
  }
};

using Prepare = std::function<Status(ThreadPool&)>;

void scalar_f32(std::vector<StreamedTensor>& out, std::string name, std::function<float()> value, Prepare prepare = {}) {
  StreamedTensor s{std::move(name), DType::F32, {}, std::move(prepare), {}, {}};
  s.fill = [value](int64_t, int64_t, uint8_t* o) {
    const float v = value();
    std::memcpy(o, &v, 4);
  };
  out.push_back(std::move(s));
}

Status quantized(const SourceTensor& src, ModelOptAlgo algo, std::vector<StreamedTensor>& out) {
  if (src.shape.size() != 2 || !ends_with(src.name, ".weight")) {
    return Status::error(cat("tensor '", src.name, "': expected a Linear weight '<module>.weight' [out, in] to quantize, found shape ", shape_str(src.shape)));
  }
  auto job = std::make_shared<QuantJob>();
  job->src = src.dtype;
  job->algo = algo;
  job->out = src.shape[0];
  job->in = src.shape[1];
  if (job->nvfp4() && job->in % 16 != 0) {
    return Status::error(cat("tensor '", src.name, "': NVFP4 needs a multiple of 16 inputs, found ", job->in));
  }
  if (!src.rows || !is_float(src.dtype)) {
    return Status::error(cat("tensor '", src.name, "': expected F32/F16/BF16 rows to quantize, found ",
                             src.rows ? std::string(dtype_name(src.dtype)) + " rows" : "none"));
  }
  job->rows = src.rows;
  const std::string m = src.name.substr(0, src.name.size() - 7);
  const int64_t o = job->out, in = job->in;
  StreamedTensor w{src.name, job->nvfp4() ? DType::U8 : DType::F8_E4M3, {o, job->nvfp4() ? in / 2 : in}, {}, {}, {}};
  w.prepare = [job](ThreadPool& pool) { job->prepare_weight(pool); return Status::ok(); };
  w.fill = [job](int64_t row, int64_t count, uint8_t* codes) { job->quantize(row, count, codes); };
  w.done = [job] { job->scales_ready = true; };
  out.push_back(std::move(w));

  auto tensor_scale = [job] { return job->tensor_scale; };
  Prepare need_tensor_scale = [job](ThreadPool& pool) {
    if (!job->have_tensor_scale) job->prepare_weight(pool);
    return Status::ok();
  };
  Prepare need_scales = [job](ThreadPool& pool) {
    job->ensure_scales(pool);
    return Status::ok();
  };
  if (job->nvfp4()) {
    StreamedTensor s{m + ".weight_scale", DType::F8_E4M3, {o, in / 16}, need_scales, {}, {}};
    s.fill = [job](int64_t row, int64_t count, uint8_t* b) {
      const size_t nb = static_cast<size_t>(job->in / 16);
      std::memcpy(b, job->block_scale.data() + static_cast<size_t>(row) * nb, static_cast<size_t>(count) * nb);
    };
    s.done = [job] { job->release_scales(); };
    out.push_back(std::move(s));
    scalar_f32(out, m + ".weight_scale_2", tensor_scale, need_tensor_scale);
  } else if (job->per_channel()) {
    StreamedTensor s{m + ".weight_scale", DType::F32, {o}, need_scales, {}, {}};
    s.fill = [job](int64_t row, int64_t count, uint8_t* b) {  // one row: [out]
      const size_t n = static_cast<size_t>(job->out);
      std::memcpy(b, job->row_scale.data() + static_cast<size_t>(row) * n, static_cast<size_t>(count) * n * 4);
    };
    s.done = [job] { job->release_scales(); };
    out.push_back(std::move(s));
  } else {
    scalar_f32(out, m + ".weight_scale", tensor_scale, need_tensor_scale);
  }
  if (algo == ModelOptAlgo::Fp8 || algo == ModelOptAlgo::Nvfp4) scalar_f32(out, m + ".input_scale", [] { return 1.0f; });
  return Status::ok();
}

}  // namespace

bool modelopt_quantizes(const ModelOptConfig& qc, const std::string& weight_name, const std::vector<int64_t>& shape) {
  if (shape.size() != 2 || !ends_with(weight_name, ".weight")) return false;
  if (qc.excluded(weight_name.substr(0, weight_name.size() - 7))) return false;
  return !modelopt_algo_is_nvfp4(qc.algo) || shape[1] % 16 == 0;
}

Result<std::vector<StreamedTensor>> modelopt_stream(std::vector<SourceTensor> tensors, ModelOptAlgo algo) {
  std::vector<StreamedTensor> out;
  for (const SourceTensor& t : tensors) {
    if (!t.quantize) {
      NT_ASSIGN_OR_RETURN(StreamedTensor s, as_stored(t));
      out.push_back(std::move(s));
      continue;
    }
    if (algo == ModelOptAlgo::None) return Status::error(cat("tensor '", t.name, "' is marked for quantization but no ModelOpt algorithm was given"));
    NT_RETURN_IF_ERROR(quantized(t, algo, out));
  }
  std::sort(out.begin(), out.end(), [](const StreamedTensor& a, const StreamedTensor& b) { return a.name < b.name; });
  return out;
}

}  // namespace nt
