#include "ops/linear.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/op_profile.h"
#include "kernels/linear_fast.h"
#include "quant/modelopt.h"

namespace nt {

float dot_f32(const float* a, const float* b, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int j = 0; j < 16; ++j) acc[j] += a[i + j] * b[i + j];
  }
  float s = 0;
  for (; i < n; ++i) s += a[i] * b[i];
  for (int j = 0; j < 16; ++j) s += acc[j];
  return s;
}

void convert_rows(const TensorView& t, int64_t row, int64_t count, float* out) {
  if (t.wq != WeightQuant::None) return modelopt_convert_rows(t, row, count, out);  // ModelOpt FP8 / NVFP4
  const int64_t cols = t.rank() == 1 ? t.dim(0) : t.numel() / t.dim(0);
  const int64_t n = cols * count, start = row * cols;
  if (t.quantized()) {
    // Block types: each row is a whole number of blocks (checked when the weights were bound).
    const GgmlTypeTraits& tr = ggml_type_traits(t.qtype);
    NT_CHECK(tr.dequantize != nullptr && cols % tr.block_size == 0);
    const size_t rb = static_cast<size_t>(cols / tr.block_size) * tr.type_size;
    for (int64_t r = 0; r < count; ++r) {
      tr.dequantize(t.data + static_cast<size_t>(row + r) * rb, out + r * cols, cols);
    }
    return;
  }
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(out, t.data + 4 * start, static_cast<size_t>(n) * 4);
      break;
    case DType::BF16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(t.data) + start;
      for (int64_t i = 0; i < n; ++i) {
        uint32_t u = static_cast<uint32_t>(p[i]) << 16;
        std::memcpy(out + i, &u, 4);
      }
      break;
    }
    case DType::F16: {
      const uint16_t* p = reinterpret_cast<const uint16_t*>(t.data) + start;
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(p[i]);
      break;
    }
    default:
      NT_CHECK(false && "convert_rows: unsupported dtype");
  }
}

void linear_reference(const Linear& l, const float* x, int64_t T, float* y, ThreadPool& pool) {
  const int64_t n_out = l.out(), n_in = l.in();
  const bool f32 = l.w.dtype == DType::F32 && !l.w.quantized();
  // Rows are handed out in blocks; each block of weight rows is converted once and used for all T tokens.
  constexpr int64_t kRowBlock = 16;
  const int64_t n_blocks = (n_out + kRowBlock - 1) / kRowBlock;
  pool.parallel_for_dynamic(n_blocks, 4, [&](int64_t b0, int64_t b1, int) {
    std::vector<float> buf(f32 ? 0 : static_cast<size_t>(kRowBlock * n_in));
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = b * kRowBlock, nr = std::min(kRowBlock, n_out - r0);
      const float* w;
      if (f32) {
        w = reinterpret_cast<const float*>(l.w.data) + r0 * n_in;
      } else {
        convert_rows(l.w, r0, nr, buf.data());
        w = buf.data();
      }
      for (int64_t t = 0; t < T; ++t) {
        const float* xt = x + t * n_in;
        float* yt = y + t * n_out + r0;
        for (int64_t r = 0; r < nr; ++r) yt[r] = dot_f32(w + r * n_in, xt, n_in);
      }
    }
  });
  if (!l.bias.empty()) {
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = 0; r < n_out; ++r) y[t * n_out + r] += l.bias[static_cast<size_t>(r)];
  }
}

namespace {

std::atomic<int>& kernels_choice() {
  static std::atomic<int> choice{[] {
    const char* e = std::getenv("NEMOTRON_KERNELS");
    return static_cast<int>(e != nullptr && std::strcmp(e, "reference") == 0 ? LinearKernels::kReference
                                                                               : LinearKernels::kFast);
  }()};
  return choice;
}

}  // namespace

void set_linear_kernels(LinearKernels k) { kernels_choice().store(static_cast<int>(k)); }

LinearKernels linear_kernels() { return static_cast<LinearKernels>(kernels_choice().load()); }

void linear(const Linear& l, const float* x, int64_t T, float* y, ThreadPool& pool) {
  std::string op;
  if (prof::enabled()) op = "linear." + prof::weight_role(l.w.name);
  prof::OpScope scope(op, static_cast<double>(l.w.nbytes));
  if (linear_kernels() == LinearKernels::kReference) return linear_reference(l, x, T, y, pool);
  kernels::linear_fast(l, x, T, y, pool, kernels::best_isa());
}

void linear_many(std::span<const LinearCall> calls, ThreadPool& pool) {
  if (calls.empty()) return;
  std::string op;
  double bytes = 0;
  if (prof::enabled()) {
    op = "linear_many." + prof::weight_role(calls[0].l->w.name);
    for (const LinearCall& c : calls) bytes += static_cast<double>(c.l->w.nbytes);
  }
  prof::OpScope scope(op, bytes);
  if (linear_kernels() == LinearKernels::kReference) {
    for (const LinearCall& c : calls) linear_reference(*c.l, c.x, c.T, c.y, pool);
    return;
  }
  kernels::linear_fast_many(calls, pool, kernels::best_isa());
}

}  // namespace nt
