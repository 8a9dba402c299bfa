// The command table. Add a command: write cmd_<name>.cc with `int cmd_<name>(int, char**)`, list it here.
#include "cli.h"
#include "core/cpu_features.h"

namespace nt::cli {

int cmd_version(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_logits(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_render(int argc, char** argv);
int cmd_chat(int argc, char** argv);
int cmd_perplexity(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_detokenize(int argc, char** argv);
int cmd_quantize(int argc, char** argv);
int cmd_synth(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_vocab(int argc, char** argv);

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"info", "describe a model: layers, parameters, state and KV sizes, dtypes", cmd_info},
      {"logits", "write logits [T, V] of a token sequence to a .npy file", cmd_logits},
      {"run", "generate a continuation", cmd_run},
      {"chat", "interactive multi-turn chat that keeps the model state between turns", cmd_chat},
      {"perplexity", "perplexity of a text file (JSON: ppl, tokens)", cmd_perplexity},
      {"render", "render a chat template for a request (--template FILE | --model DIR)", cmd_render},
      {"version", "print the version", cmd_version},
      {"tokenize", "text -> token ids (JSON array; --jsonl: one array per line)", cmd_tokenize},
      {"detokenize", "token ids -> text", cmd_detokenize},
      {"quantize", "write a model as a llama.cpp GGUF (--type q8_0|q4_0|q4_k_m|q6_k|bf16|f16|f32) or a ModelOpt checkpoint (--type fp8|nvfp4|...)", cmd_quantize},
      {"synth", "write a random-weight model of a config (GGUF, or a Hugging Face / ModelOpt directory), streaming", cmd_synth},
      {"bench", "prefill/decode speed against the measured bandwidth and compute rooflines (--json)", cmd_bench},
      {"vocab", "write a tokenizer directory as a vocabulary-only GGUF (tokenizer.ggml.* metadata)", cmd_vocab},
      {"serve", "OpenAI-compatible HTTP server with continuous batching and state reuse", cmd_serve},
  };
  return kCommands;
}

void print_usage(FILE* out) {
  std::fprintf(out, "usage: nemotron <command> [options]\n\ncommands:\n");
  for (const auto& c : commands()) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
}

int cmd_version(int, char**) {
  std::printf("nemotron 0.1.0\ncpu: %s\n", describe(cpu_features()).c_str());
  return 0;
}

}  // namespace nt::cli
