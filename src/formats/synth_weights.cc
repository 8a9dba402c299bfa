#include "formats/synth_weights.h"

#include <algorithm>
#include <cmath>

#include "core/strings.h"

namespace nt {

namespace {

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t hash_name(const std::string& s, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

// Uniform in [-1, 1).
float uniform(uint64_t& s) { return static_cast<float>(static_cast<double>(splitmix(s) >> 11) * 0x1.0p-52 - 1.0); }

std::vector<float> randv(int64_t n, float lo, float hi, uint64_t& s) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = lo + (hi - lo) * 0.5f * (uniform(s) + 1.0f);
  return v;
}

// A matrix with no data: rows come from the generator.
Linear lin(const std::string& name, int64_t out, int64_t in) {
  Linear l;
  l.w.name = name;
  l.w.shape = {out, in};
  return l;
}

MlpWeights mlp(const std::string& p, int64_t width, int64_t d_x) {
  return {lin(p + "up_proj", width, d_x), lin(p + "down_proj", d_x, width)};
}

int64_t scaled(int64_t v, double f, int64_t multiple) {
  const double x = static_cast<double>(v) * f / static_cast<double>(multiple);
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(x))) * multiple;
}

}  // namespace

ModelConfig shrink_config(ModelConfig c, double f) {
  c.hidden_size = scaled(c.hidden_size, f, 64);
  c.vocab_size = scaled(c.vocab_size, f, 64);
  for (auto& w : c.intermediate_size) w = scaled(w, f, 32);
  c.num_attention_heads = std::max(c.num_key_value_heads, scaled(c.num_attention_heads, f, c.num_key_value_heads));
  c.mamba_num_heads = scaled(c.mamba_num_heads, f, c.n_groups);
  c.moe_intermediate_size = scaled(c.moe_intermediate_size, f, 32);
  c.moe_shared_expert_intermediate_size = scaled(c.moe_shared_expert_intermediate_size, f, 32);
  c.n_routed_experts = std::max(c.num_experts_per_tok, scaled(c.n_routed_experts, f, c.n_group));
  if (c.moe_latent_size > 0) c.moe_latent_size = scaled(c.moe_latent_size, f, 32);
  return c;
}

ModelWeights synth_weights(const ModelConfig& c, uint64_t seed) {
  uint64_t s = seed;
  const int64_t H = c.hidden_size;
  ModelWeights w;
  w.prefix = "backbone.";
  w.embeddings.name = "embeddings";
  w.embeddings.shape = {c.vocab_size, H};
  w.norm_f.assign(static_cast<size_t>(H), 1.0f);
  w.lm_head = lin("lm_head", c.vocab_size, H);
  w.layers.resize(c.layers.size());
  for (size_t i = 0; i < c.layers.size(); ++i) {
    LayerWeights& L = w.layers[i];
    const std::string p = cat("layers.", i, ".");
    L.kind = c.layers[i];
    L.norm.assign(static_cast<size_t>(H), 1.0f);
    switch (L.kind) {
      case LayerKind::Mamba: {
        MambaWeights& m = L.mamba;
        const int64_t n_m = c.mamba_num_heads;
        m.in_proj = lin(p + "in_proj", c.d_in_proj(), H);
        m.conv_w = randv(c.d_conv() * c.conv_kernel, -0.5f, 0.5f, s);
        m.conv_b = c.use_conv_bias ? randv(c.d_conv(), -0.1f, 0.1f, s) : std::vector<float>();
        m.dt_bias = randv(n_m, -4.0f, -2.0f, s);
        m.A = randv(n_m, 0.0f, 2.7f, s);
        for (float& a : m.A) a = -std::exp(a);
        m.D.assign(static_cast<size_t>(n_m), 1.0f);
        m.norm.assign(static_cast<size_t>(c.d_inner()), 1.0f);
        m.out_proj = lin(p + "out_proj", H, c.d_inner());
        break;
      }
      case LayerKind::Attention: {
        const int64_t q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;
        L.attn = {lin(p + "q_proj", q, H), lin(p + "k_proj", kv, H), lin(p + "v_proj", kv, H), lin(p + "o_proj", H, q)};
        break;
      }
      case LayerKind::Mlp: L.mlp = mlp(p, c.mlp_width(i), H); break;
      case LayerKind::Moe: {
        MoeWeights& m = L.moe;
        const int64_t E = c.n_routed_experts;
        m.gate = randv(E * H, -1.0f, 1.0f, s);
        for (float& g : m.gate) g /= std::sqrt(static_cast<float>(H));
        m.score_bias = randv(E, -0.01f, 0.01f, s);
        for (int64_t e = 0; e < E; ++e) m.experts.push_back(mlp(cat(p, "experts.", e, "."), c.moe_intermediate_size, c.moe_input_size()));
        m.has_shared = c.n_shared_experts > 0;
        if (m.has_shared) m.shared = mlp(p + "shared.", c.moe_shared_expert_intermediate_size * std::max<int64_t>(1, c.n_shared_experts), H);
        m.has_latent = c.moe_latent_size > 0;
        if (m.has_latent) {
          m.fc1_latent = lin(p + "fc1_latent", c.moe_latent_size, H);
          m.fc2_latent = lin(p + "fc2_latent", H, c.moe_latent_size);
        }
        break;
      }
    }
  }
  return w;
}

RowFiller synth_rows(uint64_t seed) {
  return [seed](const TensorView& t, int64_t row, int64_t count, float* out) {
    const int64_t cols = t.cols();
    const float scale = std::sqrt(3.0f / static_cast<float>(cols));
    const uint64_t base = hash_name(t.name, seed);
    for (int64_t r = 0; r < count; ++r) {
      uint64_t s = base ^ (static_cast<uint64_t>(row + r) * 0xd1b54a32d192ed03ull);
      for (int64_t j = 0; j < cols; ++j) out[r * cols + j] = scale * uniform(s);
    }
  };
}

}  // namespace nt
