// Helpers shared by the GGUF tests: a little-endian byte builder for hand-crafted files, parsing
// from memory, and a per-test temporary path (removed at exit).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/gguf.h"

namespace nt::gguf_test {

struct Bytes {
  std::vector<uint8_t> b;
  Bytes& raw(const void* p, size_t n) {
    const size_t old = b.size();
    b.resize(old + n);
    if (n > 0) std::memcpy(b.data() + old, p, n);
    return *this;
  }
  Bytes& u8(uint8_t v) { return raw(&v, 1); }
  Bytes& u32(uint32_t v) { return raw(&v, 4); }
  Bytes& u64(uint64_t v) { return raw(&v, 8); }
  Bytes& f32(float v) { return raw(&v, 4); }
  Bytes& str(const std::string& s) { u64(s.size()); return raw(s.data(), s.size()); }
  Bytes& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    raw("GGUF", 4);
    u32(version);
    u64(n_tensors);
    return u64(n_kv);
  }
  // name, n_dims, ne..., type, offset
  Bytes& tensor_info(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name);
    u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) u64(d);
    u32(type);
    return u64(offset);
  }
  Bytes& pad_to(size_t align) {
    while (b.size() % align) b.push_back(0);
    return *this;
  }
  Bytes& zeros(size_t n) {
    b.resize(b.size() + n, 0);
    return *this;
  }
};

// Parses a copy of the bytes (the copy is owned by the result, so each parse sees exact bounds).
inline Result<GgufFile> parse_bytes(const std::vector<uint8_t>& bytes) {
  auto copy = std::make_shared<std::vector<uint8_t>>(bytes);
  const uint8_t* p = copy->data();
  return GgufFile::parse(copy, p, copy->size());
}

// A path in the test temporary directory, unique to the running test; the file is removed when the test program
// exits, so runs leave nothing behind.
inline std::string temp_path(const std::string& name) {
  struct Registry {
    std::vector<std::string> paths;
    ~Registry() {
      for (const std::string& p : paths) std::remove(p.c_str());
    }
  };
  static Registry registry;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  registry.paths.push_back(::testing::TempDir() + "nt_" + info->test_suite_name() + "_" + info->name() + "_" + name);
  return registry.paths.back();
}

}  // namespace nt::gguf_test
