#include "server/http_server.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "core/json.h"
#include "core/strings.h"
#include "server/openai_api.h"

namespace nt::server {

namespace {

using Clock = std::chrono::steady_clock;
thread_local Clock::time_point t_request_start;

void send_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(dump_json(body), "application/json");
}

void send_error(httplib::Response& res, const ApiError& e) { send_json(res, e.http_status, error_json(e)); }

ApiError api_error(int status, std::string message, std::string type, std::string code) {
  ApiError e;
  e.http_status = status;
  e.message = std::move(message);
  e.type = std::move(type);
  e.code = std::move(code);
  return e;
}

const char* status_type(int status) {
  if (status == 401) return "authentication_error";
  if (status == 404) return "not_found_error";
  if (status == 413) return "invalid_request_error";
  if (status == 429) return "rate_limit_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

// The state of one streamed response, shared by the content provider and its releaser.
struct SseState {
  std::shared_ptr<RequestStream> stream;
  ApiRequest req;
  ResponseInfo info;
  uint64_t tool_seed = 0;
  bool started = false;
  std::string held_content;  // with tools, content is held back until the tool calls are parsed
};

// Writes the events for one update; returns false when the client is gone.
bool write_update(SseState& st, const RequestStream::Update& u, httplib::DataSink& sink) {
  auto write = [&](const Json& j) {
    const std::string s = sse_event(j);
    return sink.write(s.data(), s.size());
  };
  const bool hold = st.req.chat && st.req.tools.is_array() && !st.req.tools.empty();
  if (st.req.chat) {
    if (!u.delta.reasoning.empty() && !write(chat_chunk_json(st.info, {{"reasoning_content", u.delta.reasoning}}, "")))
      return false;
    if (!u.delta.content.empty() && !hold && !write(chat_chunk_json(st.info, {{"content", u.delta.content}}, "")))
      return false;
  } else if (!u.delta.content.empty() && !write(completion_chunk_json(st.info, u.delta.content, ""))) {
    return false;
  }
  if (!u.finished) return true;
  const GenerateResult& r = st.stream->result();
  if (!st.stream->status().is_ok()) {
    ApiError e = api_error(500, st.stream->status().message(), "server_error", "internal_error");
    if (!write(error_json(e))) return false;
  } else if (st.req.chat) {
    ChatMessage m = finish_chat_message(r, st.req.tools, st.tool_seed);
    if (hold && !m.content.empty() && !write(chat_chunk_json(st.info, {{"content", m.content}}, ""))) return false;
    if (!m.tool_calls.empty()) {
      Json calls = tool_calls_to_openai(m.tool_calls);
      for (size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
      if (!write(chat_chunk_json(st.info, {{"tool_calls", calls}}, ""))) return false;
    }
    if (!write(chat_chunk_json(st.info, Json::object(), m.finish_reason))) return false;
  } else if (!write(completion_chunk_json(st.info, "", openai_finish_reason(r.finish)))) {
    return false;
  }
  if (st.req.include_usage && !write(usage_chunk_json(st.info, st.req.chat, r))) return false;
  static constexpr char kDone[] = "data: [DONE]\n\n";
  if (!sink.write(kDone, sizeof(kDone) - 1)) return false;
  sink.done();
  return true;
}

}  // namespace

struct HttpServer::Impl {
  const TextModel* model;
  Scheduler* scheduler;
  ServerOptions options;
  ApiLimits limits;
  httplib::Server svr;
  HttpCounters counters;
  std::atomic<uint64_t> next_id{0};
  std::atomic<int64_t> in_flight{0};  // generation responses not yet completely written
  uint64_t id_base = 0;

  std::string new_id(const char* prefix) {
    const uint64_t n = next_id.fetch_add(1) + 1;
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%s-%012llx%08llx", prefix, static_cast<unsigned long long>(id_base & 0xffffffffffffULL),
                  static_cast<unsigned long long>(n));
    return buf;
  }

  void generate(const httplib::Request& req, httplib::Response& res, bool chat, bool draining);
};

namespace {
// Counts a response in flight for as long as the guard lives.
struct InFlight {
  explicit InFlight(std::atomic<int64_t>* n) : n_(n) { n_->fetch_add(1); }
  ~InFlight() { n_->fetch_sub(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  std::atomic<int64_t>* n_;
};
}  // namespace

void HttpServer::Impl::generate(const httplib::Request& req, httplib::Response& res, bool chat, bool draining) {
  auto guard = std::make_shared<InFlight>(&in_flight);
  if (draining) {
    return send_error(res, api_error(503, "the server is shutting down", "server_error", "shutting_down"));
  }
  if (req.body.size() > options.max_body_bytes) {
    return send_error(res, api_error(413, cat("the request body has ", req.body.size(), " bytes; the limit is ",
                                              options.max_body_bytes), "invalid_request_error", "payload_too_large"));
  }
  JsonLimits jl;
  jl.max_depth = options.max_json_depth;
  auto body = parse_json(req.body, "request body", jl);
  if (!body) return send_error(res, api_error(400, body.status().message(), "invalid_request_error", "invalid_json"));
  auto st = std::make_shared<SseState>();
  if (auto e = parse_request(*body, chat, limits, &st->req)) return send_error(res, *e);
  ApiRequest& ar = st->req;
  std::vector<int32_t> prompt;
  if (chat) {
    auto p = model->chat_prompt(ar.template_request);
    if (!p) return send_error(res, api_error(400, p.status().message(), "invalid_request_error", "invalid_messages"));
    prompt = std::move(p->tokens);
    ar.gen.prompt_opened_think = p->opened_think;
    // Snapshot where the conversation ends and the generation prompt begins: the next turn extends it even when
    // the template drops this turn's reasoning from the history.
    if (p->conversation_len > 0) ar.gen.snapshot_at.push_back(p->conversation_len);
  } else if (ar.prompt_is_ids) {
    prompt = ar.prompt_ids;
  } else {
    auto p = model->text_prompt(ar.prompt_text);
    if (!p) return send_error(res, api_error(400, p.status().message(), "invalid_request_error", "invalid_prompt"));
    prompt = std::move(p).value();
  }
  if (auto e = check_context(static_cast<int64_t>(prompt.size()), ar, limits)) return send_error(res, *e);
  ar.gen.eos_ids = model->eos_ids();
  Scheduler::SubmitError err = Scheduler::SubmitError::kNone;
  std::string message;
  st->stream = scheduler->submit(std::move(prompt), ar.gen, &err, &message);
  if (!st->stream) {
    if (err == Scheduler::SubmitError::kQueueFull) {
      res.set_header("Retry-After", "1");
      return send_error(res, api_error(429, "the request queue is full; retry later", "rate_limit_error", "queue_full"));
    }
    if (err == Scheduler::SubmitError::kDraining) {
      return send_error(res, api_error(503, "the server is shutting down", "server_error", "shutting_down"));
    }
    return send_error(res, api_error(400, message, "invalid_request_error", "invalid_value"));
  }
  st->info = {new_id(chat ? "chatcmpl" : "cmpl"), options.model_name,
              static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch()).count())};
  st->tool_seed = id_base ^ next_id.load();
  if (!ar.stream) {
    while (!st->stream->next(std::chrono::milliseconds(1000)).finished) {
    }
    if (!st->stream->status().is_ok()) {
      return send_error(res, api_error(500, st->stream->status().message(), "server_error", "internal_error"));
    }
    const GenerateResult& r = st->stream->result();
    if (!chat) return send_json(res, 200, completion_json(st->info, r));
    return send_json(res, 200, chat_completion_json(st->info, finish_chat_message(r, ar.tools, st->tool_seed), r));
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [st](size_t, httplib::DataSink& sink) {
        if (!st->started) {
          st->started = true;
          if (st->req.chat) {
            const std::string s = sse_event(chat_chunk_json(st->info, {{"role", "assistant"}, {"content", ""}}, ""));
            if (!sink.write(s.data(), s.size())) {
              st->stream->cancel();
              return false;
            }
          }
        }
        RequestStream::Update u = st->stream->next(std::chrono::milliseconds(100));
        if (u.delta.empty() && !u.finished) {
          // Nothing to send: make sure the client is still there (a closed socket cancels the sequence).
          if (sink.is_writable()) return true;
          st->stream->cancel();
          return false;
        }
        if (!write_update(*st, u, sink)) {
          st->stream->cancel();
          return false;
        }
        return true;
      },
      // Called once the response is over (written, failed or abandoned); holds the in-flight count until then.
      [st, guard](bool success) {
        if (!success) st->stream->cancel();
      });
}

HttpServer::HttpServer(const TextModel& model, Scheduler& scheduler, ServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& im = *impl_;
  im.model = &model;
  im.scheduler = &scheduler;
  im.options = options;
  im.limits.model_name = options.model_name;
  im.limits.max_context = scheduler.options().max_context;
  im.id_base = static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  httplib::Server& svr = im.svr;
  // Enough workers that every slot and every queued request can hold a connection, plus a few for /health.
  const size_t workers = std::min<size_t>(256, static_cast<size_t>(scheduler.options().parallel +
                                                                   scheduler.options().max_queue + 8));
  svr.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  // Bodies up to 4x the limit are read and answered with a JSON 413 by the handler; beyond that httplib refuses
  // them without reading (the client may then see the connection reset instead of the 413).
  svr.set_payload_max_length(options.max_body_bytes * 4);
  svr.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    t_request_start = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    impl_->counters.add(req.path, res.status);
    if (!impl_->options.log_requests) return;
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t_request_start).count();
    std::fprintf(stderr, "%s %s %s %d %.1f ms\n", req.remote_addr.c_str(), req.method.c_str(), req.path.c_str(),
                 res.status, ms);
  });
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = res.status == 404   ? cat("no route for ", req.method, " ", req.path)
                      : res.status == 413 ? "the request body is too large"
                                          : cat("HTTP error ", res.status);
    send_json(res, res.status, error_json(api_error(res.status, msg, status_type(res.status), "")));
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_json(res, 500, error_json(api_error(500, "internal error", "server_error", "internal_error")));
  });
  svr.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    impl_->generate(req, res, /*chat=*/true, draining_.load());
  });
  svr.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    impl_->generate(req, res, /*chat=*/false, draining_.load());
  });
  auto model_json = [this] {
    return Json{{"id", impl_->options.model_name}, {"object", "model"}, {"created", 0}, {"owned_by", "nemotron.cpp"}};
  };
  svr.Get("/v1/models", [model_json](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"object", "list"}, {"data", Json::array({model_json()})}});
  });
  svr.Get(R"(/v1/models/(.+))", [this, model_json](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] == impl_->options.model_name) return send_json(res, 200, model_json());
    send_error(res, api_error(404, cat("the model '", std::string(req.matches[1]), "' does not exist"),
                              "invalid_request_error", "model_not_found"));
  });
  svr.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (draining_.load()) return send_json(res, 503, {{"status", "draining"}});
    send_json(res, 200, {{"status", "ok"}});
  });
  svr.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(prometheus_text(impl_->scheduler->metrics(), impl_->counters, impl_->scheduler->options().parallel),
                    "text/plain; version=0.0.4");
  });
}

HttpServer::~HttpServer() = default;

Status HttpServer::bind() {
  if (impl_->options.port == 0) {
    port_ = impl_->svr.bind_to_any_port(impl_->options.host);
    if (port_ <= 0) return Status::error(cat("cannot listen on ", impl_->options.host, " (any port)"));
  } else {
    if (!impl_->svr.bind_to_port(impl_->options.host, impl_->options.port)) {
      return Status::error(cat("cannot listen on ", impl_->options.host, ":", impl_->options.port));
    }
    port_ = impl_->options.port;
  }
  return Status::ok();
}

void HttpServer::run() { impl_->svr.listen_after_bind(); }

void HttpServer::wait_idle(std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (impl_->in_flight.load() > 0 && Clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void HttpServer::stop() { impl_->svr.stop(); }

}  // namespace nt::server
