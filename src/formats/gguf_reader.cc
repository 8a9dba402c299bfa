// GGUF reader: validates the whole header up front (every length, count and offset checked against
// the file size before it is used, so nothing is allocated or read beyond what the file holds).
#include <algorithm>
#include <cstring>
#include <limits>

#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/gguf.h"
#include "formats/gguf_internal.h"

namespace nt {

using namespace gguf_internal;

namespace {

// Bounds-checked little-endian reads over the file bytes.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, size_t pos = 0) : data_(data), size_(size), pos_(pos) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  Status read(void* out, size_t n, std::string_view what) {
    if (n > remaining()) {
      return Status::error(cat("truncated file: expected ", n, " bytes of ", what, " at offset ", pos_, ", but only ",
                               remaining(), " remain"));
    }
    std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return Status::ok();
  }
  Status skip(size_t n, std::string_view what) {
    if (n > remaining()) {
      return Status::error(cat("truncated file: ", what, " needs ", n, " bytes at offset ", pos_, ", but only ",
                               remaining(), " remain"));
    }
    pos_ += n;
    return Status::ok();
  }
  Result<uint32_t> u32(std::string_view what) {
    uint32_t v = 0;
    NT_RETURN_IF_ERROR(read(&v, 4, what));
    return v;
  }
  Result<uint64_t> u64(std::string_view what) {
    uint64_t v = 0;
    NT_RETURN_IF_ERROR(read(&v, 8, what));
    return v;
  }
  // A string's bytes as a view into the file.
  Result<std::string_view> string(std::string_view what) {
    NT_ASSIGN_OR_RETURN(uint64_t len, u64(cat(what, " length")));
    if (len > remaining()) {
      return Status::error(cat(what, " length ", len, " at offset ", pos_ - 8, " exceeds the ", remaining(),
                               " bytes left in the file"));
    }
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }
  Result<GgufValueType> value_type(std::string_view what) {
    NT_ASSIGN_OR_RETURN(uint32_t t, u32(what));
    if (!valid_type(t)) return Status::error(cat("unknown metadata value type ", t, " for ", what));
    return static_cast<GgufValueType>(t);
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_;
};

struct ArrayHeader {
  GgufValueType elem_type;
  uint64_t count;
};

// Reads an array's element type and count; the count must be coverable by the remaining bytes.
Result<ArrayHeader> read_array_header(Cursor& c, const std::string& what) {
  NT_ASSIGN_OR_RETURN(GgufValueType elem, c.value_type(cat(what, " element type")));
  NT_ASSIGN_OR_RETURN(uint64_t count, c.u64(cat(what, " element count")));
  if (count > c.remaining() / min_encoded_size(elem)) {
    return Status::error(cat(what, ": array of ", count, " ", gguf_value_type_name(elem), " elements cannot fit in the ",
                             c.remaining(), " bytes left in the file"));
  }
  return ArrayHeader{elem, count};
}

Status skip_value(Cursor& c, GgufValueType type, const std::string& what, int depth);

Status skip_elements(Cursor& c, GgufValueType elem, uint64_t count, const std::string& what, int depth) {
  if (fixed_size(elem) != 0) return c.skip(static_cast<size_t>(count) * fixed_size(elem), what);
  for (uint64_t i = 0; i < count; ++i) NT_RETURN_IF_ERROR(skip_value(c, elem, what, depth));
  return Status::ok();
}

Status skip_value(Cursor& c, GgufValueType type, const std::string& what, int depth) {
  if (type == GgufValueType::STRING) return c.string(what).status();
  if (type != GgufValueType::ARRAY) return c.skip(fixed_size(type), what);
  if (depth >= kMaxArrayDepth) return Status::error(cat(what, ": arrays nested deeper than ", kMaxArrayDepth));
  NT_ASSIGN_OR_RETURN(ArrayHeader h, read_array_header(c, what));
  return skip_elements(c, h.elem_type, h.count, what, depth + 1);
}

Result<GgufValue> decode_value(Cursor& c, GgufValueType type, int depth);

Result<GgufValue> decode_elements(Cursor& c, GgufValueType elem, uint64_t count, int depth) {
  std::vector<GgufValue> elems;
  elems.reserve(static_cast<size_t>(count));  // count was bounded by the file size at parse time
  for (uint64_t i = 0; i < count; ++i) {
    NT_ASSIGN_OR_RETURN(GgufValue v, decode_value(c, elem, depth));
    elems.push_back(std::move(v));
  }
  return GgufValue::array(elem, std::move(elems));
}

template <typename T>
Result<T> read_pod(Cursor& c) {
  T v{};
  NT_RETURN_IF_ERROR(c.read(&v, sizeof(T), "metadata value"));
  return v;
}

Result<GgufValue> decode_value(Cursor& c, GgufValueType type, int depth) {
  switch (type) {
    case GgufValueType::U8: { NT_ASSIGN_OR_RETURN(auto v, read_pod<uint8_t>(c)); return GgufValue::u8(v); }
    case GgufValueType::I8: { NT_ASSIGN_OR_RETURN(auto v, read_pod<int8_t>(c)); return GgufValue::i8(v); }
    case GgufValueType::U16: { NT_ASSIGN_OR_RETURN(auto v, read_pod<uint16_t>(c)); return GgufValue::u16(v); }
    case GgufValueType::I16: { NT_ASSIGN_OR_RETURN(auto v, read_pod<int16_t>(c)); return GgufValue::i16(v); }
    case GgufValueType::U32: { NT_ASSIGN_OR_RETURN(auto v, read_pod<uint32_t>(c)); return GgufValue::u32(v); }
    case GgufValueType::I32: { NT_ASSIGN_OR_RETURN(auto v, read_pod<int32_t>(c)); return GgufValue::i32(v); }
    case GgufValueType::U64: { NT_ASSIGN_OR_RETURN(auto v, read_pod<uint64_t>(c)); return GgufValue::u64(v); }
    case GgufValueType::I64: { NT_ASSIGN_OR_RETURN(auto v, read_pod<int64_t>(c)); return GgufValue::i64(v); }
    case GgufValueType::F32: { NT_ASSIGN_OR_RETURN(auto v, read_pod<float>(c)); return GgufValue::f32(v); }
    case GgufValueType::F64: { NT_ASSIGN_OR_RETURN(auto v, read_pod<double>(c)); return GgufValue::f64(v); }
    case GgufValueType::BOOL: { NT_ASSIGN_OR_RETURN(auto v, read_pod<uint8_t>(c)); return GgufValue::boolean(v != 0); }
    case GgufValueType::STRING: {
      NT_ASSIGN_OR_RETURN(std::string_view s, c.string("string value"));
      return GgufValue::string(std::string(s));
    }
    case GgufValueType::ARRAY: {
      if (depth >= kMaxArrayDepth) return Status::error(cat("arrays nested deeper than ", kMaxArrayDepth));
      NT_ASSIGN_OR_RETURN(ArrayHeader h, read_array_header(c, "nested array"));
      return decode_elements(c, h.elem_type, h.count, depth + 1);
    }
  }
  return Status::error("unknown metadata value type");
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t limit) { return a != 0 && b > limit / a; }

}  // namespace

// Parses the header into a GgufFile. A class (not free functions) so it can fill GgufFile's privates.
class GgufParser {
 public:
  static Result<GgufFile> parse(std::shared_ptr<const void> owner, const uint8_t* data, size_t size);

 private:
  static Status parse_kvs(Cursor& c, uint64_t n_kv, GgufFile& f);
  static Status parse_tensor_infos(Cursor& c, uint64_t n_tensors, GgufFile& f);
  static Result<GgufTensor> parse_tensor_info(Cursor& c, uint64_t index);
  static Status locate_tensor_data(GgufFile& f);
};

Status GgufParser::parse_kvs(Cursor& c, uint64_t n_kv, GgufFile& f) {
  f.kvs_.reserve(static_cast<size_t>(n_kv));  // bounded by the file size in parse()
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string what = cat("metadata entry ", i);
    NT_ASSIGN_OR_RETURN(std::string_view key, c.string(cat(what, " key")));
    const std::string key_what = cat("metadata '", key, "'");
    NT_ASSIGN_OR_RETURN(GgufValueType type, c.value_type(cat(key_what, " type")));
    GgufKv kv{std::string(key), type, GgufValueType::U8, 0, c.pos(), 0};
    if (type == GgufValueType::ARRAY) {
      NT_ASSIGN_OR_RETURN(ArrayHeader h, read_array_header(c, key_what));
      kv.elem_type = h.elem_type;
      kv.count = h.count;
      kv.value_offset = c.pos();
      NT_RETURN_IF_ERROR(skip_elements(c, h.elem_type, h.count, key_what, 1));
    } else {
      NT_RETURN_IF_ERROR(skip_value(c, type, key_what, 0));
    }
    kv.value_size = c.pos() - kv.value_offset;
    if (!f.kv_index_.emplace(kv.key, f.kvs_.size()).second) {
      return Status::error(cat("duplicate metadata key '", kv.key, "'"));
    }
    f.kvs_.push_back(std::move(kv));
  }
  if (const GgufKv* a = f.find_kv("general.alignment")) {
    if (a->type != GgufValueType::U32) {
      return Status::error(cat("metadata 'general.alignment': expected u32, found ", gguf_value_type_name(a->type)));
    }
    uint32_t align;
    std::memcpy(&align, f.data_ + a->value_offset, 4);
    if (align == 0 || (align & (align - 1)) != 0) {
      return Status::error(cat("general.alignment must be a non-zero power of two, found ", align));
    }
    f.alignment_ = align;
  }
  return Status::ok();
}

Result<GgufTensor> GgufParser::parse_tensor_info(Cursor& c, uint64_t index) {
  GgufTensor t;
  NT_ASSIGN_OR_RETURN(std::string_view name, c.string(cat("tensor ", index, " name")));
  t.name = std::string(name);
  NT_ASSIGN_OR_RETURN(uint32_t n_dims, c.u32(cat("tensor '", t.name, "' n_dims")));
  if (n_dims > kGgufMaxDims) {
    return Status::error(cat("tensor '", t.name, "' has ", n_dims, " dimensions, at most ", kGgufMaxDims, " supported"));
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t n_elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    NT_ASSIGN_OR_RETURN(uint64_t ne, c.u64(cat("tensor '", t.name, "' ne[", d, "]")));
    if (ne > kMax || mul_overflows(n_elements, ne, kMax)) {
      return Status::error(cat("tensor '", t.name, "' element count overflows 64 bits (ne[", d, "] = ", ne, ")"));
    }
    n_elements *= ne;
    t.ne.push_back(static_cast<int64_t>(ne));
  }
  t.shape.assign(t.ne.rbegin(), t.ne.rend());
  t.n_elements = static_cast<int64_t>(n_elements);
  NT_ASSIGN_OR_RETURN(uint32_t type_id, c.u32(cat("tensor '", t.name, "' type")));
  const GgmlTypeTraits* traits = ggml_type_traits(type_id);
  if (traits == nullptr) return Status::error(cat("unsupported tensor type ", type_id, " in tensor '", t.name, "'"));
  t.type = traits->type;
  NT_ASSIGN_OR_RETURN(t.offset, c.u64(cat("tensor '", t.name, "' offset")));
  const int64_t row = t.ne.empty() ? 1 : t.ne[0];
  if (row % traits->block_size != 0) {
    return Status::error(cat("tensor '", t.name, "': row length ne[0] = ", row, " is not a multiple of the ", traits->name,
                             " block size ", traits->block_size));
  }
  const uint64_t blocks = n_elements / static_cast<uint64_t>(traits->block_size);
  if (mul_overflows(blocks, traits->type_size, kMax)) {
    return Status::error(cat("tensor '", t.name, "' byte size overflows 64 bits"));
  }
  t.nbytes = static_cast<size_t>(blocks * traits->type_size);
  t.data = nullptr;
  return t;
}

Status GgufParser::parse_tensor_infos(Cursor& c, uint64_t n_tensors, GgufFile& f) {
  f.tensors_.reserve(static_cast<size_t>(n_tensors));  // bounded by the file size in parse()
  for (uint64_t i = 0; i < n_tensors; ++i) {
    NT_ASSIGN_OR_RETURN(GgufTensor t, parse_tensor_info(c, i));
    if (!f.tensor_index_.emplace(t.name, f.tensors_.size()).second) {
      return Status::error(cat("duplicate tensor name '", t.name, "'"));
    }
    f.tensors_.push_back(std::move(t));
  }
  return Status::ok();
}

Status GgufParser::locate_tensor_data(GgufFile& f) {
  const size_t data_bytes = f.data_offset_ <= f.size_ ? f.size_ - f.data_offset_ : 0;
  for (GgufTensor& t : f.tensors_) {
    if (t.offset % f.alignment_ != 0) {
      return Status::error(cat("tensor '", t.name, "' offset ", t.offset, " is not a multiple of the alignment ",
                               f.alignment_));
    }
    if (t.nbytes == 0) {  // no bytes to locate (e.g. a dimension of 0); point at a valid address
      t.data = f.data_;
      continue;
    }
    if (f.data_offset_ > f.size_ || t.offset > data_bytes || t.nbytes > data_bytes - t.offset) {
      return Status::error(cat("tensor '", t.name, "' data [", t.offset, ", +", t.nbytes, ") at data section offset ",
                               f.data_offset_, " extends beyond the end of the file (", f.size_, " bytes)"));
    }
    t.data = f.data_ + f.data_offset_ + t.offset;
  }
  // No two tensors may share bytes.
  std::vector<const GgufTensor*> order;
  for (const GgufTensor& t : f.tensors_) if (t.nbytes > 0) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < order.size(); ++i) {
    if (order[i - 1]->offset + order[i - 1]->nbytes > order[i]->offset) {
      return Status::error(cat("tensors '", order[i - 1]->name, "' and '", order[i]->name, "' overlap (offsets ",
                               order[i - 1]->offset, " + ", order[i - 1]->nbytes, " > ", order[i]->offset, ")"));
    }
  }
  return Status::ok();
}

Result<GgufFile> GgufParser::parse(std::shared_ptr<const void> owner, const uint8_t* data, size_t size) {
  GgufFile f;
  f.owner_ = std::move(owner);
  f.data_ = data;
  f.size_ = size;
  Cursor c(data, size);
  uint8_t magic[4];
  if (size < 4 || std::memcmp(data, "GGUF", 4) != 0) {
    std::string found = size < 4 ? cat(size, " bytes") : cat("'", std::string_view(reinterpret_cast<const char*>(data), 4), "'");
    return Status::error(cat("not a GGUF file: expected magic 'GGUF', found ", found));
  }
  NT_RETURN_IF_ERROR(c.read(magic, 4, "magic"));
  NT_ASSIGN_OR_RETURN(f.version_, c.u32("version"));
  if (f.version_ == 1) return Status::error("unsupported GGUF version 1 (only versions 2 and 3 are supported)");
  if (f.version_ != 2 && f.version_ != 3) {
    const bool swapped = (f.version_ & 0xffffu) == 0;
    return Status::error(cat("unsupported GGUF version ", f.version_, swapped ? " (a big-endian file?)" : "",
                             "; expected 2 or 3"));
  }
  NT_ASSIGN_OR_RETURN(uint64_t n_tensors, c.u64("tensor count"));
  NT_ASSIGN_OR_RETURN(uint64_t n_kv, c.u64("metadata count"));
  // Every metadata entry takes >= 13 bytes (key length, type, 1-byte value), every tensor info >= 24.
  if (n_kv > c.remaining() / 13 || n_tensors > c.remaining() / 24 ||
      n_kv * 13 + n_tensors * 24 > c.remaining()) {
    return Status::error(cat("header declares ", n_kv, " metadata entries and ", n_tensors,
                             " tensors, which cannot fit in the ", c.remaining(), " bytes left in the file"));
  }
  NT_RETURN_IF_ERROR(parse_kvs(c, n_kv, f));
  NT_RETURN_IF_ERROR(parse_tensor_infos(c, n_tensors, f));
  const size_t end = c.pos();
  f.data_offset_ = end + (f.alignment_ - end % f.alignment_) % f.alignment_;
  NT_RETURN_IF_ERROR(locate_tensor_data(f));
  return f;
}

Result<GgufFile> GgufFile::parse(std::shared_ptr<const void> owner, const uint8_t* data, size_t size) {
  return GgufParser::parse(std::move(owner), data, size);
}

Result<GgufFile> GgufFile::open(const std::string& path) {
  NT_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::open(path));
  const uint8_t* data = file->data();
  const size_t size = file->size();
  auto parsed = GgufParser::parse(std::move(file), data, size);
  if (!parsed.is_ok()) return parsed.status().with_context(path);
  return parsed;
}

// --- accessors ---------------------------------------------------------------------------------

const GgufKv* GgufFile::find_kv(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kvs_[it->second];
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<const GgufTensor*> GgufFile::tensor(std::string_view name) const {
  const GgufTensor* t = find_tensor(name);
  if (t == nullptr) return Status::error(cat("tensor '", name, "' not found in the GGUF file"));
  return t;
}

Result<const GgufKv*> GgufFile::expect(std::string_view key, GgufValueType type) const {
  const GgufKv* kv = find_kv(key);
  if (kv == nullptr) return Status::error(cat("gguf key '", key, "' not found"));
  if (kv->type != type) {
    return Status::error(cat("gguf key '", key, "': expected ", gguf_value_type_name(type), ", found ",
                             gguf_value_type_name(kv->type)));
  }
  return kv;
}

Result<const GgufKv*> GgufFile::expect_array(std::string_view key, GgufValueType elem_type) const {
  NT_ASSIGN_OR_RETURN(const GgufKv* kv, expect(key, GgufValueType::ARRAY));
  if (kv->elem_type != elem_type) {
    return Status::error(cat("gguf key '", key, "': expected array of ", gguf_value_type_name(elem_type),
                             ", found array of ", gguf_value_type_name(kv->elem_type)));
  }
  return kv;
}

template <typename T>
Result<T> GgufFile::scalar(std::string_view key, GgufValueType type) const {
  NT_ASSIGN_OR_RETURN(const GgufKv* kv, expect(key, type));
  T v{};
  std::memcpy(&v, data_ + kv->value_offset, sizeof(T));  // value_size == sizeof(T), checked at parse time
  return v;
}

template <typename T>
Result<std::vector<T>> GgufFile::array(std::string_view key, GgufValueType elem_type) const {
  NT_ASSIGN_OR_RETURN(const GgufKv* kv, expect_array(key, elem_type));
  std::vector<T> out(static_cast<size_t>(kv->count));
  if (!out.empty()) std::memcpy(out.data(), data_ + kv->value_offset, out.size() * sizeof(T));
  return out;
}

Result<uint8_t> GgufFile::get_u8(std::string_view k) const { return scalar<uint8_t>(k, GgufValueType::U8); }
Result<int8_t> GgufFile::get_i8(std::string_view k) const { return scalar<int8_t>(k, GgufValueType::I8); }
Result<uint16_t> GgufFile::get_u16(std::string_view k) const { return scalar<uint16_t>(k, GgufValueType::U16); }
Result<int16_t> GgufFile::get_i16(std::string_view k) const { return scalar<int16_t>(k, GgufValueType::I16); }
Result<uint32_t> GgufFile::get_u32(std::string_view k) const { return scalar<uint32_t>(k, GgufValueType::U32); }
Result<int32_t> GgufFile::get_i32(std::string_view k) const { return scalar<int32_t>(k, GgufValueType::I32); }
Result<uint64_t> GgufFile::get_u64(std::string_view k) const { return scalar<uint64_t>(k, GgufValueType::U64); }
Result<int64_t> GgufFile::get_i64(std::string_view k) const { return scalar<int64_t>(k, GgufValueType::I64); }
Result<float> GgufFile::get_f32(std::string_view k) const { return scalar<float>(k, GgufValueType::F32); }
Result<double> GgufFile::get_f64(std::string_view k) const { return scalar<double>(k, GgufValueType::F64); }

Result<bool> GgufFile::get_bool(std::string_view k) const {
  NT_ASSIGN_OR_RETURN(uint8_t v, scalar<uint8_t>(k, GgufValueType::BOOL));
  return v != 0;
}

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
  NT_ASSIGN_OR_RETURN(const GgufKv* kv, expect(key, GgufValueType::STRING));
  return std::string_view(reinterpret_cast<const char*>(data_ + kv->value_offset + 8), kv->value_size - 8);
}

Result<int64_t> GgufFile::get_int(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (kv == nullptr) return Status::error(cat("gguf key '", key, "' not found"));
  if (!is_integer(kv->type)) {
    return Status::error(cat("gguf key '", key, "': expected an integer, found ", gguf_value_type_name(kv->type)));
  }
  NT_ASSIGN_OR_RETURN(GgufValue v, get_value(key));
  if (kv->type == GgufValueType::U64 && v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Status::error(cat("gguf key '", key, "': value ", v.u, " does not fit in int64"));
  }
  return kv->type == GgufValueType::I8 || kv->type == GgufValueType::I16 || kv->type == GgufValueType::I32 ||
                 kv->type == GgufValueType::I64
             ? v.i
             : static_cast<int64_t>(v.u);
}

Result<std::vector<uint8_t>> GgufFile::get_array_u8(std::string_view k) const { return array<uint8_t>(k, GgufValueType::U8); }
Result<std::vector<int32_t>> GgufFile::get_array_i32(std::string_view k) const { return array<int32_t>(k, GgufValueType::I32); }
Result<std::vector<uint32_t>> GgufFile::get_array_u32(std::string_view k) const { return array<uint32_t>(k, GgufValueType::U32); }
Result<std::vector<int64_t>> GgufFile::get_array_i64(std::string_view k) const { return array<int64_t>(k, GgufValueType::I64); }
Result<std::vector<float>> GgufFile::get_array_f32(std::string_view k) const { return array<float>(k, GgufValueType::F32); }

Result<std::vector<std::string_view>> GgufFile::get_array_string(std::string_view key) const {
  NT_ASSIGN_OR_RETURN(const GgufKv* kv, expect_array(key, GgufValueType::STRING));
  std::vector<std::string_view> out;
  out.reserve(static_cast<size_t>(kv->count));
  Cursor c(data_, kv->value_offset + kv->value_size, kv->value_offset);
  for (uint64_t i = 0; i < kv->count; ++i) {
    NT_ASSIGN_OR_RETURN(std::string_view s, c.string("string array element"));
    out.push_back(s);
  }
  return out;
}

Result<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  NT_ASSIGN_OR_RETURN(const GgufKv* kv, expect(key, GgufValueType::ARRAY));
  if (!is_integer(kv->elem_type)) {
    return Status::error(cat("gguf key '", key, "': expected an array of integers, found array of ",
                             gguf_value_type_name(kv->elem_type)));
  }
  NT_ASSIGN_OR_RETURN(GgufValue v, get_value(key));
  std::vector<int64_t> out;
  out.reserve(v.elems.size());
  const bool is_signed = kv->elem_type == GgufValueType::I8 || kv->elem_type == GgufValueType::I16 ||
                         kv->elem_type == GgufValueType::I32 || kv->elem_type == GgufValueType::I64;
  for (const GgufValue& e : v.elems) {
    if (!is_signed && e.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Status::error(cat("gguf key '", key, "': element ", e.u, " does not fit in int64"));
    }
    out.push_back(is_signed ? e.i : static_cast<int64_t>(e.u));
  }
  return out;
}

Result<GgufValue> GgufFile::get_value(std::string_view key) const {
  const GgufKv* kv = find_kv(key);
  if (kv == nullptr) return Status::error(cat("gguf key '", key, "' not found"));
  Cursor c(data_, kv->value_offset + kv->value_size, kv->value_offset);
  if (kv->type == GgufValueType::ARRAY) return decode_elements(c, kv->elem_type, kv->count, 1);
  return decode_value(c, kv->type, 0);
}

}  // namespace nt
