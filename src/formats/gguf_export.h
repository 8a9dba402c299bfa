// Writes a Nemotron model as a GGUF file that llama.cpp loads: its architecture names (nemotron_h /
// nemotron_h_moe), tensor names and ggml shapes, the metadata keys of spec §14.2, and the converter's
// layout changes (A = -exp(A_log) as ssm_a {1, n_m}, ssm_norm {d_in/G, G}, conv1d squeezed, experts
// stacked, Q/K rows permuted within each head). Tensor types follow llama.cpp: the converter keeps
// 1-D tensors, norms, ssm_a/ssm_d, conv1d and the router in F32; llama-quantize's per-tensor rules pick
// the block type of each matrix (e.g. Q4_K_M puts output.weight and some attn_v / ffn_down in Q6_K).
// The file is streamed: one block of rows is converted, quantized and written at a time.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "formats/gguf.h"
#include "model/config.h"
#include "model/weights.h"

namespace nt {

// File types as `nemotron quantize --type` spells them (llama-quantize's names).
enum class GgufPreset { F32, F16, BF16, Q8_0, Q4_0, Q4_K_M, Q6_K };
bool gguf_preset_from_name(std::string_view name, GgufPreset* out);
std::string_view gguf_preset_name(GgufPreset p);

// Fills `count` rows of a weight matrix starting at `row` (fp32, [count, cols]).
using RowFiller = std::function<void(const TensorView& w, int64_t row, int64_t count, float* out)>;

struct GgufExportOptions {
  GgufPreset preset = GgufPreset::F32;
  std::string name = "nemotron";
  // Extra metadata (tokenizer.ggml.*, tokenizer.chat_template), written after the model keys.
  std::vector<std::pair<std::string, GgufValue>> extra;
  // Source of matrix rows; empty: convert_rows over the views' data (a loaded checkpoint). Synthetic
  // models pass views without data and a generator here.
  RowFiller rows;
  // Threads that convert and quantize rows (the row source must allow concurrent calls; both do).
  int threads = 1;
};

// The GGUF architecture name for a config: nemotron_h_moe when it has MoE layers.
std::string gguf_architecture(const ModelConfig& c);

Status export_gguf(const std::string& path, const ModelConfig& c, const ModelWeights& w, const GgufExportOptions& o);

}  // namespace nt
