// The file of packed routed experts (kernels/packed_file.h, LoadOptions::expert_cache_dir): the first load writes
// it, later loads map it without writing, and a model run from it gives bitwise the logits of the stored layout.
// A file that does not match (another model, the model rewritten, truncated, a damaged header or payload start) is
// replaced; a directory that cannot hold it leaves the experts mapped as stored rows, and no temporary file stays
// (a dead writer's is removed).
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "core/mapped_file.h"
#include "formats/gguf_synth.h"
#include "formats/synth_weights.h"
#include "kernel_test_util.h"
#include "kernels/packed_file.h"
#include "kernels/packed_weight.h"
#include "model/config_json.h"
#include "model/hybrid_lm.h"
#include "model/model_test_util.h"
#include "test_util.h"

namespace nt {
namespace {

namespace fs = std::filesystem;

bool packing_on_this_cpu() {
  auto w = test::make_linear(test::WType{true, GgmlType::Q4_0, DType::U8, "q4_0"}, 4, 64, 1);
  return kernels::packing_applies(w.l.w);
}

// The 30B-A3B layout at 1/32 scale (experts in whole 32-value blocks, so they have a packed layout).
ModelConfig small_moe() {
  auto text = read_text_file(test::source_dir() + "/configs/NVIDIA-Nemotron-3-Nano-30B-A3B.json");
  EXPECT_TRUE(text.is_ok());
  auto cfg = parse_model_config(*text, "30B-A3B");
  EXPECT_TRUE(cfg.is_ok()) << cfg.status().message();
  return shrink_config(*cfg, 1.0 / 32);
}

// Every routed expert has a packed copy.
void expect_experts_packed(const HybridLM& m) {
  int64_t n = 0;
  for (const LayerWeights& L : m.weights().layers) {
    for (const MlpWeights& e : L.moe.experts) {
      for (const Linear* l : {&e.up_proj, &e.down_proj}) {
        ASSERT_TRUE(l->packed) << "expert " << n;
        ++n;
      }
    }
  }
  ASSERT_GT(n, 0);
}

struct FileState {
  bool exists = false;
  ino_t inode = 0;
  size_t size = 0;
};

FileState state_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {true, st.st_ino, static_cast<size_t>(st.st_size)};
}

// The one *.experts file in dir ("" if none), and that nothing else (no temporary file) is there.
std::string only_cache_file(const std::string& dir) {
  std::string found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    EXPECT_EQ(e.path().extension(), ".experts") << "left behind: " << e.path();
    if (e.path().extension() == ".experts") {
      EXPECT_TRUE(found.empty()) << "two cache files";
      found = e.path().string();
    }
  }
  return found;
}

class PackedExpertFile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!packing_on_this_cpu()) GTEST_SKIP() << "no packed layout for this CPU's fast route";
    model_ = tmp_.file("moe.gguf");
    cache_ = tmp_.file("cache/experts");
    ASSERT_TRUE(synth_gguf(model_, small_moe(), GgufPreset::Q4_0, 5).is_ok());
    auto plain = HybridLM::load(model_, LoadOptions{.pack_weights = false});
    ASSERT_TRUE(plain.is_ok()) << plain.status().message();
    for (int64_t n : {int64_t{14}, int64_t{1}}) want_.push_back(test::logits_of(**plain, tokens(n)));
  }

  static std::vector<int32_t> tokens(int64_t n) {
    const std::vector<int32_t> prompt{1, 5, 9, 2, 7, 3, 11, 4, 6, 8, 10, 12, 0, 13};
    return {prompt.begin(), prompt.begin() + n};
  }

  std::unique_ptr<HybridLM> load_with_file() {
    auto m = HybridLM::load(model_, LoadOptions{.expert_cache_dir = cache_, .experts_to_file = true});
    EXPECT_TRUE(m.is_ok()) << m.status().message();
    return m.is_ok() ? std::move(m).value() : nullptr;
  }

  // 14 tokens: the prefill tiles; 1: the decode kernels. Bitwise the stored layout's logits.
  void expect_exact(const HybridLM& m) {
    size_t i = 0;
    for (int64_t n : {int64_t{14}, int64_t{1}}) {
      const std::vector<float> got = test::logits_of(m, tokens(n));
      ASSERT_EQ(got.size(), want_[i].size());
      EXPECT_EQ(std::memcmp(got.data(), want_[i].data(), sizeof(float) * got.size()), 0) << n << " tokens";
      ++i;
    }
  }

  test::TempDir tmp_;
  std::string model_, cache_;
  std::vector<std::vector<float>> want_;
};

TEST_F(PackedExpertFile, WrittenOnceThenMapped) {
  auto first = load_with_file();
  ASSERT_TRUE(first);
  const std::string file = only_cache_file(cache_);
  ASSERT_FALSE(file.empty());
  expect_experts_packed(*first);
  expect_exact(*first);
  // The experts' copies are the file's bytes, in its mapping, not in the anonymous arena.
  const auto& e = first->weights().layers;
  const kernels::PackedWeight* pw = nullptr;
  for (const LayerWeights& L : e) {
    if (!L.moe.experts.empty()) {
      pw = L.moe.experts[0].up_proj.packed.get();
      break;
    }
  }
  ASSERT_NE(pw, nullptr);
  std::ifstream f(file, std::ios::binary);
  std::vector<char> head(24);
  f.read(head.data(), 24);
  EXPECT_EQ(std::string(head.data(), 8), "NTPACKED");
  uint64_t data_offset = 0;  // after the magic and the two version words
  std::memcpy(&data_offset, head.data() + 16, 8);
  EXPECT_EQ(data_offset % (2u << 20), 0u);
  std::vector<char> bytes(pw->group_bytes);
  f.seekg(static_cast<std::streamoff>(data_offset));
  f.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_EQ(std::memcmp(bytes.data(), pw->data, bytes.size()), 0) << "the first expert is not at the data start";

  const FileState before = state_of(file);
  auto second = load_with_file();  // maps the file as it is
  ASSERT_TRUE(second);
  const FileState after = state_of(file);
  EXPECT_EQ(after.inode, before.inode) << "the valid file was written again";
  expect_experts_packed(*second);
  expect_exact(*second);
  EXPECT_EQ(only_cache_file(cache_), file);

  // Not asked for and the experts fit the budget: the arena, and the file is left alone.
  auto arena = HybridLM::load(model_, LoadOptions{.expert_cache_dir = cache_});
  ASSERT_TRUE(arena.is_ok());
  expect_experts_packed(**arena);
  EXPECT_EQ(state_of(file).inode, before.inode);
}

TEST_F(PackedExpertFile, MismatchedFileIsReplaced) {
  ASSERT_TRUE(load_with_file());
  const std::string file = only_cache_file(cache_);
  ASSERT_FALSE(file.empty());
  const size_t size = state_of(file).size;
  std::vector<char> original(size);
  {
    std::ifstream f(file, std::ios::binary);
    f.read(original.data(), static_cast<std::streamsize>(size));
  }
  uint64_t data_offset = 0;
  std::memcpy(&data_offset, original.data() + 16, 8);
  struct Damage {
    const char* what;
    std::function<void(std::vector<char>&)> apply;
  };
  const std::vector<Damage> damages = {
      {"truncated", [](std::vector<char>& b) { b.resize(b.size() - 100); }},
      {"empty", [](std::vector<char>& b) { b.clear(); }},
      {"magic", [](std::vector<char>& b) { b[0] = 'X'; }},
      {"key byte", [](std::vector<char>& b) { b[40] ^= 1; }},
      {"first payload byte", [&](std::vector<char>& b) { b[data_offset] ^= 0x5A; }},
      {"longer", [](std::vector<char>& b) { b.resize(b.size() + 64, 0); }},
  };
  for (const Damage& d : damages) {
    std::vector<char> bad = original;
    d.apply(bad);
    {
      std::ofstream f(file, std::ios::binary | std::ios::trunc);
      f.write(bad.data(), static_cast<std::streamsize>(bad.size()));
    }
    auto m = load_with_file();
    ASSERT_TRUE(m) << d.what;
    expect_experts_packed(*m);
    expect_exact(*m);
    EXPECT_EQ(state_of(file).size, size) << d.what;
    std::vector<char> now(size);
    std::ifstream f(file, std::ios::binary);
    f.read(now.data(), static_cast<std::streamsize>(size));
    EXPECT_TRUE(now == original) << d.what << ": the rewritten file differs from the first one";
    EXPECT_EQ(only_cache_file(cache_), file) << d.what;
  }

  // The model file rewritten in place (new modification time): the same cache path, a new key, a new file.
  const FileState before = state_of(file);
  fs::last_write_time(model_, fs::last_write_time(model_) + std::chrono::seconds(5));
  auto m = load_with_file();
  ASSERT_TRUE(m);
  EXPECT_NE(state_of(file).inode, before.inode);
  EXPECT_EQ(only_cache_file(cache_), file);
  expect_exact(*m);
}

// A writer killed mid-write leaves FILE.tmp.PID: the next writer removes it when PID no longer runs, and leaves a
// running process's alone.
TEST_F(PackedExpertFile, DeadWritersTemporaryFilesAreRemoved) {
  ASSERT_TRUE(load_with_file());
  const std::string file = only_cache_file(cache_);
  ASSERT_FALSE(file.empty());
  const std::string dead = file + ".tmp.999999999", running = file + ".tmp.1";  // pid_max is at most 2^22
  std::ofstream(dead) << "partial";
  std::ofstream(running) << "partial";
  std::ofstream(file, std::ios::trunc) << "damaged";
  ASSERT_TRUE(load_with_file());
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(running));
  fs::remove(running);
  EXPECT_EQ(only_cache_file(cache_), file);
}

TEST_F(PackedExpertFile, UnwritableDirectoryKeepsTheExpertsMapped) {
  const std::string blocker = tmp_.file("not-a-directory");
  std::ofstream(blocker) << "x";
  auto m = HybridLM::load(model_, LoadOptions{.expert_cache_dir = blocker + "/cache", .experts_to_file = true});
  ASSERT_TRUE(m.is_ok()) << m.status().message();
  for (const LayerWeights& L : (*m)->weights().layers) {
    for (const MlpWeights& e : L.moe.experts) EXPECT_FALSE(e.up_proj.packed || e.down_proj.packed);
  }
  expect_exact(**m);
}

TEST_F(PackedExpertFile, KeyNamesTheModelsFiles) {
  const kernels::PackedFileSpec a = expert_cache_spec({model_}, cache_);
  EXPECT_EQ(fs::path(a.path).parent_path(), fs::path(cache_));
  EXPECT_EQ(fs::path(a.path).filename().string().rfind("moe.gguf.", 0), 0u) << a.path;
  EXPECT_NE(a.key.find(fs::canonical(model_).string()), std::string::npos) << a.key;
  EXPECT_EQ(expert_cache_spec({model_}, cache_).key, a.key);
  EXPECT_TRUE(expert_cache_spec({tmp_.file("missing.gguf")}, cache_).path.empty());
  EXPECT_TRUE(expert_cache_spec({model_}, "").path.empty());
  const std::string copy = tmp_.file("copy/moe.gguf");
  fs::create_directories(fs::path(copy).parent_path());
  fs::copy_file(model_, copy);
  EXPECT_NE(expert_cache_spec({copy}, cache_).path, a.path) << "two model paths share one cache file";
}

}  // namespace
}  // namespace nt
