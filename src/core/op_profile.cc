#include "core/op_profile.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

namespace nt::prof {
namespace {

struct Table {
  std::mutex mu;
  std::map<std::string, OpStat, std::less<>> ops;
};

Table& table() {
  static Table t;
  return t;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::atomic<bool> g_enabled{false};

void set_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }

void reset() {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  t.ops.clear();
}

void record(std::string_view name, double seconds, double bytes) {
  Table& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto it = t.ops.find(name);
  if (it == t.ops.end()) it = t.ops.emplace(std::string(name), OpStat{std::string(name)}).first;
  it->second.calls += 1;
  it->second.seconds += seconds;
  it->second.bytes += bytes;
}

std::vector<OpStat> snapshot() {
  Table& t = table();
  std::vector<OpStat> out;
  {
    std::lock_guard<std::mutex> lock(t.mu);
    for (const auto& [name, s] : t.ops) out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const OpStat& a, const OpStat& b) { return a.seconds > b.seconds; });
  return out;
}

std::string weight_role(std::string_view name) {
  if (name.ends_with(".weight")) name.remove_suffix(7);
  // A routed expert sliced from a stacked tensor is named "...experts.up_proj[e]": the index goes too.
  if (const size_t open = name.rfind('['); open != std::string_view::npos && name.ends_with(']') &&
      all_digits(name.substr(open + 1, name.size() - open - 2))) {
    name = name.substr(0, open);
  }
  // Keep what follows the last all-digit component (layer or expert index).
  size_t start = 0, pos = 0;
  while (pos <= name.size()) {
    size_t dot = name.find('.', pos);
    if (dot == std::string_view::npos) dot = name.size();
    if (all_digits(name.substr(pos, dot - pos))) start = std::min(dot + 1, name.size());
    pos = dot + 1;
  }
  std::string_view role = name.substr(start);
  return std::string(role.empty() ? name : role);
}

}  // namespace nt::prof
