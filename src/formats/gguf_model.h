// GGUF files of llama.cpp's `nemotron_h` / `nemotron_h_moe` architectures as a Nemotron model (spec §14):
// metadata → ModelConfig, GGUF tensors → views under Hugging Face names, with the converter's layout
// changes undone so the rest of the engine sees exactly what a safetensors checkpoint gives it:
//   ssm_a (A = -exp(A_log), {1, n_m})   → backbone.layers.ℓ.mixer.A [n_m] (bound as A, not A_log)
//   ssm_d {1, n_m}                      → mixer.D [n_m]
//   ssm_norm {d_in/G, G}                → mixer.norm.weight [d_in] (same bytes, group-major)
//   ssm_conv1d {K, d_conv}              → mixer.conv1d.weight [d_conv, K]
//   ffn_{up,down}_exps {D_x, I_e, E}    → mixer.experts.{up,down}_proj [E, I_e, D_x] (stacked form)
//   attn_q / attn_k                     → rows un-permuted within each head (copied), so per-head Q/K and
//                                         the KV cache equal the Hugging Face model's, not only q·k.
// Layer kinds come from the per-layer head_count_kv / feed_forward_length arrays and are cross-checked
// against which tensors exist; any disagreement is an error naming the layer and both sides.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "formats/gguf.h"
#include "formats/safetensors.h"
#include "model/config.h"

namespace nt {

struct GgufModel {
  std::string architecture;  // "nemotron_h" or "nemotron_h_moe"
  ModelConfig config;
  TensorStore store;         // Hugging Face names ("backbone.…", "lm_head.weight")
  std::shared_ptr<const GgufFile> file;
};

// True when `path` is a regular file that starts with the GGUF magic.
bool is_gguf_file(const std::string& path);

Result<GgufModel> load_gguf_model(const std::string& path);
Result<GgufModel> gguf_model_from_file(std::shared_ptr<const GgufFile> file);

// llama.cpp's converter reorders Q/K rows within each head of `head_dim` rows as (0, d/2, 1, d/2+1, …)
// (LlamaModel.permute): GGUF row 2i+h holds Hugging Face row h·d/2+i. Returns the GGUF row of `hf_row`.
inline int64_t gguf_qk_row(int64_t hf_row, int64_t head_dim) {
  const int64_t half = head_dim / 2, head = hf_row / head_dim, r = hf_row % head_dim;
  return head * head_dim + 2 * (r % half) + r / half;
}

}  // namespace nt
