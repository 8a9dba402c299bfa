// The command table. Add a command: write cmd_<name>.cc with `int cmd_<name>(int, char**)`, list it here.
#include "cli.h"

namespace nt::cli {

int cmd_version(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_detokenize(int argc, char** argv);

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"version", "print the version", cmd_version},
      {"tokenize", "text -> token ids (JSON array; --jsonl: one array per line)", cmd_tokenize},
      {"detokenize", "token ids -> text", cmd_detokenize},
  };
  return kCommands;
}

void print_usage(FILE* out) {
  std::fprintf(out, "usage: nemotron <command> [options]\n\ncommands:\n");
  for (const auto& c : commands()) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
}

int cmd_version(int, char**) {
  std::printf("nemotron 0.1.0\n");
  return 0;
}

}  // namespace nt::cli
