#include "model_args.h"

#include <cerrno>
#include <cstdlib>

#include "core/strings.h"
#include "core/thread_pool.h"

namespace nt::cli {

Result<std::vector<int32_t>> parse_token_list(const std::string& s) {
  std::vector<int32_t> out;
  if (s.find_first_not_of(" \t") == std::string::npos) return Status::error("--tokens is empty: expected ids like 1,2,3");
  for (auto part : split(s, ',')) {
    std::string p(part);
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || errno == ERANGE) {
      return Status::error(cat("--tokens: expected comma-separated integer ids, found '", p, "'"));
    }
    if (v < 0 || v > INT32_MAX) return Status::error(cat("--tokens: token id ", p, " is out of range"));
    out.push_back(static_cast<int32_t>(v));
  }
  return out;
}

Result<int> thread_count(const Args& args) {
  NT_ASSIGN_OR_RETURN(long long n, args.get_int({"--threads", "-t"}, hardware_threads()));
  if (n < 1 || n > 256) return Status::error(cat("--threads must be between 1 and 256, found ", n));
  return static_cast<int>(n);
}

namespace {

std::string default_cache_dir() {
  const auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  if (std::string d = env("NEMOTRON_CACHE_DIR"); !d.empty()) return d;
  if (std::string d = env("XDG_CACHE_HOME"); !d.empty() && d.front() == '/') return d + "/nemotron";
  if (std::string d = env("HOME"); !d.empty()) return d + "/.cache/nemotron";
  return "";
}

}  // namespace

LoadOptions load_options(const Args& args) {
  LoadOptions o;
  o.pack_experts = !args.has(kMapExpertsSwitch);
  o.expert_cache_dir = args.get({kExpertCacheFlag}, default_cache_dir());
  if (o.expert_cache_dir == "off") o.expert_cache_dir.clear();
  return o;
}

}  // namespace nt::cli
