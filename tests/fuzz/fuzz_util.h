// Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.cc).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/status.h"

namespace nt::fuzz {

// A file of the source tree (models, templates), for targets that load a fixed real input once.
inline std::string source_path(std::string_view rel) { return std::string(NEMOTRON_SOURCE_DIR) + "/" + std::string(rel); }

// Stops the fuzzer with a message: an invariant the target checks does not hold for this input.
[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz invariant violated: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// Setup that must work (loading the fixed inputs); aborts with the error otherwise.
template <typename T>
T must(Result<T> r, std::string_view what) {
  if (!r.is_ok()) fail(std::string(what) + ": " + r.status().message());
  return std::move(r).value();
}

}  // namespace nt::fuzz
