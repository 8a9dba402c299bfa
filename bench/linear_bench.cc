// Linear-layer benchmark on the Nemotron-H-8B matrix shapes (hidden 4096): decode GEMV (T = 1) in GB/s of weight
// bytes and prefill GEMM (T = 512 by default) in GFLOP/s, for the fast route and the reference route, at 1 and 2
// threads, next to the memory read bandwidth measured in the same run (a multi-threaded streaming read of a
// buffer much larger than the last-level cache). One JSON object per line.
//
// Usage: linear_bench [--types f32,bf16,q8_0,q4_0,q4_K,q6_K] (also fp8, nvfp4: ModelOpt) [--threads 1,2]
//                     [--gemm-t 512] [--ref-gemm-t 32] [--no-ref] [--bw-mib 1024] [--shapes mamba_out_proj,...]
//                     [--gemm-shape mamba_out_proj] (the shape the GEMM runs on; lm_head only when named)
//                     [--no-pack] (stored layout even where the model would pack the weight at load)
//                     [--no-peak] [--reps N]  (exactly N timed calls each, e.g. for instruction counts under perf stat)
//                     [--stream-mib 1024] (also "gemv_stream": T = 1 over distinct copies of the weight filling this
//                     many MiB, one after another as decode walks the layers, so no call finds its weight in cache;
//                     0 turns it off) [--many 8] (also "gemv_many": the copies in groups of this many per
//                     linear_fast_many call, as a MoE decode step reads its selected experts; 1 turns it off)
// The weights are a few rows quantized from random values, tiled over the whole matrix (quantizing 100M values
// with the reference K-quant quantizers would take minutes and does not change the speed).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <ctime>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/dtype.h"
#include "core/scratch.h"
#include "kernels/amx_check.h"
#include "kernels/linear_fast.h"
#include "kernels/packed_weight.h"
#include "ops/linear.h"
#include "perf/machine_roofline.h"
#include "quant/ggml_type.h"
#include "quant/modelopt.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU time of the whole process (all threads), in seconds: on a shared, loaded machine the CPU time a call
// consumes is a steadier measure of kernel speed than its wall time.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double g_best_cpu = 0;  // CPU seconds of the fastest-CPU call of the last time_call

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> v;
  size_t p = 0;
  while (p <= s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    if (q > p) v.push_back(s.substr(p, q - p));
    p = q + 1;
  }
  return v;
}

struct Weight {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> scale;  // ModelOpt NVFP4 block scales (counted in the weight bytes)
  nt::Linear l;
};

float amax(const float* x, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

// ModelOpt FP8 (per-tensor scale) or NVFP4 [out, in], quantized as ModelOpt does (quant/modelopt_export.h) from
// kSeedRows random rows tiled over the matrix.
Weight make_modelopt_weight(bool nvfp4, int64_t out, int64_t in, int64_t seed_rows, const std::vector<float>& src) {
  Weight w;
  const float s = amax(src.data(), seed_rows * in) / (nvfp4 ? 6.0f * 448.0f : 448.0f);
  const size_t rb = static_cast<size_t>(nvfp4 ? in / 2 : in), sb = static_cast<size_t>(nvfp4 ? in / 16 : 0);
  w.bytes.assign(rb * static_cast<size_t>(out), 0);
  w.scale.resize(sb * static_cast<size_t>(out));
  for (int64_t r = 0; r < seed_rows; ++r) {
    for (int64_t b = 0; b < in / 16; ++b) {
      const float* x = src.data() + r * in + b * 16;
      float denom = s;
      if (nvfp4) {
        const uint8_t bs = nt::f32_to_e4m3(amax(x, 16) / 6.0f / s);
        w.scale[static_cast<size_t>(r) * sb + static_cast<size_t>(b)] = bs;
        if (nt::e4m3_to_f32(bs) > 0.0f) denom = nt::e4m3_to_f32(bs) * s;
      }
      for (int j = 0; j < 16; ++j) {
        const size_t i = static_cast<size_t>(r) * rb + static_cast<size_t>(nvfp4 ? (b * 16 + j) / 2 : b * 16 + j);
        if (!nvfp4) w.bytes[i] = nt::f32_to_e4m3(x[j] / denom);
        else w.bytes[i] |= static_cast<uint8_t>(nt::f32_to_e2m1(x[j] / denom) << ((j & 1) ? 4 : 0));
      }
    }
  }
  for (int64_t r = seed_rows; r < out; ++r) {
    std::memcpy(w.bytes.data() + rb * r, w.bytes.data() + rb * (r % seed_rows), rb);
    std::memcpy(w.scale.data() + sb * r, w.scale.data() + sb * (r % seed_rows), sb);
  }
  w.l.w = nt::TensorView{nvfp4 ? "nvfp4" : "fp8", nvfp4 ? nt::DType::U8 : nt::DType::F8_E4M3, {out, in}, w.bytes.data(),
                         w.bytes.size()};
  w.l.w.wq = nvfp4 ? nt::WeightQuant::Nvfp4 : nt::WeightQuant::Fp8;
  w.l.w.wscale = nvfp4 ? w.scale.data() : nullptr;
  w.l.w.wscale2 = s;
  return w;
}

Weight make_weight(const std::string& type, int64_t out, int64_t in) {
  nt::GgmlType q = nt::GgmlType::F32;
  nt::DType dt = nt::DType::F32;
  bool quantized = false;
  if (type == "bf16") {
    dt = nt::DType::BF16;
  } else if (type == "f16") {
    dt = nt::DType::F16;
  } else if (type != "f32" && type != "fp8" && type != "nvfp4") {
    if (!nt::ggml_type_from_name(type, &q)) {
      std::fprintf(stderr, "unknown type %s\n", type.c_str());
      std::exit(2);
    }
    quantized = true;
    dt = nt::DType::U8;
  }
  constexpr int64_t kSeedRows = 16;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> src(static_cast<size_t>(kSeedRows * in));
  for (auto& v : src) v = 0.02f * nd(rng);
  if (type == "fp8" || type == "nvfp4") return make_modelopt_weight(type == "nvfp4", out, in, kSeedRows, src);
  Weight w;
  size_t rb;
  std::vector<uint8_t> seed;
  if (quantized) {
    const nt::GgmlTypeTraits& tr = nt::ggml_type_traits(q);
    rb = static_cast<size_t>(in / tr.block_size) * tr.type_size;
    seed.resize(rb * kSeedRows);
    for (int64_t r = 0; r < kSeedRows; ++r) tr.quantize(src.data() + r * in, seed.data() + r * rb, in);
  } else {
    rb = static_cast<size_t>(in) * nt::dtype_size(dt);
    seed.resize(rb * kSeedRows);
    for (size_t i = 0; i < src.size(); ++i) {
      if (dt == nt::DType::F32) {
        std::memcpy(&seed[4 * i], &src[i], 4);
      } else {
        const uint16_t h = dt == nt::DType::F16 ? nt::f32_to_f16(src[i]) : nt::f32_to_bf16(src[i]);
        std::memcpy(&seed[2 * i], &h, 2);
      }
    }
  }
  w.bytes.resize(rb * static_cast<size_t>(out));
  for (int64_t r = 0; r < out; ++r) std::memcpy(w.bytes.data() + rb * r, seed.data() + rb * (r % kSeedRows), rb);
  w.l.w = nt::TensorView{type, dt, {out, in}, w.bytes.data(), w.bytes.size(), q};
  return w;
}

// Seconds per call: repeats until `budget` seconds have passed (at least `min_reps`), reports the best.
template <typename F>
double time_call(F&& f, double budget, int min_reps) {
  f();  // warm-up
  double best = 1e30, total = 0;
  g_best_cpu = 1e30;
  for (int rep = 0; rep < min_reps || total < budget; ++rep) {
    const double c0 = process_cpu_seconds();
    const auto t0 = Clock::now();
    f();
    const double s = seconds_since(t0);
    g_best_cpu = std::min(g_best_cpu, process_cpu_seconds() - c0);
    best = std::min(best, s);
    total += s;
    if (rep > 1000 && min_reps <= 1000) break;
  }
  return best;
}

struct Shape {
  const char* name;
  int64_t out, in;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> types = {"f32", "bf16", "q8_0", "q4_0", "q4_K", "q6_K"};
  std::vector<int> threads = {1, 2};
  int64_t gemm_t = 512, ref_gemm_t = 32, bw_mib = 1024, stream_mib = 1024;
  bool ref = true;
  std::vector<std::string> only_shapes;
  bool peak = true;
  bool pack = true;
  int many = 8;        // gemv_many: copies per linear_fast_many call (1: off)
  int fixed_reps = 0;  // > 0: exactly this many timed calls per measurement (for instruction counts under perf)
  std::string gemm_shape_name = "mamba_out_proj";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--types") types = split(next());
    else if (a == "--threads") { threads.clear(); for (auto& s : split(next())) threads.push_back(std::stoi(s)); }
    else if (a == "--gemm-t") gemm_t = std::stoll(next());
    else if (a == "--ref-gemm-t") ref_gemm_t = std::stoll(next());
    else if (a == "--bw-mib") bw_mib = std::stoll(next());
    else if (a == "--stream-mib") stream_mib = std::stoll(next());
    else if (a == "--many") many = std::stoi(next());
    else if (a == "--no-ref") ref = false;
    else if (a == "--no-peak") peak = false;
    else if (a == "--no-pack") pack = false;
    else if (a == "--shapes") only_shapes = split(next());
    else if (a == "--reps") fixed_reps = std::stoi(next());
    else if (a == "--gemm-shape") gemm_shape_name = next();
    else { std::fprintf(stderr, "unknown argument %s\n", a.c_str()); return 2; }
  }
  // Nemotron-H-8B: hidden 4096, Mamba in_proj 2·8192 + 2·8·128 + 128 = 18560 rows, out_proj from d_inner 8192,
  // MLP 21504; the output head over the 131072-token vocabulary (run only when --shapes names it: 2 GiB as f32).
  std::vector<Shape> shapes = {
      {"mamba_in_proj", 18560, 4096}, {"mamba_out_proj", 4096, 8192}, {"mlp_up", 21504, 4096}, {"mlp_down", 4096, 21504},
      // Not an 8B matrix: small enough to stay in L2, so GEMV runs at the kernel's compute rate, not memory's.
      {"l2_resident", 64, 4096},
      // A routed expert of Nemotron-3-Nano-30B-A3B (hidden 2688, expert intermediate 1856).
      {"moe_expert_up", 1856, 2688}, {"moe_expert_down", 2688, 1856},
      // Its Mamba projections: in_proj 2·4096 + 2·8·128 + 64 = 10304 rows from 2688, out_proj from d_inner 4096.
      {"moe_mamba_in_proj", 10304, 2688}, {"moe_mamba_out_proj", 2688, 4096}};
  if (std::find(only_shapes.begin(), only_shapes.end(), "lm_head") != only_shapes.end()) {
    shapes.push_back({"lm_head", 131072, 4096});
  }
  const auto gemm_it = std::find_if(shapes.begin(), shapes.end(), [&](const Shape& s) { return s.name == gemm_shape_name; });
  if (gemm_it == shapes.end()) {
    std::fprintf(stderr, "unknown --gemm-shape %s (lm_head needs --shapes lm_head)\n", gemm_shape_name.c_str());
    return 2;
  }
  const Shape gemm_shape = *gemm_it;

  const nt::kernels::Isa isa = nt::kernels::best_isa();
  std::printf("{\"bench\":\"linear\",\"cpu\":\"%s\",\"isa\":\"%s\"}\n", nt::describe(nt::cpu_features()).c_str(),
              nt::kernels::isa_name(isa));
  std::vector<double> bandwidth_at;  // read bandwidth at threads[i]
  {
    // The probe `nemotron bench` uses (huge pages, a slice per thread), so the fractions here and there compare.
    for (int th : threads) {
      nt::ThreadPool pool(th);
      const double gbs = nt::perf::measure_read_bandwidth(pool, bw_mib << 20, 5).gb_per_s;
      bandwidth_at.push_back(gbs);
      std::printf("{\"bench\":\"read_bandwidth\",\"threads\":%d,\"mib\":%lld,\"gb_per_s\":%.2f}\n", th,
                  static_cast<long long>(bw_mib), gbs);
      std::fflush(stdout);
    }
  }
  // The int8 dot-product instruction peak (the roofline of the integer GEMM routes), measured in this run; where the
  // AMX kernels run, also TDPBSSD's (the roofline of packed Q8_0 / Q4_0 / Q4_K prefill).
  if (peak) {
    for (int th : threads) {
      nt::ThreadPool pool(th);
      for (nt::perf::PeakKind kind : {nt::perf::PeakKind::kInt8Dot, nt::perf::PeakKind::kInt8Tile}) {
        if (kind == nt::perf::PeakKind::kInt8Tile && !nt::kernels::amx_kernels_ready()) continue;
        const nt::perf::PeakResult pk = nt::perf::measure_peak(pool, kind, 0.3);
        std::printf("{\"bench\":\"int8_peak\",\"threads\":%d,\"instruction\":\"%s\",\"gop_per_s\":%.1f}\n", th,
                    pk.instruction.c_str(), pk.gops_per_s);
        std::fflush(stdout);
      }
    }
  }
  for (const std::string& type : types) {
    for (const Shape& sh : shapes) {
      if (!only_shapes.empty() && std::find(only_shapes.begin(), only_shapes.end(), sh.name) == only_shapes.end()) continue;
      const bool do_gemm = std::string(sh.name) == gemm_shape.name;
      Weight w = make_weight(type, sh.out, sh.in);
      if (pack) {  // the layout the model loader gives this weight (kernels/packed_weight.h)
        nt::ThreadPool pack_pool(1);
        w.l.packed = nt::kernels::pack_weight(w.l.w, pack_pool);
      }
      const int64_t tmax = do_gemm ? std::max(gemm_t, ref_gemm_t) : 1;
      std::vector<float> x(static_cast<size_t>(tmax * sh.in)), y(static_cast<size_t>(tmax * sh.out));
      std::mt19937 rng(2);
      std::normal_distribution<float> nd;
      for (auto& v : x) v = nd(rng);
      const double wbytes = static_cast<double>(w.bytes.size() + w.scale.size());
      // Distinct copies for gemv_stream: their own packed layout where the model would pack (packed from w's
      // bytes, which the kernels then never read), else their own stored bytes.
      // Stored copies lie back to back in one buffer of huge pages, as a model's tensors do in its memory-mapped
      // file (the page cache maps a GGUF file's large folios with 2 MiB page-table entries).
      std::vector<Weight> copies;
      nt::Scratch<uint8_t> stored_copies;
      if (stream_mib > 0) {
        const int64_t n_copies = std::max<int64_t>(2, static_cast<int64_t>(stream_mib * 1048576.0 / wbytes));
        if (!w.l.packed) stored_copies.reset(static_cast<size_t>(n_copies) * w.bytes.size());
        nt::ThreadPool pack_pool(1);
        for (int64_t c = 0; c < n_copies; ++c) {
          Weight& cw = copies.emplace_back();
          cw.l.w = w.l.w;
          if (w.l.packed) {
            cw.l.packed = nt::kernels::pack_weight(w.l.w, pack_pool);
            continue;
          }
          uint8_t* data = stored_copies.data() + static_cast<size_t>(c) * w.bytes.size();
          std::memcpy(data, w.bytes.data(), w.bytes.size());
          cw.scale = w.scale;
          cw.l.w.data = data;
          if (w.l.w.wscale != nullptr) cw.l.w.wscale = cw.scale.data();
        }
      }
      for (size_t ti = 0; ti < threads.size(); ++ti) {
        const int th = threads[ti];
        nt::ThreadPool pool(th);
        if (!copies.empty()) {
          const double s = time_call([&] {
            for (const Weight& cw : copies) nt::kernels::linear_fast(cw.l, x.data(), 1, y.data(), pool, isa);
          }, fixed_reps > 0 ? 0.0 : 1.0, fixed_reps > 0 ? fixed_reps : 3);
          const double gbs = wbytes * static_cast<double>(copies.size()) / s / 1e9;
          std::printf("{\"bench\":\"gemv_stream\",\"type\":\"%s\",\"shape\":\"%s\",\"threads\":%d,\"copies\":%zu,"
                      "\"route\":\"%s\",\"ms_per_call\":%.3f,\"weight_gb_per_s\":%.2f,\"of_read_bandwidth\":%.3f}\n",
                      type.c_str(), sh.name, th, copies.size(), nt::kernels::route_name(w.l, isa).c_str(),
                      s * 1e3 / static_cast<double>(copies.size()), gbs, gbs / bandwidth_at[ti]);
          std::fflush(stdout);
          // The same copies in groups of --many per linear_fast_many call, as a MoE decode step reads its selected
          // experts (one schedule over all of a group's row blocks), taken in a shuffled order, as the selected
          // experts lie scattered over their stacked tensor.
          if (many > 1 && copies.size() >= static_cast<size_t>(many)) {
            const size_t groups = copies.size() / static_cast<size_t>(many);
            std::vector<size_t> order(copies.size());
            for (size_t k = 0; k < order.size(); ++k) order[k] = k;
            std::shuffle(order.begin(), order.end(), std::mt19937(3));
            std::vector<float> ys(static_cast<size_t>(many * sh.out));
            std::vector<nt::LinearCall> calls(static_cast<size_t>(many));
            const double sm = time_call([&] {
              for (size_t g = 0; g < groups; ++g) {
                for (int c = 0; c < many; ++c) {
                  const size_t k = order[g * static_cast<size_t>(many) + static_cast<size_t>(c)];
                  calls[static_cast<size_t>(c)] = {&copies[k].l, x.data(), 1, ys.data() + static_cast<size_t>(c * sh.out)};
                }
                nt::kernels::linear_fast_many(calls, pool, isa);
              }
            }, fixed_reps > 0 ? 0.0 : 1.0, fixed_reps > 0 ? fixed_reps : 3);
            const double gbm = wbytes * static_cast<double>(groups * static_cast<size_t>(many)) / sm / 1e9;
            std::printf("{\"bench\":\"gemv_many\",\"type\":\"%s\",\"shape\":\"%s\",\"threads\":%d,\"many\":%d,"
                        "\"route\":\"%s\",\"weight_gb_per_s\":%.2f,\"of_read_bandwidth\":%.3f}\n",
                        type.c_str(), sh.name, th, many, nt::kernels::route_name(w.l, isa).c_str(), gbm,
                        gbm / bandwidth_at[ti]);
            std::fflush(stdout);
          }
        }
        for (int route = 0; route < (ref ? 2 : 1); ++route) {
          const bool fast = route == 0;
          auto run = [&](int64_t T) {
            if (fast) nt::kernels::linear_fast(w.l, x.data(), T, y.data(), pool, isa);
            else nt::linear_reference(w.l, x.data(), T, y.data(), pool);
          };
          const std::string rname = fast ? nt::kernels::route_name(w.l, isa) : "reference";
          const double s1 = time_call([&] { run(1); }, fixed_reps > 0 ? 0.0 : 0.3, fixed_reps > 0 ? fixed_reps : 3);
          std::printf("{\"bench\":\"gemv\",\"type\":\"%s\",\"shape\":\"%s\",\"out\":%lld,\"in\":%lld,\"threads\":%d,"
                      "\"route\":\"%s\",\"T\":1,\"ms\":%.3f,\"weight_gb_per_s\":%.2f,\"cpu_ms\":%.3f,"
                      "\"weight_gb_per_cpu_s\":%.2f}\n",
                      type.c_str(), sh.name, static_cast<long long>(sh.out), static_cast<long long>(sh.in), th,
                      rname.c_str(), s1 * 1e3, wbytes / s1 / 1e9, g_best_cpu * 1e3, wbytes / g_best_cpu / 1e9);
          std::fflush(stdout);
          if (do_gemm) {
            const int64_t T = fast ? gemm_t : ref_gemm_t;
            const double s = time_call([&] { run(T); }, 0.0, fixed_reps > 0 ? fixed_reps : 2);
            const double flop = 2.0 * static_cast<double>(T) * static_cast<double>(sh.out) * static_cast<double>(sh.in);
            std::printf("{\"bench\":\"gemm\",\"type\":\"%s\",\"shape\":\"%s\",\"out\":%lld,\"in\":%lld,\"threads\":%d,"
                        "\"route\":\"%s\",\"T\":%lld,\"ms\":%.1f,\"gflop_per_s\":%.2f,\"cpu_ms\":%.1f,"
                        "\"gflop_per_cpu_s\":%.2f}\n",
                        type.c_str(), sh.name, static_cast<long long>(sh.out), static_cast<long long>(sh.in), th,
                        rname.c_str(), static_cast<long long>(T), s * 1e3, flop / s / 1e9, g_best_cpu * 1e3,
                        flop / g_best_cpu / 1e9);
            std::fflush(stdout);
          }
        }
      }
    }
  }
  return 0;
}
