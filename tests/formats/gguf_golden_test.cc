// Compatibility with ggml: tests/data/gguf/ggml_written.gguf was written by ggml's own gguf API
// (tools/reference/ggml_golden.py). Writing the same content with GgufWriter must give the same
// bytes, and GgufFile must read ggml's file.
#include <fstream>

#include "gguf_test_util.h"

namespace nt {
namespace {

const std::string kGolden = std::string(NEMOTRON_SOURCE_DIR) + "/tests/data/gguf/ggml_written.gguf";

struct Tensor {
  const char* name;
  GgmlType type;
  std::vector<int64_t> ne;
};
const Tensor kTensors[] = {{"token_embd.weight", GgmlType::F32, {3, 2}},
                           {"blk.0.ssm_a", GgmlType::F16, {5}},
                           {"output.weight", GgmlType::Q8_0, {64, 2}}};

std::vector<uint8_t> tensor_bytes(const std::string& name, size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 7 + name.size()) & 0xFF);
  return v;
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

TEST(GgufGolden, WriterOutputIsByteIdenticalToGgml) {
  const std::string path = gguf_test::temp_path("ours.gguf");
  auto w = GgufWriter::create(path);
  ASSERT_TRUE(w.is_ok());
  GgufWriter& g = **w;
  ASSERT_TRUE(g.add("general.architecture", GgufValue::string("nemotron_h")).is_ok());
  ASSERT_TRUE(g.add("t.u8", GgufValue::u8(200)).is_ok());
  ASSERT_TRUE(g.add("t.i8", GgufValue::i8(-100)).is_ok());
  ASSERT_TRUE(g.add("t.u16", GgufValue::u16(60000)).is_ok());
  ASSERT_TRUE(g.add("t.i16", GgufValue::i16(-30000)).is_ok());
  ASSERT_TRUE(g.add("t.u32", GgufValue::u32(4000000000u)).is_ok());
  ASSERT_TRUE(g.add("t.i32", GgufValue::i32(-2000000000)).is_ok());
  ASSERT_TRUE(g.add("t.f32", GgufValue::f32(1.5f)).is_ok());
  ASSERT_TRUE(g.add("t.bool", GgufValue::boolean(true)).is_ok());
  ASSERT_TRUE(g.add("t.u64", GgufValue::u64(1ull << 60)).is_ok());
  ASSERT_TRUE(g.add("t.i64", GgufValue::i64(-(1ll << 60))).is_ok());
  ASSERT_TRUE(g.add("t.f64", GgufValue::f64(-2.25)).is_ok());
  ASSERT_TRUE(g.add("t.arr_i32", GgufValue::i32_array({0, 2, 0, 8})).is_ok());
  ASSERT_TRUE(g.add("t.arr_f32", GgufValue::f32_array({0.5f, -1.0f})).is_ok());
  ASSERT_TRUE(g.add("t.arr_str", GgufValue::string_array({"<unk>", "", "\xc4\xa0hello"})).is_ok());
  for (const auto& t : kTensors) ASSERT_TRUE(g.add_tensor(t.name, t.type, t.ne).is_ok());
  for (const auto& t : kTensors) {
    const auto data = tensor_bytes(t.name, g.tensor_nbytes(t.name).value());
    ASSERT_TRUE(g.write_tensor_data(data.data(), data.size()).is_ok());
  }
  ASSERT_TRUE(g.finish().is_ok());
  const auto ours = slurp(path), theirs = slurp(kGolden);
  ASSERT_FALSE(theirs.empty()) << "missing " << kGolden;
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) ASSERT_EQ(ours[i], theirs[i]) << "first difference at byte " << i;
}

TEST(GgufGolden, ReadsGgmlWrittenFile) {
  auto f = GgufFile::open(kGolden);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->get_string("general.architecture").value(), "nemotron_h");
  EXPECT_EQ(f->get_u16("t.u16").value(), 60000);
  EXPECT_EQ(f->get_i64("t.i64").value(), -(1ll << 60));
  EXPECT_EQ(f->get_f64("t.f64").value(), -2.25);
  EXPECT_EQ(f->get_int_array("t.arr_i32").value(), (std::vector<int64_t>{0, 2, 0, 8}));
  EXPECT_EQ(f->get_array_string("t.arr_str").value()[2], "\xc4\xa0hello");
  ASSERT_EQ(f->tensors().size(), 3u);
  for (const auto& t : kTensors) {
    const GgufTensor* g = f->find_tensor(t.name);
    ASSERT_NE(g, nullptr) << t.name;
    EXPECT_EQ(g->type, t.type);
    EXPECT_EQ(g->ne, t.ne);
    const auto want = tensor_bytes(t.name, g->nbytes);
    EXPECT_EQ(std::memcmp(g->data, want.data(), want.size()), 0);
  }
}

}  // namespace
}  // namespace nt
