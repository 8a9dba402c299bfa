// nemotron quantize -m DIR --type q8_0|q4_0|q4_k_m|q6_k|bf16|f16|f32 --out OUT.gguf
// nemotron quantize -m DIR --type fp8|fp8_per_channel|nvfp4|w4a16_nvfp4 --out OUTDIR
// GGUF: writes a Hugging Face checkpoint as a llama.cpp GGUF (names, layouts, metadata and per-tensor types
// as llama.cpp's converter + llama-quantize produce them), streaming one block of rows at a time.
// ModelOpt: writes a Hugging Face directory in NVIDIA ModelOpt's FP8 / NVFP4 layout (src/quant/modelopt_export.h).
#include <chrono>
#include <cstdio>

#include "cli.h"
#include "core/thread_pool.h"
#include "core/strings.h"
#include "formats/gguf_export.h"
#include "formats/gguf_tokenizer.h"
#include "model/hybrid_lm.h"
#include "quant/modelopt_export.h"

namespace nt::cli {

int cmd_quantize(int argc, char** argv) {
  Args args({"-m", "--model", "--type", "--out", "-o"}, {});
  if (Status s = args.parse(argc, argv); !s) return fail("quantize", s);
  const std::string dir = args.get({"-m", "--model"}), out = args.get({"--out", "-o"});
  if (dir.empty() || out.empty()) {
    return fail("quantize", Status::error("usage: nemotron quantize -m DIR --type TYPE --out OUT.gguf (or OUTDIR for fp8/nvfp4)"));
  }
  GgufExportOptions o;
  const std::string type = args.get({"--type"}, "q8_0");
  ModelOptAlgo algo = ModelOptAlgo::None;
  const bool modelopt = modelopt_algo_from_type(type, &algo);
  if (!modelopt && !gguf_preset_from_name(type, &o.preset)) {
    return fail("quantize", Status::error(cat("unknown --type '", type,
                                              "': expected q8_0, q4_0, q4_k_m, q6_k, bf16, f16, f32 (GGUF) or "
                                              "fp8, fp8_per_channel, nvfp4, w4a16_nvfp4 (ModelOpt safetensors)")));
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto model = HybridLM::load(dir, LoadOptions{.pack_weights = false});  // reads the weights, computes nothing
  if (!model) return fail("quantize", model.status());
  if (modelopt) {
    auto st = export_modelopt(dir, out, algo, (*model)->config(), (*model)->weights(), (*model)->store(),
                              hardware_threads());
    if (!st) return fail("quantize", st.status());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "wrote %s (ModelOpt %s: %lld weights quantized, %lld kept) in %.1f s\n", out.c_str(),
                 std::string(modelopt_algo_name(algo)).c_str(), static_cast<long long>(st->quantized),
                 static_cast<long long>(st->kept), secs);
    return 0;
  }
  auto tok = gguf_tokenizer_metadata(dir, (*model)->config());
  if (!tok) return fail("quantize", tok.status());
  o.extra = std::move(tok).value();
  o.threads = hardware_threads();
  if (Status s = export_gguf(out, (*model)->config(), (*model)->weights(), o); !s) return fail("quantize", s);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "wrote %s (%s) in %.1f s\n", out.c_str(), std::string(gguf_preset_name(o.preset)).c_str(), secs);
  return 0;
}

}  // namespace nt::cli
