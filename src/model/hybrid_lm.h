// A loaded Nemotron hybrid language model: config + weights bound to a memory-mapped checkpoint, and the
// forward pass over a sequence's state (spec §2): embedding → L × (RMSNorm → mixer → residual add) →
// norm_f → lm_head. Activations are fp32; weights stay in their stored dtype.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "formats/safetensors.h"
#include "kernels/packed_file.h"
#include "model/blocks/blocks.h"
#include "model/config.h"
#include "model/state.h"
#include "model/weights.h"

namespace nt {

enum class LogitsMode : uint8_t { All, Last, None };

struct ForwardOptions {
  LogitsMode logits = LogitsMode::Last;
  ScanMode scan = ScanMode::Auto;
};

struct LoadOptions {
  // Copy the weights that have a faster kernel layout into it (kernels/packed_weight.h) and drop the mapped
  // file pages of the originals. Off for commands that only read or re-export the weights.
  bool pack_weights = true;
  // With pack_weights: pack the routed MoE experts too when all of them fit in the packing budget (half the
  // physical memory, with the other weights), else into a file in expert_cache_dir, else keep them mapped
  // (kernels::pack_model_weights).
  bool pack_experts = true;
  // A directory for the packed experts that do not fit the budget: the first load writes them into a file named
  // after the model (kernels/packed_file.h), later loads of the same files (path, size and modification time) map
  // it. Empty: no file; such experts stay memory-mapped as stored rows.
  std::string expert_cache_dir{};
  // Put the packed experts in that file even when they would fit the budget.
  bool experts_to_file = false;
};

// The cache file of the packed experts of a model made of `files` (TensorStore::files()) in `dir`, and the key its
// header must hold: the files' absolute paths, sizes, modification times and inode numbers. Empty path when the
// files cannot be read.
kernels::PackedFileSpec expert_cache_spec(const std::vector<std::string>& files, const std::string& dir);

class HybridLM {
 public:
  // Loads config.json + safetensors from a Hugging Face model directory, or a llama.cpp GGUF file
  // (nemotron_h / nemotron_h_moe, see formats/gguf_model.h); validates everything up front.
  static Result<std::unique_ptr<HybridLM>> load(const std::string& model_dir, const LoadOptions& opts = {});
  static Result<std::unique_ptr<HybridLM>> from_parts(ModelConfig config, TensorStore store,
                                                      const LoadOptions& opts = {});

  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const TensorStore& store() const { return store_; }
  SequenceState new_state() const { return SequenceState::create(config_); }

  // One sequence's part of a batched step: its new tokens, its state, which logits it wants.
  struct BatchItem {
    const int32_t* tokens;
    int64_t n;
    SequenceState* state;
    LogitsMode logits;
  };

  // Advances several sequences in one pass: rows of all items are stacked so every weight is read once.
  // logits: the requested rows of every item in order ([n, V] for All, [1, V] for Last, none for None).
  // Each state must belong to this model and appear once.
  Status forward_batch(std::span<const BatchItem> items, ScanMode scan, std::vector<float>* logits,
                       ThreadPool& pool) const;

  // Processes T tokens after state.n_past tokens and advances the state.
  // logits (if requested): [T, V] for LogitsMode::All, [1, V] for Last. Token ids are checked against V.
  Status forward(const int32_t* tokens, int64_t T, SequenceState& state, const ForwardOptions& opts,
                 std::vector<float>* logits, ThreadPool& pool) const;

 private:
  HybridLM() = default;
  ModelConfig config_;
  TensorStore store_;
  ModelWeights weights_;
};

}  // namespace nt
