// nemotron bench [-m MODEL] [-p 512] [-n 128] [-t THREADS] [-r REPS] [-b BATCH] [--bw-mb 1024] [--json] [--profile]
//                [--map-experts] [--expert-cache DIR|off]
// Prefill and decode speed of a model next to the machine's rooflines, measured in the same run:
//  - memory read bandwidth (before and after the model runs; the higher one is used, which is conservative),
//  - the peak rate of the matrix instruction the model's dominant weight type runs on,
// and the achieved fraction of each: decode = bytes touched per token (weights, Mamba state, KV cache; see
// perf/model_roofline.h) × tokens/s ÷ bandwidth; prefill = FLOPs × tokens/s ÷ peak. Also time to first token
// and the peak resident memory of the model run (measurement buffers excluded).
// --profile: one more run, after the measured ones, with per-operation timers on (core/op_profile.h): where the
// prefill and the decode steps spend their wall time, each linear layer's achieved weight bandwidth, and the part
// of the step no operation covers (thread-pool and framework overhead between operations).
// -b BATCH (> 1): also BATCH sequences decoding together, one batched forward per step (what the server's
// continuous batching runs): aggregate decode tokens/s and its ratio to the single-sequence decode of the same run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "cli.h"
#include "core/cpu_features.h"
#include "core/json.h"
#include "core/op_profile.h"
#include "kernels/amx_check.h"
#include "kernels/packed_weight.h"
#include "model/hybrid_lm.h"
#include "model_args.h"
#include "perf/machine_roofline.h"
#include "perf/model_roofline.h"
#include "perf/process_memory.h"
#include "runtime/text_model.h"

namespace nt::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The storage type holding most of the matrix bytes, e.g. "q4_0" or "BF16".
std::string dominant_type(const TensorStore& store) {
  std::map<std::string, double> bytes;
  for (const auto& [name, t] : store.tensors()) {
    if (t.rank() == 2) bytes[t.type_name()] += static_cast<double>(t.nbytes);
  }
  std::string best;
  double most = -1;
  for (const auto& [type, b] : bytes) {
    if (b > most) most = b, best = type;
  }
  return best;
}

double model_file_bytes(const std::string& path, const TensorStore& store) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) return static_cast<double>(std::filesystem::file_size(path, ec));
  double total = 0;
  for (const std::string& f : store.files()) total += static_cast<double>(std::filesystem::file_size(f, ec));
  if (total > 0) return total;
  for (const auto& [name, t] : store.tensors()) total += static_cast<double>(t.nbytes);
  return total;
}

// Where the routed experts are read from: "none" (no MoE layer), "mapped" (stored rows in the model file's mapping),
// "packed" (the anonymous arena) or "packed_file" (the packed-experts file, kernels/packed_file.h).
const char* experts_source(const HybridLM& lm) {
  for (const LayerWeights& L : lm.weights().layers) {
    if (L.moe.experts.empty()) continue;
    const auto& p = L.moe.experts.front().up_proj.packed;
    return p == nullptr ? "mapped" : p->in_file ? "packed_file" : "packed";
  }
  return "none";
}

int32_t argmax(const std::vector<float>& logits, int64_t V) {
  const auto* row = logits.data() + (static_cast<int64_t>(logits.size()) - V);
  return static_cast<int32_t>(std::max_element(row, row + V) - row);
}

struct RunTimes {
  double prefill_s = 0, ttft_s = 0, decode_s = 0;
};

// One prefill of `prompt` then `n_gen` greedy decode steps from a fresh state.
Result<RunTimes> run_once(const HybridLM& lm, const std::vector<int32_t>& prompt, int64_t n_gen, ThreadPool& pool) {
  RunTimes r;
  SequenceState state = lm.new_state();
  std::vector<float> logits;
  const int64_t V = lm.config().vocab_size;
  auto t0 = Clock::now();
  NT_RETURN_IF_ERROR(lm.forward(prompt.data(), static_cast<int64_t>(prompt.size()), state,
                                {LogitsMode::Last, ScanMode::Auto}, &logits, pool));
  r.prefill_s = seconds_since(t0);
  int32_t next = argmax(logits, V);
  r.ttft_s = seconds_since(t0);
  t0 = Clock::now();
  for (int64_t i = 0; i < n_gen; ++i) {
    NT_RETURN_IF_ERROR(lm.forward(&next, 1, state, {LogitsMode::Last, ScanMode::Auto}, &logits, pool));
    next = argmax(logits, V);
  }
  r.decode_s = seconds_since(t0);
  return r;
}

struct PhaseProfile {
  double wall_s = 0;
  std::vector<prof::OpStat> ops;
};

// The run of run_once with the operation timers on, prefill and decode recorded separately.
Result<std::pair<PhaseProfile, PhaseProfile>> profile_once(const HybridLM& lm, const std::vector<int32_t>& prompt,
                                                           int64_t n_gen, ThreadPool& pool) {
  PhaseProfile pre, dec;
  SequenceState state = lm.new_state();
  std::vector<float> logits;
  const int64_t V = lm.config().vocab_size;
  prof::reset();
  prof::set_enabled(true);
  auto t0 = Clock::now();
  Status s = lm.forward(prompt.data(), static_cast<int64_t>(prompt.size()), state, {LogitsMode::Last, ScanMode::Auto},
                        &logits, pool);
  pre.wall_s = seconds_since(t0);
  pre.ops = prof::snapshot();
  prof::reset();
  int32_t next = s ? argmax(logits, V) : 0;
  t0 = Clock::now();
  for (int64_t i = 0; s && i < n_gen; ++i) {
    s = lm.forward(&next, 1, state, {LogitsMode::Last, ScanMode::Auto}, &logits, pool);
    if (s) next = argmax(logits, V);
  }
  dec.wall_s = seconds_since(t0);
  dec.ops = prof::snapshot();
  prof::set_enabled(false);
  prof::reset();
  NT_RETURN_IF_ERROR(s);
  return std::make_pair(std::move(pre), std::move(dec));
}

// `batch` copies of the state after prefilling `prompt`, then `n_gen` steps that advance all of them together
// (one token each, greedy). Returns the seconds of the decode steps; with `profile`, the steps' operation times.
Result<double> run_batched(const HybridLM& lm, const std::vector<int32_t>& prompt, int64_t n_gen, int64_t batch,
                           ThreadPool& pool, PhaseProfile* profile) {
  const int64_t V = lm.config().vocab_size;
  std::vector<float> logits;
  SequenceState first = lm.new_state();
  NT_RETURN_IF_ERROR(lm.forward(prompt.data(), static_cast<int64_t>(prompt.size()), first,
                                {LogitsMode::Last, ScanMode::Auto}, &logits, pool));
  std::vector<SequenceState> states(static_cast<size_t>(batch), first);
  std::vector<int32_t> next(static_cast<size_t>(batch), argmax(logits, V));
  std::vector<HybridLM::BatchItem> items;
  for (int64_t b = 0; b < batch; ++b) items.push_back({&next[b], 1, &states[b], LogitsMode::Last});
  auto step = [&]() -> Status {
    NT_RETURN_IF_ERROR(lm.forward_batch(items, ScanMode::Auto, &logits, pool));
    for (int64_t b = 0; b < batch; ++b) {
      const float* row = logits.data() + b * V;
      next[b] = static_cast<int32_t>(std::max_element(row, row + V) - row);
    }
    return Status::ok();
  };
  if (profile) {
    prof::reset();
    prof::set_enabled(true);
  }
  const auto t0 = Clock::now();
  Status s = Status::ok();
  for (int64_t i = 0; s && i < n_gen; ++i) s = step();
  const double seconds = seconds_since(t0);
  if (profile) {
    profile->wall_s = seconds;
    profile->ops = prof::snapshot();
    prof::set_enabled(false);
    prof::reset();
  }
  NT_RETURN_IF_ERROR(s);
  return seconds;
}

// Per operation: calls and milliseconds per step, share of the step's wall time, weight GB/s for linear layers;
// "(not covered)" is the step time outside every operation.
Json profile_json(const PhaseProfile& p, double steps) {
  Json ops = Json::array();
  double covered = 0;
  for (const prof::OpStat& op : p.ops) {
    covered += op.seconds;
    Json row = {{"op", op.name},
                {"calls_per_step", static_cast<double>(op.calls) / steps},
                {"ms_per_step", op.seconds * 1e3 / steps},
                {"share", p.wall_s > 0 ? op.seconds / p.wall_s : 0.0}};
    if (op.bytes > 0) row["weight_gb_per_s"] = op.seconds > 0 ? op.bytes / op.seconds * 1e-9 : 0.0;
    ops.push_back(std::move(row));
  }
  ops.push_back(Json{{"op", "(not covered)"},
                     {"ms_per_step", (p.wall_s - covered) * 1e3 / steps},
                     {"share", p.wall_s > 0 ? (p.wall_s - covered) / p.wall_s : 0.0}});
  return Json{{"ms_per_step", p.wall_s * 1e3 / steps}, {"ops", std::move(ops)}};
}

void print_profile(const char* phase, const Json& j) {
  std::printf("%s profile: %.2f ms per step\n", phase, j["ms_per_step"].get<double>());
  std::printf("  %-28s %8s %10s %7s %9s\n", "op", "calls", "ms/step", "share", "GB/s");
  for (const Json& row : j["ops"]) {
    const double calls = row.contains("calls_per_step") ? row["calls_per_step"].get<double>() : 0.0;
    std::printf("  %-28s %8.1f %10.3f %6.1f%%", row["op"].get<std::string>().c_str(), calls, row["ms_per_step"].get<double>(),
                100 * row["share"].get<double>());
    if (row.contains("weight_gb_per_s")) std::printf(" %9.2f", row["weight_gb_per_s"].get<double>());
    std::printf("\n");
  }
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  Args args({"-m", "--model", "-p", "--prompt-tokens", "-n", "--gen-tokens", "-t", "--threads", "-r", "--reps",
             "--bw-mb", "-b", "--batch", kExpertCacheFlag},
            {"--json", "--profile", kMapExpertsSwitch});
  if (Status s = args.parse(argc, argv); !s) return fail("bench", s);
  auto p = args.get_int({"-p", "--prompt-tokens"}, 512);
  auto n = args.get_int({"-n", "--gen-tokens"}, 128);
  auto reps = args.get_int({"-r", "--reps"}, 1);
  auto bw_mb = args.get_int({"--bw-mb"}, 1024);
  auto batch = args.get_int({"-b", "--batch"}, 1);
  auto threads = thread_count(args);
  for (const Status& s : {p.status(), n.status(), reps.status(), bw_mb.status(), batch.status(), threads.status()}) {
    if (!s) return fail("bench", s);
  }
  if (*p < 1 || *p > (1 << 20)) return fail("bench", Status::error("-p must be between 1 and 1048576 (prompt tokens)"));
  if (*n < 0 || *n > (1 << 20)) return fail("bench", Status::error("-n must be between 0 and 1048576 (generated tokens)"));
  if (*reps < 1 || *reps > 100) return fail("bench", Status::error("-r must be between 1 and 100"));
  if (*batch < 1 || *batch > 256) return fail("bench", Status::error("-b must be between 1 and 256 (sequences)"));
  if (*bw_mb < 16 || *bw_mb > (1 << 16)) return fail("bench", Status::error("--bw-mb must be between 16 and 65536"));

  const std::string path = args.get({"-m", "--model"}, default_model_dir());
  auto model = HybridLM::load(path, load_options(args));
  if (!model) return fail("bench", model.status());
  const HybridLM& lm = **model;
  const ModelConfig& c = lm.config();
  if (c.max_position_embeddings > 0 && *p + *n > (int64_t{1} << 22)) {
    return fail("bench", Status::error("-p + -n is too long"));
  }
  ThreadPool pool(*threads);
  // A ModelOpt checkpoint is named by its algorithm: its excluded BF16 matrices may well hold more bytes.
  const std::string type = c.quant.enabled() ? std::string(modelopt_algo_name(c.quant.algo)) : dominant_type(lm.store());
  const perf::PeakKind kind = perf::peak_kind_for_type(type);

  // Rooflines first (their buffers are freed before the model's peak memory is recorded).
  const perf::BandwidthResult bw_before = perf::measure_read_bandwidth(pool, *bw_mb << 20, 5);
  const perf::PeakResult peak = perf::measure_peak(pool, kind, 0.25);
  const bool rss_reset = perf::reset_peak_rss();

  // Prompt: deterministic pseudo-random ids (speed does not depend on the values).
  std::vector<int32_t> prompt(static_cast<size_t>(*p));
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int32_t& id : prompt) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    id = static_cast<int32_t>((x >> 33) % static_cast<uint64_t>(c.vocab_size));
  }
  RunTimes best;
  for (int64_t r = 0; r < *reps; ++r) {
    auto t = run_once(lm, prompt, *n, pool);
    if (!t) return fail("bench", t.status());
    if (r == 0 || t->prefill_s < best.prefill_s) best.prefill_s = t->prefill_s, best.ttft_s = t->ttft_s;
    if (r == 0 || t->decode_s < best.decode_s) best.decode_s = t->decode_s;
  }
  double batch_decode_s = 0;
  if (*batch > 1 && *n > 0) {
    auto s = run_batched(lm, prompt, *n, *batch, pool, nullptr);
    if (!s) return fail("bench", s.status());
    batch_decode_s = *s;
  }
  const int64_t peak_rss = perf::peak_rss_bytes();
  const perf::BandwidthResult bw_after = perf::measure_read_bandwidth(pool, *bw_mb << 20, 5);
  const double bw = std::max(bw_before.gb_per_s, bw_after.gb_per_s);

  const perf::DecodeBytes db = perf::decode_bytes(lm);
  const double mean_past = static_cast<double>(*p) + static_cast<double>(std::max<int64_t>(*n - 1, 0)) / 2;
  const double bytes_per_token = db.at(mean_past);
  const double decode_tps = *n > 0 ? static_cast<double>(*n) / best.decode_s : 0.0;
  const double decode_gbs = bytes_per_token * decode_tps * 1e-9;
  const perf::PrefillFlops pf = perf::prefill_flops(lm);
  const double prefill_flops = pf.total(static_cast<double>(*p));
  const double prefill_tps = static_cast<double>(*p) / best.prefill_s;
  const double prefill_gflops = prefill_flops / best.prefill_s * 1e-9;
  const double file_bytes = model_file_bytes(path, lm.store());
  const double cache_bytes = static_cast<double>(*batch) * (static_cast<double>(recurrent_state_bytes(c)) +
                             static_cast<double>(kv_bytes_per_token(c)) * static_cast<double>(*p + *n));
  const double batch_tps = batch_decode_s > 0 ? static_cast<double>(*batch * *n) / batch_decode_s : 0.0;

  Json out = {
      {"model", path},
      {"weight_type", type},
      {"threads", *threads},
      {"isa", describe(cpu_features())},
      {"amx_kernels", kernels::amx_kernels_ready()},
      {"experts", experts_source(lm)},
      {"prompt_tokens", *p},
      {"gen_tokens", *n},
      {"reps", *reps},
      {"prefill_tokens_per_s", prefill_tps},
      {"decode_tokens_per_s", decode_tps},
      {"ttft_s", best.ttft_s},
      {"bandwidth_gb_per_s", bw},
      {"bandwidth_before_gb_per_s", bw_before.gb_per_s},
      {"bandwidth_after_gb_per_s", bw_after.gb_per_s},
      {"decode_bytes_per_token", bytes_per_token},
      {"decode_weight_bytes_per_token", db.weights},
      {"decode_state_bytes_per_token", db.state},
      {"decode_gb_per_s", decode_gbs},
      {"decode_bandwidth_fraction", bw > 0 ? decode_gbs / bw : 0.0},
      {"decode_roofline_tokens_per_s", bw * 1e9 / bytes_per_token},
      {"peak_instruction", peak.instruction},
      {"peak_gops_per_s", peak.gops_per_s},
      {"prefill_flops_per_token", prefill_flops / static_cast<double>(*p)},
      {"prefill_gflops_per_s", prefill_gflops},
      {"prefill_peak_fraction", peak.gops_per_s > 0 ? prefill_gflops / peak.gops_per_s : 0.0},
      {"peak_rss_bytes", rss_reset ? Json(peak_rss) : Json(nullptr)},
      {"model_file_bytes", file_bytes},
      {"cache_bytes", cache_bytes},
  };
  if (batch_tps > 0) {
    out["batch"] = *batch;
    out["batch_decode_tokens_per_s"] = batch_tps;
    out["batch_decode_speedup"] = decode_tps > 0 ? batch_tps / decode_tps : 0.0;
  }
  if (args.has("--profile")) {
    auto pr = profile_once(lm, prompt, *n, pool);
    if (!pr) return fail("bench", pr.status());
    out["prefill_profile"] = profile_json(pr->first, 1.0);
    if (*n > 0) out["decode_profile"] = profile_json(pr->second, static_cast<double>(*n));
    if (batch_tps > 0) {
      PhaseProfile bp;
      auto s = run_batched(lm, prompt, *n, *batch, pool, &bp);
      if (!s) return fail("bench", s.status());
      out["batch_decode_profile"] = profile_json(bp, static_cast<double>(*n));
    }
  }
  if (args.has("--json")) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("model            %s (%s, %s%s)\n", path.c_str(), type.c_str(), describe(cpu_features()).c_str(),
              kernels::amx_kernels_ready() ? "; AMX prefill kernels on" : "");
  std::printf("threads          %d\n", *threads);
  if (std::string e = experts_source(lm); e != "none") std::printf("experts          %s\n", e.c_str());
  std::printf("bandwidth        %.2f GB/s read (before %.2f, after %.2f)\n", bw, bw_before.gb_per_s, bw_after.gb_per_s);
  std::printf("peak             %.1f GOP/s  %s\n", peak.gops_per_s, peak.instruction.c_str());
  std::printf("prefill  pp%-5lld %.2f tok/s  %.1f GFLOP/s = %.1f%% of peak  (TTFT %.3f s)\n",
              static_cast<long long>(*p), prefill_tps, prefill_gflops,
              100 * (peak.gops_per_s > 0 ? prefill_gflops / peak.gops_per_s : 0.0), best.ttft_s);
  if (*n > 0) {
    std::printf("decode   tg%-5lld %.2f tok/s  %.2f GB/s = %.1f%% of bandwidth  (%.1f MB/token; roofline %.2f tok/s)\n",
                static_cast<long long>(*n), decode_tps, decode_gbs, 100 * (bw > 0 ? decode_gbs / bw : 0.0),
                bytes_per_token * 1e-6, bw * 1e9 / bytes_per_token);
  }
  if (batch_tps > 0) {
    std::printf("decode   batch %-3lld %.2f tok/s = %.2fx the single-sequence decode\n", static_cast<long long>(*batch),
                batch_tps, out["batch_decode_speedup"].get<double>());
  }
  if (rss_reset) {
    std::printf("peak RSS         %.1f MiB (model file %.1f MiB, caches %.1f MiB)\n", peak_rss / 1048576.0,
                file_bytes / 1048576.0, cache_bytes / 1048576.0);
  }
  if (out.contains("prefill_profile")) print_profile("prefill", out["prefill_profile"]);
  if (out.contains("decode_profile")) print_profile("decode", out["decode_profile"]);
  if (out.contains("batch_decode_profile")) print_profile("batched decode", out["batch_decode_profile"]);
  return 0;
}

}  // namespace nt::cli
