// libFuzzer target: arbitrary bytes as a safetensors file (u64 header length | JSON header | data). Views that
// parse must lie inside the buffer, match dtype × shape and not overlap; every byte of every view is read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats/safetensors.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A private copy, so reads past the end are caught by ASan at the exact byte.
  std::vector<uint8_t> copy(data, data + size);
  auto views = nt::parse_safetensors(copy.data(), copy.size(), "fuzz.safetensors");
  if (!views.is_ok()) return 0;
  const uint8_t* begin = copy.data();
  const uint8_t* end = copy.data() + copy.size();
  volatile uint8_t sink = 0;
  for (const nt::TensorView& v : *views) {
    if (v.nbytes == 0) continue;
    if (v.data < begin || v.data + v.nbytes > end) nt::fuzz::fail("tensor view outside the file");
    for (size_t i = 0; i < v.nbytes; ++i) sink = sink + v.data[i];
  }
  return 0;
}
