// Malformed GGUF input, crafted byte by byte: every class must produce a clear error (never a crash,
// never an allocation the file size does not justify).
#include "gguf_test_util.h"

namespace nt {
namespace {

using gguf_test::Bytes;
using gguf_test::parse_bytes;

// Expects a parse error whose message contains `needle`.
void expect_error(const Bytes& b, const std::string& needle) {
  auto r = parse_bytes(b.b);
  ASSERT_FALSE(r.is_ok()) << "expected an error containing: " << needle;
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
}

// A small valid file: two KVs (string + u32 array) and two f32 tensors.
Bytes valid_file() {
  Bytes b;
  b.header(3, 2, 2);
  b.str("general.architecture").u32(8).str("nemotron_h");
  b.str("a.arr").u32(9).u32(4).u64(3).u32(1).u32(2).u32(3);
  b.tensor_info("w", {4, 2}, 0, 0);
  b.tensor_info("v", {3}, 0, 32);
  b.pad_to(32).zeros(32 + 12);
  return b;
}

TEST(GgufBadInput, ValidBaselineParses) {
  auto r = parse_bytes(valid_file().b);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->tensors().size(), 2u);
}

TEST(GgufBadInput, EveryTruncationIsAnError) {
  const auto full = valid_file().b;
  // The file ends exactly after the last tensor's bytes, so every proper prefix is truncated.
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    auto r = parse_bytes(cut);
    EXPECT_FALSE(r.is_ok()) << "prefix of " << n << " bytes parsed";
  }
}

TEST(GgufBadInput, BadMagicAndVersions) {
  Bytes b = valid_file();
  b.b[0] = 'X';
  expect_error(b, "not a GGUF file: expected magic 'GGUF', found 'XGUF'");
  expect_error(Bytes{{'G', 'G'}}, "not a GGUF file");
  Bytes v1;
  v1.raw("GGUF", 4).u32(1).u32(0).u32(0);
  expect_error(v1, "unsupported GGUF version 1");
  Bytes v9;
  v9.header(9, 0, 0);
  expect_error(v9, "unsupported GGUF version 9");
  Bytes be;
  be.raw("GGUF", 4).u32(0x03000000).u64(0).u64(0);
  expect_error(be, "big-endian");
  Bytes v2;
  v2.header(2, 0, 1).str("k").u32(4).u32(7);
  auto r = parse_bytes(v2.b);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->get_u32("k").value(), 7u);
}

TEST(GgufBadInput, CountsThatCannotFitInTheFile) {
  Bytes kv;
  kv.header(3, 0, 1ull << 60);
  expect_error(kv, "cannot fit");
  Bytes tensors;
  tensors.header(3, 1ull << 62, 0);
  expect_error(tensors, "cannot fit");
  Bytes str;
  str.header(3, 0, 1).u64(1ull << 40).raw("abcdefghijklmnop", 16);
  expect_error(str, "exceeds the");
  Bytes arr;
  arr.header(3, 0, 1).str("k").u32(9).u32(5).u64(1ull << 50).zeros(16);
  expect_error(arr, "cannot fit");
  Bytes strarr;  // 10^6 strings need at least 8 MB
  strarr.header(3, 0, 1).str("k").u32(9).u32(8).u64(1000000).zeros(64);
  expect_error(strarr, "cannot fit");
  Bytes valstr;
  valstr.header(3, 0, 1).str("k").u32(8).u64(~0ull);
  expect_error(valstr, "exceeds the");
}

TEST(GgufBadInput, MetadataTypesAndNesting) {
  Bytes t;
  t.header(3, 0, 1).str("k").u32(13).u32(0);
  expect_error(t, "unknown metadata value type 13");
  Bytes et;
  et.header(3, 0, 1).str("k").u32(9).u32(77).u64(0);
  expect_error(et, "unknown metadata value type 77");
  Bytes deep;
  deep.header(3, 0, 1).str("k").u32(9);
  for (int i = 0; i < 40; ++i) deep.u32(9).u64(1);
  deep.u32(0).u64(0);
  expect_error(deep, "nested deeper than");
  Bytes dup;
  dup.header(3, 0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2);
  expect_error(dup, "duplicate metadata key 'k'");
  Bytes align;
  align.header(3, 0, 1).str("general.alignment").u32(4).u32(24);
  expect_error(align, "power of two");
  Bytes align_type;
  align_type.header(3, 0, 1).str("general.alignment").u32(5).u32(32);
  expect_error(align_type, "'general.alignment': expected u32, found i32");
}

TEST(GgufBadInput, TensorInfos) {
  auto one = [](std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data) {
    Bytes b;
    b.header(3, 1, 0).tensor_info("t", std::move(ne), type, offset).pad_to(32).zeros(data);
    return b;
  };
  expect_error(one({1, 1, 1, 1, 1}, 0, 0, 4), "has 5 dimensions, at most 4");
  expect_error(one({1ull << 32, 1ull << 32}, 0, 0, 4), "element count overflows 64 bits");
  expect_error(one({~0ull}, 0, 0, 4), "overflows 64 bits");
  expect_error(one({4}, 99, 0, 16), "unsupported tensor type 99 in tensor 't'");
  expect_error(one({4}, 4, 0, 16), "unsupported tensor type 4 in tensor 't'");
  expect_error(one({33}, 2, 0, 64), "not a multiple of the q4_0 block size 32");
  expect_error(one({1ull << 61, 2}, 0, 0, 4), "byte size overflows");
  expect_error(one({4}, 0, 64, 16), "extends beyond the end of the file");
  expect_error(one({4}, 0, ~0ull & ~31ull, 16), "extends beyond the end of the file");
  expect_error(one({4}, 0, 8, 64), "offset 8 is not a multiple of the alignment 32");
  expect_error(one({8}, 0, 0, 16), "extends beyond the end of the file");
  Bytes overlap;
  overlap.header(3, 2, 0).tensor_info("a", {16}, 0, 0).tensor_info("b", {4}, 0, 32).pad_to(32).zeros(64);
  expect_error(overlap, "tensors 'a' and 'b' overlap");
  Bytes dup;
  dup.header(3, 2, 0).tensor_info("a", {4}, 0, 0).tensor_info("a", {4}, 0, 32).pad_to(32).zeros(64);
  expect_error(dup, "duplicate tensor name 'a'");
}

TEST(GgufBadInput, ZeroSizedTensorsAndEmptyFile) {
  Bytes b;
  b.header(3, 1, 0).tensor_info("z", {0, 5}, 0, 0);  // no data section at all
  auto r = parse_bytes(b.b);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->tensor("z").value()->nbytes, 0u);
  Bytes empty;
  empty.header(3, 0, 0);
  EXPECT_TRUE(parse_bytes(empty.b).is_ok());
  auto missing = GgufFile::open("/nonexistent/model.gguf");
  EXPECT_FALSE(missing.is_ok());
}

}  // namespace
}  // namespace nt
