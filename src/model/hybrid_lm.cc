#include "model/hybrid_lm.h"

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "core/op_profile.h"
#include "core/scratch.h"
#include "core/strings.h"
#include "formats/gguf_model.h"
#include "kernels/amx_check.h"
#include "kernels/packed_weight.h"
#include "ops/linear.h"
#include "ops/norm.h"

namespace nt {

kernels::PackedFileSpec expert_cache_spec(const std::vector<std::string>& files, const std::string& dir) {
  namespace fs = std::filesystem;
  if (files.empty() || dir.empty()) return {};
  std::string key = "routed experts of\n", paths;
  fs::path first;
  for (const std::string& f : files) {
    std::error_code ec;
    const fs::path abs = fs::canonical(f, ec);
    struct stat st {};
    if (ec || ::stat(abs.c_str(), &st) != 0) return {};
    key += cat(abs.string(), " size ", st.st_size, " mtime ", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, " inode ",
               st.st_ino, "\n");
    paths += abs.string() + "\n";
    if (first.empty()) first = abs;
  }
  // One file per model path: a model rewritten in place replaces its file instead of adding one.
  const std::string name = (files.size() > 1 ? first.parent_path() : first).filename().string();
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a64(paths)));
  return {(fs::path(dir) / cat(name, ".", hash, ".experts")).string(), key};
}

Result<std::unique_ptr<HybridLM>> HybridLM::load(const std::string& model_dir, const LoadOptions& opts) {
  if (is_gguf_file(model_dir)) {
    NT_ASSIGN_OR_RETURN(GgufModel g, load_gguf_model(model_dir));
    auto m = from_parts(std::move(g.config), std::move(g.store), opts);
    if (!m.is_ok()) return m.status().with_context(model_dir);
    return m;
  }
  NT_ASSIGN_OR_RETURN(ModelConfig config, load_model_config(model_dir));
  NT_ASSIGN_OR_RETURN(TensorStore store, TensorStore::open(model_dir));
  return from_parts(std::move(config), std::move(store), opts);
}

Result<std::unique_ptr<HybridLM>> HybridLM::from_parts(ModelConfig config, TensorStore store,
                                                       const LoadOptions& opts) {
  // The AMX self-check forks a child; done before the packed weights exist (the model's anonymous memory), the fork
  // copies no page tables of them and leaves none of their pages copy-on-write (a no-op without AMX).
  kernels::amx_kernels_ready();
  std::unique_ptr<HybridLM> m(new HybridLM());
  m->config_ = std::move(config);
  m->store_ = std::move(store);
  auto w = bind_weights(m->config_, m->store_);
  if (!w.is_ok()) return w.status().with_context("checkpoint does not match config.json");
  m->weights_ = std::move(w).value();
  if (opts.pack_weights) {
    ThreadPool pool(hardware_threads());
    const TensorStore& st = m->store_;
    kernels::PackModelOptions po{.pack_experts = opts.pack_experts, .experts_to_file = opts.experts_to_file,
                                 .reclaim = [&st](const uint8_t* p, size_t n) { st.release_pages(p, n, true); }};
    if (opts.pack_experts && !opts.expert_cache_dir.empty() && m->config_.count(LayerKind::Moe) > 0) {
      po.expert_file = expert_cache_spec(st.files(), opts.expert_cache_dir);
    }
    kernels::pack_model_weights(m->weights_, [&st](const uint8_t* p, size_t n) { st.release_pages(p, n); }, pool,
                                po);
  }
  return m;
}

Status HybridLM::forward(const int32_t* tokens, int64_t T, SequenceState& state, const ForwardOptions& opts,
                         std::vector<float>* logits, ThreadPool& pool) const {
  const BatchItem item{tokens, T, &state, logits ? opts.logits : LogitsMode::None};
  return forward_batch({&item, 1}, opts.scan, logits, pool);
}

Status HybridLM::forward_batch(std::span<const BatchItem> items, ScanMode scan, std::vector<float>* logits,
                               ThreadPool& pool) const {
  const ModelConfig& c = config_;
  const int64_t H = c.hidden_size, V = c.vocab_size;
  // Validate everything before touching any state.
  std::vector<Segment> segments;
  int64_t T = 0, out_rows = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const BatchItem& it = items[i];
    if (it.n <= 0) return Status::error("forward: no tokens to process");
    if (!it.state || it.state->conv.size() != c.layers.size()) return Status::error("forward: sequence state was made for another model");
    for (size_t j = 0; j < i; ++j) {
      if (items[j].state == it.state) return Status::error("forward: a sequence appears twice in one batch");
    }
    for (int64_t t = 0; t < it.n; ++t) {
      if (it.tokens[t] < 0 || it.tokens[t] >= V) {
        return Status::error(cat("token id ", it.tokens[t], " at position ", t, " is out of range: vocab_size is ", V));
      }
    }
    segments.push_back({T, it.n, it.state});
    T += it.n;
    out_rows += it.logits == LogitsMode::All ? it.n : it.logits == LogitsMode::Last ? 1 : 0;
  }
  if (T == 0) return Status::error("forward: empty batch");

  Scratch<float> h(static_cast<size_t>(T * H));  // [T, H] residual stream
  {
    prof::OpScope scope("embedding");
    for (const Segment& s : segments) {
      const int32_t* toks = items[&s - segments.data()].tokens;
      for (int64_t t = 0; t < s.n; ++t) convert_rows(weights_.embeddings, toks[t], 1, h.data() + (s.row0 + t) * H);
    }
  }
  Scratch<float> u(static_cast<size_t>(T * H)), o(static_cast<size_t>(T * H));  // [T, H]
  const float eps = static_cast<float>(c.layer_norm_epsilon);
  for (size_t l = 0; l < c.layers.size(); ++l) {
    const LayerWeights& L = weights_.layers[l];
    {
      prof::OpScope scope("rms_norm");
      rms_norm(h.data(), L.norm.data(), T, H, eps, u.data(), pool);
    }
    switch (L.kind) {
      case LayerKind::Mamba: mamba2_forward(c, L.mamba, l, u.data(), T, segments, scan, o.data(), pool); break;
      case LayerKind::Attention: attention_forward(c, L.attn, l, u.data(), T, segments, o.data(), pool); break;
      case LayerKind::Mlp: mlp_forward(L.mlp, u.data(), T, o.data(), pool); break;
      case LayerKind::Moe: moe_forward(c, L.moe, u.data(), T, o.data(), pool); break;
    }
    prof::OpScope scope("residual_add");
    for (int64_t i = 0; i < T * H; ++i) h[i] += o[i];
  }
  for (const Segment& s : segments) s.state->n_past += s.n;
  if (!logits || out_rows == 0) return Status::ok();

  // Gather the rows whose logits are wanted, then one final norm + lm_head over them.
  Scratch<float> rows(static_cast<size_t>(out_rows * H));
  int64_t r = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Segment& s = segments[i];
    const int64_t first = items[i].logits == LogitsMode::All ? 0 : s.n - 1;
    const int64_t count = items[i].logits == LogitsMode::All ? s.n : items[i].logits == LogitsMode::Last ? 1 : 0;
    std::copy_n(h.data() + (s.row0 + first) * H, count * H, rows.data() + r * H);
    r += count;
  }
  {
    prof::OpScope scope("rms_norm");
    rms_norm(rows.data(), weights_.norm_f.data(), out_rows, H, eps, rows.data(), pool);
  }
  logits->resize(static_cast<size_t>(out_rows * V));
  linear(weights_.lm_head, rows.data(), out_rows, logits->data(), pool);
  return Status::ok();
}

}  // namespace nt
