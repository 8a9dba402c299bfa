// Writer -> reader round trips: every metadata type (nested arrays too), several tensors, chunked
// tensor writes, a non-default alignment, and the typed accessors' error messages.
#include <cmath>
#include <numeric>

#include "gguf_test_util.h"

namespace nt {
namespace {

using gguf_test::temp_path;

std::vector<std::pair<std::string, GgufValue>> all_types() {
  std::vector<std::pair<std::string, GgufValue>> kv = {
      {"general.architecture", GgufValue::string("nemotron_h")},
      {"t.u8", GgufValue::u8(255)},
      {"t.i8", GgufValue::i8(-128)},
      {"t.u16", GgufValue::u16(65535)},
      {"t.i16", GgufValue::i16(-32768)},
      {"t.u32", GgufValue::u32(4294967295u)},
      {"t.i32", GgufValue::i32(-2147483647 - 1)},
      {"t.f32", GgufValue::f32(-0.1f)},
      {"t.bool_true", GgufValue::boolean(true)},
      {"t.bool_false", GgufValue::boolean(false)},
      {"t.string_empty", GgufValue::string("")},
      {"t.string_utf8", GgufValue::string("\xc4\xa0" "caf\xc3\xa9 \xe2\x9c\x93")},
      {"t.u64", GgufValue::u64(18446744073709551615ull)},
      {"t.i64", GgufValue::i64(-9223372036854775807ll - 1)},
      {"t.f64", GgufValue::f64(3.141592653589793)},
      {"t.arr_i32", GgufValue::i32_array({0, 0, 0, 0, 0, 2, 0, 0})},
      {"t.arr_u32", GgufValue::u32_array({1, 2, 3})},
      {"t.arr_f32", GgufValue::f32_array({0.5f, -2.0f, 1e-30f})},
      {"t.arr_str", GgufValue::string_array({"<unk>", "<s>", "", "\xc4\xa0the"})},
      {"t.arr_empty", GgufValue::array(GgufValueType::U8, {})},
      {"t.arr_bool", GgufValue::array(GgufValueType::BOOL, {GgufValue::boolean(true), GgufValue::boolean(false)})},
      {"t.arr_u8", GgufValue::array(GgufValueType::U8, {GgufValue::u8(1), GgufValue::u8(254)})},
      {"t.arr_i64", GgufValue::array(GgufValueType::I64, {GgufValue::i64(-5), GgufValue::i64(1ll << 40)})},
      {"t.arr_f64", GgufValue::array(GgufValueType::F64, {GgufValue::f64(1e300)})},
  };
  // Nested: [[1, 2], [], [3]] of u16, and [["a"], ["b", "c"]] of strings.
  kv.push_back({"t.nested_u16", GgufValue::array(GgufValueType::ARRAY,
                                                 {GgufValue::array(GgufValueType::U16, {GgufValue::u16(1), GgufValue::u16(2)}),
                                                  GgufValue::array(GgufValueType::U16, {}),
                                                  GgufValue::array(GgufValueType::U16, {GgufValue::u16(3)})})});
  kv.push_back({"t.nested_str", GgufValue::array(GgufValueType::ARRAY, {GgufValue::string_array({"a"}),
                                                                         GgufValue::string_array({"b", "c"})})});
  return kv;
}

struct TensorSpec {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;
};

std::vector<uint8_t> pattern(size_t n, int seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 31 + seed * 7 + 1);
  return v;
}

TEST(GgufRoundTrip, EveryMetadataTypeAndSeveralTensors) {
  const std::string path = temp_path("model.gguf");
  const std::vector<TensorSpec> specs = {{"token_embd.weight", GgmlType::F16, {8, 5}},
                                         {"blk.0.ssm_a", GgmlType::F32, {1, 4}},
                                         {"blk.0.ssm_in.weight", GgmlType::Q8_0, {64, 3}},
                                         {"blk.1.ffn_up_exps.weight", GgmlType::Q4_K, {256, 2, 3}},
                                         {"output_norm.weight", GgmlType::BF16, {7}},
                                         {"empty", GgmlType::F32, {0, 4}}};
  {
    auto w = GgufWriter::create(path);
    ASSERT_TRUE(w.is_ok()) << w.status().message();
    for (const auto& [k, v] : all_types()) ASSERT_TRUE((*w)->add(k, v).is_ok()) << k;
    for (const auto& t : specs) ASSERT_TRUE((*w)->add_tensor(t.name, t.type, t.ne).is_ok()) << t.name;
    for (size_t i = 0; i < specs.size(); ++i) {
      const size_t n = (*w)->tensor_nbytes(specs[i].name).value();
      const auto data = pattern(n, static_cast<int>(i));
      if (i == 3) {  // stream one tensor in uneven chunks
        ASSERT_TRUE((*w)->write_tensor_data(data.data(), 100).is_ok());
        ASSERT_TRUE((*w)->write_tensor_data(data.data() + 100, n - 100).is_ok());
      } else {
        ASSERT_TRUE((*w)->write_tensor_data(data.data(), n).is_ok());
      }
    }
    ASSERT_TRUE((*w)->finish().is_ok());
  }
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->data_offset() % 32, 0u);
  const auto kvs = all_types();
  ASSERT_EQ(f->kvs().size(), kvs.size());
  for (size_t i = 0; i < kvs.size(); ++i) {
    EXPECT_EQ(f->kvs()[i].key, kvs[i].first);  // order preserved
    auto v = f->get_value(kvs[i].first);
    ASSERT_TRUE(v.is_ok()) << kvs[i].first << ": " << v.status().message();
    EXPECT_TRUE(*v == kvs[i].second) << kvs[i].first;
  }
  // Typed accessors.
  EXPECT_EQ(f->get_string("general.architecture").value(), "nemotron_h");
  EXPECT_EQ(f->get_u8("t.u8").value(), 255);
  EXPECT_EQ(f->get_i8("t.i8").value(), -128);
  EXPECT_EQ(f->get_u16("t.u16").value(), 65535);
  EXPECT_EQ(f->get_i16("t.i16").value(), -32768);
  EXPECT_EQ(f->get_u32("t.u32").value(), 4294967295u);
  EXPECT_EQ(f->get_i32("t.i32").value(), -2147483647 - 1);
  EXPECT_EQ(f->get_f32("t.f32").value(), -0.1f);
  EXPECT_TRUE(f->get_bool("t.bool_true").value());
  EXPECT_FALSE(f->get_bool("t.bool_false").value());
  EXPECT_EQ(f->get_u64("t.u64").value(), 18446744073709551615ull);
  EXPECT_EQ(f->get_i64("t.i64").value(), -9223372036854775807ll - 1);
  EXPECT_EQ(f->get_f64("t.f64").value(), 3.141592653589793);
  EXPECT_EQ(f->get_string("t.string_empty").value(), "");
  EXPECT_EQ(f->get_array_i32("t.arr_i32").value(), (std::vector<int32_t>{0, 0, 0, 0, 0, 2, 0, 0}));
  EXPECT_EQ(f->get_array_u32("t.arr_u32").value(), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(f->get_array_f32("t.arr_f32").value(), (std::vector<float>{0.5f, -2.0f, 1e-30f}));
  EXPECT_EQ(f->get_array_u8("t.arr_u8").value(), (std::vector<uint8_t>{1, 254}));
  EXPECT_EQ(f->get_array_i64("t.arr_i64").value(), (std::vector<int64_t>{-5, 1ll << 40}));
  EXPECT_EQ(f->get_array_string("t.arr_str").value(),
            (std::vector<std::string_view>{"<unk>", "<s>", "", "\xc4\xa0the"}));
  EXPECT_EQ(f->get_int_array("t.arr_i32").value(), (std::vector<int64_t>{0, 0, 0, 0, 0, 2, 0, 0}));
  EXPECT_EQ(f->get_int("t.u32").value(), 4294967295ll);
  EXPECT_EQ(f->get_int("t.i8").value(), -128);
  EXPECT_FALSE(f->get_int("t.u64").is_ok());  // does not fit int64
  // Tensors: ne in ggml order, shape reversed, bytes intact.
  ASSERT_EQ(f->tensors().size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    auto t = f->tensor(specs[i].name);
    ASSERT_TRUE(t.is_ok());
    EXPECT_EQ((*t)->type, specs[i].type);
    EXPECT_EQ((*t)->ne, specs[i].ne);
    EXPECT_EQ((*t)->shape, std::vector<int64_t>(specs[i].ne.rbegin(), specs[i].ne.rend()));
    EXPECT_EQ((*t)->offset % 32, 0u);
    const auto want = pattern((*t)->nbytes, static_cast<int>(i));
    if (!want.empty()) {
      EXPECT_EQ(std::memcmp((*t)->data, want.data(), want.size()), 0) << specs[i].name;
    }
  }
  EXPECT_EQ(f->tensor("blk.0.ssm_in.weight").value()->nbytes, 3u * 2 * 34);
  EXPECT_EQ(f->tensor("blk.1.ffn_up_exps.weight").value()->shape, (std::vector<int64_t>{3, 2, 256}));
}

TEST(GgufRoundTrip, TypeMismatchErrorsNameKeyExpectedAndFound) {
  const std::string path = temp_path("m.gguf");
  auto w = GgufWriter::create(path);
  ASSERT_TRUE(w.is_ok());
  ASSERT_TRUE((*w)->add("a.count", GgufValue::u32(3)).is_ok());
  ASSERT_TRUE((*w)->add("a.list", GgufValue::i32_array({1})).is_ok());
  ASSERT_TRUE((*w)->finish().is_ok());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok());
  EXPECT_EQ(f->get_string("a.count").status().message(), "gguf key 'a.count': expected string, found u32");
  EXPECT_EQ(f->get_array_u32("a.list").status().message(),
            "gguf key 'a.list': expected array of u32, found array of i32");
  EXPECT_EQ(f->get_u32("a.missing").status().message(), "gguf key 'a.missing' not found");
  EXPECT_EQ(f->get_i32("a.list").status().message(), "gguf key 'a.list': expected i32, found array");
  EXPECT_EQ(f->tensor("x").status().message(), "tensor 'x' not found in the GGUF file");
  EXPECT_TRUE(f->tensors().empty());
}

TEST(GgufRoundTrip, CustomAlignmentIsWrittenAndHonoured) {
  const std::string path = temp_path("a64.gguf");
  auto w = GgufWriter::create(path, 64);
  ASSERT_TRUE(w.is_ok());
  ASSERT_TRUE((*w)->add_tensor("a", GgmlType::F32, {3}).is_ok());
  ASSERT_TRUE((*w)->add_tensor("b", GgmlType::F32, {5}).is_ok());
  const float a[3] = {1, 2, 3}, b[5] = {4, 5, 6, 7, 8};
  ASSERT_TRUE((*w)->write_tensor_data(a, sizeof(a)).is_ok());
  ASSERT_TRUE((*w)->write_tensor_data(b, sizeof(b)).is_ok());
  ASSERT_TRUE((*w)->finish().is_ok());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->get_u32("general.alignment").value(), 64u);
  EXPECT_EQ(f->tensor("b").value()->offset, 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  EXPECT_EQ(f->file_size(), f->data_offset() + 128);  // the last tensor is padded too
  float got[5];
  std::memcpy(got, f->tensor("b").value()->data, sizeof(got));
  EXPECT_EQ(got[4], 8.0f);
}

TEST(GgufWriterErrors, MisuseIsReported) {
  const std::string path = temp_path("w.gguf");
  EXPECT_FALSE(GgufWriter::create(path, 48).is_ok());
  EXPECT_FALSE(GgufWriter::create("/nonexistent-dir/x.gguf").is_ok());
  auto w = GgufWriter::create(path);
  ASSERT_TRUE(w.is_ok());
  EXPECT_TRUE((*w)->add("k", GgufValue::u8(1)).is_ok());
  EXPECT_FALSE((*w)->add("k", GgufValue::u8(2)).is_ok());  // duplicate key
  GgufValue mixed = GgufValue::array(GgufValueType::U8, {GgufValue::u8(1), GgufValue::i8(1)});
  EXPECT_FALSE((*w)->add("mixed", mixed).is_ok());
  EXPECT_FALSE((*w)->add_tensor("q", GgmlType::Q4_0, {33}).is_ok());         // odd row length
  EXPECT_FALSE((*w)->add_tensor("d", GgmlType::F32, {1, 1, 1, 1, 1}).is_ok()); // 5 dims
  ASSERT_TRUE((*w)->add_tensor("t", GgmlType::F32, {4}).is_ok());
  EXPECT_FALSE((*w)->add_tensor("t", GgmlType::F32, {4}).is_ok());            // duplicate name
  const float x[8] = {};
  EXPECT_FALSE((*w)->write_tensor_data(x, sizeof(x)).is_ok());                // more than declared
  auto w2 = GgufWriter::create(temp_path("w2.gguf"));
  ASSERT_TRUE((*w2)->add_tensor("t", GgmlType::F32, {4}).is_ok());
  ASSERT_TRUE((*w2)->write_tensor_data(x, 8).is_ok());
  Status st = (*w2)->finish();
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("tensor 't' has 8 of 16 bytes written"), std::string::npos) << st.message();
  EXPECT_FALSE((*w2)->add("late", GgufValue::u8(1)).is_ok());
}

}  // namespace
}  // namespace nt
