// Prometheus text exposition of the server's counters and gauges (GET /metrics).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "runtime/scheduler.h"

namespace nt::server {

// HTTP responses by (path, status), filled by the request logger.
class HttpCounters {
 public:
  void add(const std::string& path, int status);
  std::map<std::pair<std::string, int>, int64_t> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> counts_;
};

std::string prometheus_text(const SchedulerMetrics& m, const HttpCounters& http, int parallel);

}  // namespace nt::server
