// nemotron serve [-m DIR] [--host 127.0.0.1] [--port 8080] [--parallel N] [--queue N] [--ctx N]
//                [--state-cache-mb M] [--prefill-chunk N] [--threads N] [--quiet]
// An OpenAI-compatible HTTP server with continuous batching and exact state reuse (src/server, src/runtime).
// --port 0 picks a free port. The line "listening on http://HOST:PORT" on stderr says where it listens.
// SIGTERM / SIGINT: stop accepting, finish the running requests (cancelling what is left after
// --drain-seconds), close the listener and exit 0.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <climits>
#include <cstdio>
#include <thread>

#include "cli.h"
#include "core/strings.h"
#include "model_args.h"
#include "runtime/scheduler.h"
#include "runtime/text_model.h"
#include "server/http_server.h"

namespace nt::cli {

namespace {

Result<long long> int_flag(const Args& args, const char* name, long long def, long long lo, long long hi) {
  NT_ASSIGN_OR_RETURN(long long v, args.get_int({name}, def));
  if (v < lo || v > hi) return Status::error(cat(name, " must be between ", lo, " and ", hi, ", found ", v));
  return v;
}

std::string basename_of(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const size_t slash = dir.rfind('/');
  return slash == std::string::npos ? dir : dir.substr(slash + 1);
}

}  // namespace

int cmd_serve(int argc, char** argv) {
  Args args({"-m", "--model", "--host", "--port", "--parallel", "--queue", "--ctx", "--state-cache-mb",
             "--prefill-chunk", "--threads", "-t", "--drain-seconds", kExpertCacheFlag},
            {"--quiet", kMapExpertsSwitch});
  if (Status s = args.parse(argc, argv); !s) return fail("serve", s);
  auto threads = thread_count(args);
  if (!threads) return fail("serve", threads.status());
  auto port = int_flag(args, "--port", 8080, 0, 65535);
  auto parallel = int_flag(args, "--parallel", 4, 1, 256);
  auto queue = int_flag(args, "--queue", 64, 0, 4096);
  auto ctx = int_flag(args, "--ctx", 4096, 2, INT32_MAX);
  auto cache_mb = int_flag(args, "--state-cache-mb", 512, 0, 1 << 20);
  auto chunk = int_flag(args, "--prefill-chunk", 256, 1, 1 << 20);
  auto drain = int_flag(args, "--drain-seconds", 30, 0, 3600);
  for (const auto* r : {&port, &parallel, &queue, &ctx, &cache_mb, &chunk, &drain}) {
    if (!*r) return fail("serve", r->status());
  }
  const std::string dir = args.get({"-m", "--model"}, default_model_dir());
  auto model = TextModel::load(dir, load_options(args));
  if (!model) return fail("serve", model.status());

  // Signals are taken synchronously by this thread (sigwait); every thread started below inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  ThreadPool pool(*threads);
  SchedulerOptions so;
  so.parallel = static_cast<int>(*parallel);
  so.max_queue = static_cast<int>(*queue);
  so.max_context = *ctx;
  so.state_cache_bytes = *cache_mb << 20;
  so.prefill_chunk = *chunk;
  Scheduler scheduler((*model)->lm(), (*model)->tokenizer(), pool, so);
  server::ServerOptions opts;
  opts.host = args.get({"--host"}, "127.0.0.1");
  opts.port = static_cast<int>(*port);
  opts.model_name = basename_of(dir);
  opts.log_requests = !args.has("--quiet");
  server::HttpServer http(**model, scheduler, opts);
  if (Status s = http.bind(); !s) return fail("serve", s);
  std::fprintf(stderr, "nemotron serve: model %s, %lld slots, context %lld, listening on http://%s:%d\n",
               opts.model_name.c_str(), *parallel, *ctx, opts.host.c_str(), http.port());
  std::fflush(stderr);
  std::atomic<bool> listener_done{false};
  std::thread listener([&] {
    http.run();
    listener_done = true;
    kill(getpid(), SIGTERM);  // the listener stopped on its own: shut down the same way
  });
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "nemotron serve: signal %d, draining\n", sig);
  http.set_draining();
  scheduler.drain(std::chrono::seconds(*drain));
  http.wait_idle(std::chrono::seconds(10));  // the last events of finished streams reach their clients
  // httplib's stop() does nothing until the accept loop is running; a signal that arrives right after start-up
  // can come before that, so repeat it until the listener has returned.
  while (!listener_done) {
    http.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  listener.join();
  std::fprintf(stderr, "nemotron serve: stopped\n");
  return 0;
}

}  // namespace nt::cli
