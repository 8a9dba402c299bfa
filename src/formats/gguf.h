// GGUF (llama.cpp's model container), versions 2 and 3, little endian.
//
// Layout: "GGUF" | u32 version | u64 n_tensors | u64 n_kv | n_kv x (string key, u32 type, value)
//         | n_tensors x (string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset)
//         | zero padding to `general.alignment` (default 32) | tensor data (each tensor at
//         data_start + offset, offsets aligned, each tensor padded to the alignment).
// Strings are u64 length + bytes (no terminator); arrays are u32 element type + u64 count + elements.
// `ne` is in ggml order (fastest-varying dimension first), i.e. the reverse of the PyTorch shape.
//
// GgufFile reads a memory-mapped file without copying tensor data and validates everything that
// can be validated up front, so accessors never read outside the file. GgufWriter streams a file to
// disk: metadata and tensor infos first, then tensor bytes in declaration order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "quant/ggml_type.h"

namespace nt {

enum class GgufValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view gguf_value_type_name(GgufValueType t);

constexpr uint32_t kGgufDefaultAlignment = 32;
constexpr int kGgufMaxDims = 4;

// One metadata value as a tree. Built by callers for the writer; returned by GgufFile::get_value.
struct GgufValue {
  GgufValueType type = GgufValueType::U8;
  uint64_t u = 0;                     // U8, U16, U32, U64, BOOL (0 / 1)
  int64_t i = 0;                      // I8, I16, I32, I64
  double f = 0;                       // F32, F64
  std::string s;                      // STRING
  GgufValueType elem_type = GgufValueType::U8;  // ARRAY
  std::vector<GgufValue> elems;       // ARRAY (elements all of elem_type)

  static GgufValue u8(uint8_t v) { return unsigned_(GgufValueType::U8, v); }
  static GgufValue u16(uint16_t v) { return unsigned_(GgufValueType::U16, v); }
  static GgufValue u32(uint32_t v) { return unsigned_(GgufValueType::U32, v); }
  static GgufValue u64(uint64_t v) { return unsigned_(GgufValueType::U64, v); }
  static GgufValue boolean(bool v) { return unsigned_(GgufValueType::BOOL, v ? 1 : 0); }
  static GgufValue i8(int8_t v) { return signed_(GgufValueType::I8, v); }
  static GgufValue i16(int16_t v) { return signed_(GgufValueType::I16, v); }
  static GgufValue i32(int32_t v) { return signed_(GgufValueType::I32, v); }
  static GgufValue i64(int64_t v) { return signed_(GgufValueType::I64, v); }
  static GgufValue f32(float v) { GgufValue x; x.type = GgufValueType::F32; x.f = v; return x; }
  static GgufValue f64(double v) { GgufValue x; x.type = GgufValueType::F64; x.f = v; return x; }
  static GgufValue string(std::string v) { GgufValue x; x.type = GgufValueType::STRING; x.s = std::move(v); return x; }
  static GgufValue array(GgufValueType elem_type, std::vector<GgufValue> elems);
  static GgufValue string_array(const std::vector<std::string>& v);
  static GgufValue i32_array(const std::vector<int32_t>& v);
  static GgufValue u32_array(const std::vector<uint32_t>& v);
  static GgufValue f32_array(const std::vector<float>& v);

  bool operator==(const GgufValue& o) const;

 private:
  static GgufValue unsigned_(GgufValueType t, uint64_t v) { GgufValue x; x.type = t; x.u = v; return x; }
  static GgufValue signed_(GgufValueType t, int64_t v) { GgufValue x; x.type = t; x.i = v; return x; }
};

// A metadata entry as located in the file (the value is decoded on access).
struct GgufKv {
  std::string key;
  GgufValueType type;
  GgufValueType elem_type;  // arrays only
  uint64_t count;           // arrays only: number of elements
  size_t value_offset;      // file offset of the value (for arrays: of the first element)
  size_t value_size;        // bytes of the value (for arrays: of all elements)
};

struct GgufTensor {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;     // ggml order: ne[0] is the contiguous (row) dimension
  std::vector<int64_t> shape;  // PyTorch order: reverse of ne
  int64_t n_elements;
  uint64_t offset;             // relative to the data section
  const uint8_t* data;         // points into the mapped file
  size_t nbytes;
};

class MappedFile;

class GgufFile {
 public:
  static Result<GgufFile> open(const std::string& path);
  // Parses bytes owned by `owner` (kept alive by the GgufFile); used for mapped files and tests.
  static Result<GgufFile> parse(std::shared_ptr<const void> owner, const uint8_t* data, size_t size);

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  size_t data_offset() const { return data_offset_; }
  size_t file_size() const { return size_; }
  const uint8_t* file_data() const { return data_; }

  // --- metadata -----------------------------------------------------------------------------
  const std::vector<GgufKv>& kvs() const { return kvs_; }
  const GgufKv* find_kv(std::string_view key) const;
  bool has_key(std::string_view key) const { return find_kv(key) != nullptr; }

  // Typed scalar getters: error if the key is missing or stored with another type
  // ("gguf key 'x': expected u32, found string").
  Result<uint8_t> get_u8(std::string_view key) const;
  Result<int8_t> get_i8(std::string_view key) const;
  Result<uint16_t> get_u16(std::string_view key) const;
  Result<int16_t> get_i16(std::string_view key) const;
  Result<uint32_t> get_u32(std::string_view key) const;
  Result<int32_t> get_i32(std::string_view key) const;
  Result<uint64_t> get_u64(std::string_view key) const;
  Result<int64_t> get_i64(std::string_view key) const;
  Result<float> get_f32(std::string_view key) const;
  Result<double> get_f64(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string_view> get_string(std::string_view key) const;  // view into the file
  // Any integer type (converters differ in u32 vs i32 vs u64); error if the value does not fit int64.
  Result<int64_t> get_int(std::string_view key) const;

  // Typed arrays: error if not an array or the element type differs.
  Result<std::vector<uint8_t>> get_array_u8(std::string_view key) const;
  Result<std::vector<int32_t>> get_array_i32(std::string_view key) const;
  Result<std::vector<uint32_t>> get_array_u32(std::string_view key) const;
  Result<std::vector<int64_t>> get_array_i64(std::string_view key) const;
  Result<std::vector<float>> get_array_f32(std::string_view key) const;
  Result<std::vector<std::string_view>> get_array_string(std::string_view key) const;
  // An array of any integer element type, widened to int64.
  Result<std::vector<int64_t>> get_int_array(std::string_view key) const;
  // Any value, decoded into a tree (nested arrays included).
  Result<GgufValue> get_value(std::string_view key) const;

  // --- tensors ------------------------------------------------------------------------------
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* find_tensor(std::string_view name) const;
  Result<const GgufTensor*> tensor(std::string_view name) const;  // error names the missing tensor

 private:
  friend class GgufParser;
  GgufFile() = default;
  Result<const GgufKv*> expect(std::string_view key, GgufValueType type) const;
  Result<const GgufKv*> expect_array(std::string_view key, GgufValueType elem_type) const;
  template <typename T>
  Result<T> scalar(std::string_view key, GgufValueType type) const;
  template <typename T>
  Result<std::vector<T>> array(std::string_view key, GgufValueType elem_type) const;

  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  size_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<GgufTensor> tensors_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

// Streams a GGUF v3 file: add metadata and declare every tensor, then write tensor bytes in
// declaration order (in one call or in chunks), then finish(). Only the metadata is held in memory.
// Output matches gguf-py / ggml conventions byte for byte: v3, little endian, alignment 32 unless
// set otherwise (then `general.alignment` is written), zero padding after the tensor infos and
// after every tensor (including the last).
class GgufWriter {
 public:
  static Result<std::unique_ptr<GgufWriter>> create(const std::string& path,
                                                    uint32_t alignment = kGgufDefaultAlignment);
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  Status add(const std::string& key, const GgufValue& value);
  // ne in ggml order; ne[0] must be a multiple of the type's block size.
  Status add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne);
  // Appends bytes to the current tensor (the first declared one not yet complete). The first call
  // writes the header; after a tensor is complete its padding follows and the next one starts.
  Status write_tensor_data(const void* data, size_t nbytes);
  // Checks every tensor was written completely, flushes and closes the file.
  Status finish();

  // Bytes of a declared tensor (for callers that stream it in pieces).
  Result<size_t> tensor_nbytes(const std::string& name) const;

 private:
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    size_t nbytes;
    uint64_t offset;
  };
  GgufWriter() = default;
  Status write_header();
  Status write_bytes(const void* p, size_t n);
  Status write_padding(size_t n);

  std::string path_;
  std::FILE* file_ = nullptr;
  uint32_t alignment_ = kGgufDefaultAlignment;
  std::string kv_bytes_;
  uint64_t n_kv_ = 0;
  std::vector<std::string> keys_;
  std::vector<PendingTensor> tensors_;
  uint64_t next_offset_ = 0;
  bool header_written_ = false;
  bool finished_ = false;
  size_t current_ = 0;          // index of the tensor being written
  size_t current_written_ = 0;  // bytes of it written so far
  Status failed_;               // sticky error after a failed write
};

}  // namespace nt
