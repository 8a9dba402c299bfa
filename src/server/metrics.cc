#include "server/metrics.h"

#include "core/strings.h"

namespace nt::server {

void HttpCounters::add(const std::string& path, int status) {
  // Unknown paths are folded into one label so hostile clients cannot grow the map without bound.
  const bool known = path == "/v1/chat/completions" || path == "/v1/completions" || path == "/v1/models" ||
                     path == "/health" || path == "/metrics";
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[{known ? path : "other", status}];
}

std::map<std::pair<std::string, int>, int64_t> HttpCounters::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

namespace {
void metric(std::string* out, const char* name, const char* type, const char* help, int64_t value) {
  *out += cat("# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n", name, " ", value, "\n");
}
}  // namespace

std::string prometheus_text(const SchedulerMetrics& m, const HttpCounters& http, int parallel) {
  std::string out;
  out += "# HELP nemotron_http_requests_total HTTP responses by path and status code.\n";
  out += "# TYPE nemotron_http_requests_total counter\n";
  for (const auto& [key, n] : http.snapshot()) {
    out += cat("nemotron_http_requests_total{path=\"", key.first, "\",code=\"", key.second, "\"} ", n, "\n");
  }
  auto d = [](int64_t v) { return v; };
  metric(&out, "nemotron_requests_total", "counter", "Generation requests accepted.", d(m.requests));
  metric(&out, "nemotron_requests_rejected_total", "counter", "Requests refused because the queue was full.",
         d(m.rejected));
  metric(&out, "nemotron_requests_finished_total", "counter", "Requests that finished normally.", d(m.finished));
  metric(&out, "nemotron_requests_cancelled_total", "counter", "Requests cancelled (client gone or shutdown).",
         d(m.cancelled));
  metric(&out, "nemotron_requests_failed_total", "counter", "Requests that failed inside the engine.", d(m.failed));
  metric(&out, "nemotron_prompt_tokens_total", "counter", "Prompt tokens of accepted requests.", d(m.prompt_tokens));
  metric(&out, "nemotron_prompt_tokens_reused_total", "counter", "Prompt tokens restored from the state cache.",
         d(m.reused_tokens));
  metric(&out, "nemotron_prompt_tokens_computed_total", "counter", "Prompt tokens run through the model.",
         d(m.prefilled_tokens));
  metric(&out, "nemotron_generation_tokens_total", "counter", "Generated tokens.", d(m.generated_tokens));
  metric(&out, "nemotron_queue_depth", "gauge", "Requests waiting for a slot.", d(m.queue_depth));
  metric(&out, "nemotron_running_sequences", "gauge", "Sequences in the running batch.", d(m.running));
  metric(&out, "nemotron_slots", "gauge", "Sequences that can run at once (--parallel).", parallel);
  metric(&out, "nemotron_batch_size", "gauge", "Sequences in the most recent batched step.", d(m.last_batch_sequences));
  metric(&out, "nemotron_batch_steps_total", "counter", "Batched forward steps.", d(m.steps));
  metric(&out, "nemotron_batch_sequences_total", "counter", "Sum of sequences over all steps (mean batch size = "
         "this / nemotron_batch_steps_total).", d(m.batch_sequences));
  metric(&out, "nemotron_batch_tokens_total", "counter", "Sum of token rows over all steps.", d(m.batch_rows));
  metric(&out, "nemotron_state_cache_hits_total", "counter", "State-cache lookups that found a prefix.",
         d(m.cache_hits));
  metric(&out, "nemotron_state_cache_misses_total", "counter", "State-cache lookups that found nothing.",
         d(m.cache_misses));
  metric(&out, "nemotron_state_cache_bytes", "gauge", "Bytes held by state snapshots.", d(m.cache_bytes));
  metric(&out, "nemotron_state_cache_entries", "gauge", "State snapshots held.", d(m.cache_entries));
  return out;
}

}  // namespace nt::server
