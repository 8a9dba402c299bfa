// nemotron synth --config CONFIG.json --type TYPE --out OUT [--seed N] [--scale F] [--threads N] [--tokenizer DIR]
//                [--max-shard-mb N]
// Writes a random-weight model of the given config, streaming (memory stays small whatever the size):
//  - q8_0, q4_0, q4_k_m, q6_k (and f32, f16, bf16 when OUT ends in .gguf): a GGUF file;
//  - bf16, f16, f32: a Hugging Face directory (config.json, safetensors shards above --max-shard-mb, default 5000);
//  - fp8, fp8_per_channel, nvfp4, w4a16_nvfp4: a Hugging Face directory in NVIDIA ModelOpt's layout, the same files
//    `nemotron quantize --type` writes from the bf16 directory of the same seed.
// --scale F (0 < F <= 1) shrinks every width and count for quick tests. --tokenizer DIR adds DIR's tokenizer
// (embedded in GGUF; tokenizer files copied into a directory; its ids must fit the config's vocab_size; bos / eos /
// pad come from DIR/config.json when present), so `run`, `chat` and `serve` can drive the random model with text.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf_synth.h"
#include "formats/gguf_tokenizer.h"
#include "formats/hf_synth.h"
#include "model_args.h"
#include "quant/modelopt_export.h"
#include "text/tokenizer.h"

namespace nt::cli {

namespace {

constexpr const char* kTypes =
    "q8_0, q4_0, q4_k_m, q6_k (GGUF), bf16, f16, f32 (Hugging Face directory, GGUF when --out ends in .gguf), "
    "fp8, fp8_per_channel, nvfp4, w4a16_nvfp4 (ModelOpt Hugging Face directory)";

// What --type and --out ask for.
struct Target {
  bool directory = false;
  GgufPreset preset = GgufPreset::Q4_0;
  DType dtype = DType::BF16;
  ModelOptAlgo algo = ModelOptAlgo::None;
};

Result<Target> target_of(const std::string& type, const std::string& out) {
  Target t;
  if (modelopt_algo_from_type(type, &t.algo)) {
    if (ends_with(out, ".gguf")) {
      return Status::error(cat("--type ", type, " writes a Hugging Face directory (ModelOpt layout), but --out ", out,
                               " names a .gguf file"));
    }
    t.directory = true;
    return t;
  }
  if (!gguf_preset_from_name(type, &t.preset)) return Status::error(cat("unknown --type '", type, "': expected ", kTypes));
  if (!ends_with(out, ".gguf") && (type == "bf16" || type == "f16" || type == "f32")) {
    t.directory = true;
    t.dtype = type == "bf16" ? DType::BF16 : type == "f16" ? DType::F16 : DType::F32;
  }
  return t;
}

// bos / eos / pad of a tokenizer directory's config.json, when it has one.
Status take_token_ids(const std::string& tok_dir, ModelConfig* c) {
  if (!file_exists(tok_dir + "/config.json")) return Status::ok();
  NT_ASSIGN_OR_RETURN(std::string text, read_text_file(tok_dir + "/config.json", size_t{16} << 20));
  NT_ASSIGN_OR_RETURN(ModelConfig tc, parse_model_config(text, tok_dir + "/config.json"));
  c->bos_token_id = tc.bos_token_id;
  c->eos_token_ids = tc.eos_token_ids;
  c->pad_token_id = tc.pad_token_id;
  return Status::ok();
}

Status check_vocab(const std::string& tok_dir, int64_t n_tokens, int64_t vocab_size) {
  if (n_tokens <= vocab_size) return Status::ok();
  return Status::error(cat("--tokenizer ", tok_dir, ": the tokenizer has ", n_tokens, " tokens but the model's vocab_size is ", vocab_size));
}

// The tokenizer as GGUF metadata; refused before anything is written when its ids do not fit.
Result<std::vector<std::pair<std::string, GgufValue>>> gguf_tokenizer(const std::string& tok_dir, const ModelConfig& c) {
  NT_ASSIGN_OR_RETURN(auto kv, gguf_tokenizer_metadata(tok_dir, c.vocab_size, c.bos_token_id,
                                                       c.eos_token_ids.empty() ? -1 : c.eos_token_ids[0], c.pad_token_id));
  for (const auto& [key, value] : kv) {
    if (key == "tokenizer.ggml.tokens") NT_RETURN_IF_ERROR(check_vocab(tok_dir, static_cast<int64_t>(value.elems.size()), c.vocab_size));
  }
  return kv;
}

}  // namespace

int cmd_synth(int argc, char** argv) {
  Args args({"--config", "--type", "--out", "-o", "--seed", "--scale", "--threads", "-t", "--tokenizer", "--max-shard-mb"}, {});
  if (Status s = args.parse(argc, argv); !s) return fail("synth", s);
  const std::string cfg = args.get({"--config"}), out = args.get({"--out", "-o"});
  if (cfg.empty() || out.empty()) return fail("synth", Status::error("usage: nemotron synth --config CONFIG.json --type TYPE --out FILE.gguf|DIR"));
  const std::string type = args.get({"--type"}, "q4_0");
  auto target = target_of(type, out);
  if (!target) return fail("synth", target.status());
  auto seed = args.get_int({"--seed"}, 1);
  if (!seed) return fail("synth", seed.status());
  auto scale = args.get_double({"--scale"}, 1.0);
  if (!scale) return fail("synth", scale.status());
  if (!(*scale > 0 && *scale <= 1)) return fail("synth", Status::error("--scale must be in (0, 1]"));
  auto shard_mb = args.get_int({"--max-shard-mb"}, 5000);
  if (!shard_mb) return fail("synth", shard_mb.status());
  if (*shard_mb < 1) return fail("synth", Status::error(cat("--max-shard-mb must be at least 1, found ", *shard_mb)));
  auto threads = thread_count(args);
  if (!threads) return fail("synth", threads.status());
  auto text = read_text_file(cfg, size_t{16} << 20);
  if (!text) return fail("synth", text.status());
  auto config = parse_model_config(*text, cfg);
  if (!config) return fail("synth", config.status());
  ModelConfig c = std::move(config).value();
  if (*scale < 1) c = shrink_config(c, *scale);

  const std::string tok_dir = args.get({"--tokenizer"});
  std::vector<std::pair<std::string, GgufValue>> extra;
  if (!tok_dir.empty()) {
    if (!file_exists(tok_dir + "/tokenizer.json")) {
      return fail("synth", Status::error(cat("--tokenizer ", tok_dir, ": expected a directory with tokenizer.json")));
    }
    if (Status s = take_token_ids(tok_dir, &c); !s) return fail("synth", s);
    if (!target->directory) {
      auto kv = gguf_tokenizer(tok_dir, c);
      if (!kv) return fail("synth", kv.status());
      extra = std::move(kv).value();
    } else {
      auto tok = text::Tokenizer::load(tok_dir);
      if (!tok) return fail("synth", tok.status().with_context(cat("--tokenizer ", tok_dir)));
      if (Status s = check_vocab(tok_dir, static_cast<int64_t>(tok->vocab_size()), c.vocab_size); !s) return fail("synth", s);
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  std::string what = type;
  if (target->directory) {
    HfSynthOptions o;
    o.dtype = target->dtype;
    o.algo = target->algo;
    o.seed = static_cast<uint64_t>(*seed);
    o.threads = *threads;
    o.max_shard_bytes = static_cast<uint64_t>(*shard_mb) * 1'000'000;
    auto base = parse_json(*text, cfg);
    if (!base) return fail("synth", base.status());
    o.base_config = std::move(base).value();
    auto st = synth_hf(out, c, o);
    if (!st) return fail("synth", st.status());
    if (!tok_dir.empty()) {
      if (Status s = copy_tokenizer_files(tok_dir, out); !s) return fail("synth", s);
    }
    if (target->algo != ModelOptAlgo::None) {
      what = cat("ModelOpt ", modelopt_algo_name(target->algo), ": ", st->quantized, " weights quantized, ", st->kept, " kept");
    }
  } else if (Status s = synth_gguf(out, c, target->preset, static_cast<uint64_t>(*seed), *threads, std::move(extra)); !s) {
    return fail("synth", s);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s, pattern %s, H=%lld) in %.1f s\n", out.c_str(), what.c_str(), c.pattern().c_str(),
               static_cast<long long>(c.hidden_size), secs);
  return 0;
}

}  // namespace nt::cli
