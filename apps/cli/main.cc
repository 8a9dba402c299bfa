// nemotron: command-line front end. Each subcommand lives in its own file (apps/cli/cmd_*.cc).
#include <cstdio>
#include <cstring>
#include <string>

#include "cli.h"

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0) {
    nt::cli::print_usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  for (const auto& c : nt::cli::commands()) {
    if (sub == c.name) return c.run(argc - 2, argv + 2);
  }
  std::fprintf(stderr, "nemotron: unknown command '%s' (expected one of:", sub.c_str());
  for (const auto& c : nt::cli::commands()) std::fprintf(stderr, " %s", c.name);
  std::fprintf(stderr, ")\n");
  return 2;
}
