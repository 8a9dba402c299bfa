// Streamed safetensors writing: the bytes each tensor's rows produce land where the header says, prepare / done run
// once around each tensor, shards follow transformers' rule (a new shard when the next tensor would overflow, an
// oversized tensor alone) with an index the loader reads, an earlier checkpoint's weight files are replaced and other
// files kept; the ModelOpt streams give the same bytes whatever order their tensors are written in.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/safetensors.h"
#include "formats/safetensors_write.h"
#include "perf/process_memory.h"
#include "quant/modelopt_stream.h"
#include "test_util.h"

namespace nt {
namespace {

// A U8 tensor [rows, cols] whose byte (r, c) is (seed + 7r + c) mod 256.
StreamedTensor pattern_tensor(const std::string& name, int64_t rows, int64_t cols, uint8_t seed) {
  StreamedTensor t{name, DType::U8, {rows, cols}, {}, {}, {}};
  t.fill = [cols, seed](int64_t row, int64_t count, uint8_t* out) {
    for (int64_t r = 0; r < count; ++r)
      for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = static_cast<uint8_t>(seed + 7 * (row + r) + c);
  };
  return t;
}

void expect_pattern(const TensorView& v, int64_t cols, uint8_t seed) {
  for (size_t i = 0; i < v.nbytes; ++i) {
    const int64_t r = static_cast<int64_t>(i) / cols, c = static_cast<int64_t>(i) % cols;
    ASSERT_EQ(v.data[i], static_cast<uint8_t>(seed + 7 * r + c)) << v.name << " byte " << i;
  }
}

TEST(SafetensorsWrite, ShardsByTheNextTensorAndReadsBack) {
  test::TempDir tmp;
  const std::string dir = tmp.file("ckpt");
  std::filesystem::create_directories(dir);
  for (const char* stale : {"model.safetensors", "model-00001-of-00002.safetensors", "model.safetensors.index.json"}) {
    test::write_file(dir + "/" + stale, "stale");
  }
  test::write_file(dir + "/tokenizer.json", "{}");
  // Bytes 300, 300, 500, 1200, 100 with a 1000-byte limit: [a b] [c] [d] [e].
  std::vector<StreamedTensor> ts = {pattern_tensor("a", 3, 100, 1), pattern_tensor("b", 30, 10, 2), pattern_tensor("c", 5, 100, 3),
                                    pattern_tensor("d", 1200, 1, 4), pattern_tensor("e", 1, 100, 5)};
  std::atomic<int> prepared{0}, done{0};
  for (auto& t : ts) {
    t.prepare = [&prepared](ThreadPool&) { ++prepared; return Status::ok(); };
    t.done = [&done] { ++done; };
  }
  CheckpointWriteOptions o;
  o.max_shard_bytes = 1000;
  ThreadPool pool(3);
  ASSERT_TRUE(write_safetensors_checkpoint(dir, ts, o, pool).is_ok());
  EXPECT_EQ(prepared.load(), 5);
  EXPECT_EQ(done.load(), 5);
  EXPECT_FALSE(file_exists(dir + "/model.safetensors"));
  EXPECT_EQ(test::read_file(dir + "/tokenizer.json"), "{}");
  auto index = parse_json(test::read_file(dir + "/model.safetensors.index.json"), "index");
  ASSERT_TRUE(index.is_ok());
  EXPECT_EQ((*index)["metadata"]["total_size"], 2400);
  const Json& map = (*index)["weight_map"];
  EXPECT_EQ(map["a"], "model-00001-of-00004.safetensors");
  EXPECT_EQ(map["b"], "model-00001-of-00004.safetensors");
  EXPECT_EQ(map["c"], "model-00002-of-00004.safetensors");
  EXPECT_EQ(map["d"], "model-00003-of-00004.safetensors");
  EXPECT_EQ(map["e"], "model-00004-of-00004.safetensors");
  auto store = TensorStore::open(dir);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  ASSERT_EQ(store->tensors().size(), 5u);
  expect_pattern(*store->find("a"), 100, 1);
  expect_pattern(*store->find("b"), 10, 2);
  expect_pattern(*store->find("c"), 100, 3);
  expect_pattern(*store->find("d"), 1, 4);
  expect_pattern(*store->find("e"), 100, 5);

  // Under the limit: one model.safetensors, and the shards and index of the run above are gone.
  ASSERT_TRUE(write_safetensors_checkpoint(dir, {pattern_tensor("x", 4, 4, 9)}, {}, pool).is_ok());
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string f = e.path().filename().string();
    EXPECT_TRUE(f == "model.safetensors" || f == "tokenizer.json") << f;
  }
  auto one = TensorStore::open(dir);
  ASSERT_TRUE(one.is_ok()) << one.status().message();
  expect_pattern(*one->find("x"), 4, 9);
}

TEST(SafetensorsWrite, UnwritableDirectoryIsAClearError) {
  test::TempDir tmp;
  test::write_file(tmp.file("file"), "x");
  ThreadPool pool(1);
  Status s = write_safetensors_checkpoint(tmp.file("file/sub"), {pattern_tensor("x", 1, 1, 0)}, {}, pool);
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(s.message().find("cannot create the output directory " + tmp.file("file/sub")), std::string::npos) << s.message();
}

// The scales of a quantized weight are recorded by its quantizing pass; written before the weight (not the sorted
// order), they come from a pass of their own and must be the same bytes.
TEST(ModelOptStream, SameBytesInAnyWriteOrder) {
  constexpr int64_t out = 24, in = 64;
  std::vector<float> w(static_cast<size_t>(out * in));
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i)) * (1.0f + static_cast<float>(i % 7));
  for (ModelOptAlgo algo : {ModelOptAlgo::Fp8, ModelOptAlgo::Fp8PerChannel, ModelOptAlgo::Nvfp4}) {
    auto make = [&] {
      SourceTensor s{"m.weight", DType::BF16, {out, in}, nullptr, {}, true};
      s.rows = [&w, in](int64_t row, int64_t count, float* o) { std::copy_n(w.data() + row * in, count * in, o); };
      auto streams = modelopt_stream({s}, algo);
      EXPECT_TRUE(streams.is_ok()) << streams.status().message();
      return std::move(streams).value();
    };
    test::TempDir tmp;
    ThreadPool pool(2);
    std::vector<StreamedTensor> sorted = make(), reversed = make();
    std::reverse(reversed.begin(), reversed.end());
    auto pos = [&](const std::string& n) {
      return std::find_if(reversed.begin(), reversed.end(), [&](const StreamedTensor& t) { return t.name == n; }) - reversed.begin();
    };
    ASSERT_LT(pos("m.weight_scale"), pos("m.weight"));
    ASSERT_TRUE(write_safetensors_streamed(tmp.file("a.safetensors"), sorted, {}, pool).is_ok());
    ASSERT_TRUE(write_safetensors_streamed(tmp.file("b.safetensors"), reversed, {}, pool).is_ok());
    auto a = TensorStore::open(tmp.file("a.safetensors"));
    auto b = TensorStore::open(tmp.file("b.safetensors"));
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    ASSERT_EQ(a->tensors().size(), b->tensors().size());
    for (const auto& [name, t] : a->tensors()) {
      const TensorView* u = b->find(name);
      ASSERT_NE(u, nullptr) << name;
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.data), t.nbytes),
                std::string(reinterpret_cast<const char*>(u->data), u->nbytes)) << modelopt_algo_name(algo) << " " << name;
    }
  }
}

// Streaming: writing 64 NVFP4 weights of [1024, 4096] (128 MiB of codes, 16 MiB of block scales) grows the peak
// resident memory by about one block of rows, not by the codes, and not by the block scales of every weight.
TEST(ModelOptStream, MemoryStaysAtABlockOfRows) {
  constexpr int64_t out = 1024, in = 4096;
  std::vector<SourceTensor> src;
  for (int i = 0; i < 64; ++i) {
    SourceTensor s{cat("w", i, ".weight"), DType::BF16, {out, in}, nullptr, {}, true};
    s.rows = [i](int64_t row, int64_t count, float* o) {
      for (int64_t k = 0; k < count * in; ++k) o[k] = static_cast<float>((row * in + k + i) % 13) - 6.0f;
    };
    src.push_back(std::move(s));
  }
  auto streams = modelopt_stream(std::move(src), ModelOptAlgo::Nvfp4);
  ASSERT_TRUE(streams.is_ok()) << streams.status().message();
  test::TempDir tmp;
  ThreadPool pool(2);
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer keeps freed blocks in quarantine: RSS measures it, not the writer";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "AddressSanitizer keeps freed blocks in quarantine: RSS measures it, not the writer";
#endif
#endif
  if (!perf::reset_peak_rss()) GTEST_SKIP() << "no /proc/self/clear_refs";
  const int64_t before = perf::current_rss_bytes();
  ASSERT_TRUE(write_safetensors_streamed(tmp.file("m.safetensors"), *streams, {}, pool).is_ok());
  const int64_t growth = perf::peak_rss_bytes() - before;
  std::printf("peak RSS growth writing 144 MiB of NVFP4 tensors: %.1f MiB\n", growth / 1048576.0);
  EXPECT_LT(growth, int64_t{14} << 20);
}

TEST(ModelOptStream, RefusesWhatItCannotQuantize) {
  auto rows = [](int64_t, int64_t, float*) {};
  auto e1 = modelopt_stream({SourceTensor{"m.weight", DType::BF16, {4, 24}, nullptr, rows, true}}, ModelOptAlgo::Nvfp4);
  ASSERT_FALSE(e1.is_ok());
  EXPECT_NE(e1.status().message().find("NVFP4 needs a multiple of 16 inputs, found 24"), std::string::npos) << e1.status().message();
  auto e2 = modelopt_stream({SourceTensor{"m.weight", DType::BF16, {4, 4, 16}, nullptr, rows, true}}, ModelOptAlgo::Fp8);
  ASSERT_FALSE(e2.is_ok());
  EXPECT_NE(e2.status().message().find("found shape [4, 4, 16]"), std::string::npos) << e2.status().message();
  auto e3 = modelopt_stream({SourceTensor{"v", DType::BF16, {4}, nullptr, {}, false}}, ModelOptAlgo::None);
  ASSERT_FALSE(e3.is_ok());
  EXPECT_NE(e3.status().message().find("tensor 'v'"), std::string::npos) << e3.status().message();
}

}  // namespace
}  // namespace nt
