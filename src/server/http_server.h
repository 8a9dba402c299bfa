// The OpenAI-compatible HTTP front end (cpp-httplib): routes, request → scheduler → response, SSE streaming,
// client-disconnect cancellation, one log line per request, and a clean drain on shutdown.
//
//   POST /v1/chat/completions   POST /v1/completions   GET /v1/models[/ID]   GET /health   GET /metrics
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "runtime/scheduler.h"
#include "runtime/text_model.h"
#include "server/metrics.h"

namespace nt::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                          // 0 = any free port
  size_t max_body_bytes = size_t{8} << 20;  // larger bodies get 413
  size_t max_json_depth = 64;
  std::string model_name;                   // served model id (the model directory's basename)
  bool log_requests = true;                 // one line per request on stderr
};

class HttpServer {
 public:
  HttpServer(const TextModel& model, Scheduler& scheduler, ServerOptions options);
  ~HttpServer();

  // Binds the listening socket; port() is valid afterwards.
  Status bind();
  int port() const { return port_; }
  // Serves until stop(); returns when the listener has closed and the in-flight responses are written.
  void run();
  // From now on /health reports draining and generation requests get 503.
  void set_draining() { draining_ = true; }
  // Waits until no generation response is being produced or written (at most `timeout`).
  void wait_idle(std::chrono::milliseconds timeout);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
};

}  // namespace nt::server
