#include "cli.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "core/strings.h"

namespace nt::cli {

Status Args::parse(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (std::isdigit(static_cast<unsigned char>(a[1])) || a[1] == '.'))) {
      std::string value;
      bool inline_value = false;
      if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
        inline_value = true;
      }
      if (std::find(switches_.begin(), switches_.end(), a) != switches_.end()) {
        if (inline_value) return Status::error(cat("option ", a, " takes no value"));
        values_[a].push_back("1");
      } else if (std::find(value_flags_.begin(), value_flags_.end(), a) != value_flags_.end()) {
        if (!inline_value) {
          if (i + 1 >= argc) return Status::error(cat("option ", a, " expects a value"));
          value = argv[++i];
        }
        values_[a].push_back(value);
      } else {
        return Status::error(cat("unknown option '", a, "'"));
      }
    } else {
      positional_.push_back(a);
    }
  }
  return Status::ok();
}

std::string Args::get(std::initializer_list<const char*> names, const std::string& def) const {
  for (const char* n : names) {
    auto it = values_.find(n);
    if (it != values_.end()) return it->second.back();
  }
  return def;
}

std::vector<std::string> Args::get_all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

Result<long long> Args::get_int(std::initializer_list<const char*> names, long long def) const {
  for (const char* n : names) {
    auto it = values_.find(n);
    if (it == values_.end()) continue;
    const std::string& s = it->second.back();
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno == ERANGE) {
      return Status::error(cat("option ", n, " expects an integer, found '", s, "'"));
    }
    return v;
  }
  return def;
}

Result<double> Args::get_double(std::initializer_list<const char*> names, double def) const {
  for (const char* n : names) {
    auto it = values_.find(n);
    if (it == values_.end()) continue;
    const std::string& s = it->second.back();
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') return Status::error(cat("option ", n, " expects a number, found '", s, "'"));
    return v;
  }
  return def;
}

int fail(const char* cmd, const Status& status) {
  std::fprintf(stderr, "nemotron %s: %s\n", cmd, status.message().c_str());
  return 1;
}

}  // namespace nt::cli
