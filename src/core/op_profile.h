// Wall-time accounting per operation, for `nemotron bench --profile`: where a forward step spends its time.
//
// Off by default; a disabled OpScope costs one relaxed atomic load. An OpScope measures the wall time of the
// operation on the thread that calls it (the forward's caller), so the thread pool's wake-ups, load imbalance and
// joins inside the operation count towards it. Scopes are meant to be leaves (kernels, linear layers, element-wise
// passes): the sum of all scopes next to the step's wall time shows what no scope covers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nt::prof {

struct OpStat {
  std::string name;   // "linear.ssm_in", "ssm_scan", "rms_norm", ...
  int64_t calls = 0;
  double seconds = 0;
  double bytes = 0;   // weight bytes read (linear layers), else 0
};

extern std::atomic<bool> g_enabled;

inline bool enabled() { return g_enabled.load(std::memory_order_relaxed); }
void set_enabled(bool on);
void reset();
// All ops recorded since the last reset, most time first.
std::vector<OpStat> snapshot();
void record(std::string_view name, double seconds, double bytes);

// "blk.12.ssm_in.weight" / "backbone.layers.12.mixer.in_proj.weight" -> "ssm_in" / "mixer.in_proj": the weight's
// role, without its layer prefix, expert index ("experts.5.down_proj" or "experts.up_proj[5]") and ".weight" suffix.
std::string weight_role(std::string_view tensor_name);

class OpScope {
 public:
  explicit OpScope(std::string_view name, double bytes = 0) {
    if (enabled()) name_ = name, bytes_ = bytes, t0_ = std::chrono::steady_clock::now(), on_ = true;
  }
  ~OpScope() {
    if (on_) record(name_, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(), bytes_);
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  std::string_view name_;
  double bytes_ = 0;
  std::chrono::steady_clock::time_point t0_;
  bool on_ = false;
};

}  // namespace nt::prof
