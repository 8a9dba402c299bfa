// GGUF writer: metadata and tensor infos are serialized in memory (they are small), tensor data is
// streamed straight to the file in declaration order, so a model is never held in RAM.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "core/strings.h"
#include "formats/gguf.h"
#include "formats/gguf_internal.h"

namespace nt {

using namespace gguf_internal;

namespace {

template <typename T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little endian host (checked below)
  out.append(b, sizeof(T));
}

void put_string(std::string& out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.append(s);
}

static_assert(std::endian::native == std::endian::little, "the GGUF writer assumes a little-endian host");

Status encode_value(std::string& out, const GgufValue& v, int depth);

Status encode_scalar(std::string& out, const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::U8: put<uint8_t>(out, static_cast<uint8_t>(v.u)); break;
    case GgufValueType::I8: put<int8_t>(out, static_cast<int8_t>(v.i)); break;
    case GgufValueType::U16: put<uint16_t>(out, static_cast<uint16_t>(v.u)); break;
    case GgufValueType::I16: put<int16_t>(out, static_cast<int16_t>(v.i)); break;
    case GgufValueType::U32: put<uint32_t>(out, static_cast<uint32_t>(v.u)); break;
    case GgufValueType::I32: put<int32_t>(out, static_cast<int32_t>(v.i)); break;
    case GgufValueType::U64: put<uint64_t>(out, v.u); break;
    case GgufValueType::I64: put<int64_t>(out, v.i); break;
    case GgufValueType::F32: put<float>(out, static_cast<float>(v.f)); break;
    case GgufValueType::F64: put<double>(out, v.f); break;
    case GgufValueType::BOOL: put<uint8_t>(out, v.u != 0 ? 1 : 0); break;
    case GgufValueType::STRING: put_string(out, v.s); break;
    case GgufValueType::ARRAY: return Status::error("internal: array passed as scalar");
  }
  return Status::ok();
}

// Array payload: u32 element type, u64 count, elements (nested arrays carry their own header).
Status encode_array(std::string& out, const GgufValue& v, int depth) {
  if (depth >= kMaxArrayDepth) return Status::error(cat("arrays nested deeper than ", kMaxArrayDepth));
  put<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
  put<uint64_t>(out, v.elems.size());
  for (const GgufValue& e : v.elems) {
    if (e.type != v.elem_type) {
      return Status::error(cat("array of ", gguf_value_type_name(v.elem_type), " holds an element of type ",
                               gguf_value_type_name(e.type)));
    }
    NT_RETURN_IF_ERROR(encode_value(out, e, depth + 1));
  }
  return Status::ok();
}

Status encode_value(std::string& out, const GgufValue& v, int depth) {
  if (!valid_type(static_cast<uint32_t>(v.type))) return Status::error("invalid metadata value type");
  if (v.type == GgufValueType::ARRAY) return encode_array(out, v, depth);
  return encode_scalar(out, v);
}

uint64_t pad_to(uint64_t n, uint64_t align) { return (n + align - 1) / align * align; }

}  // namespace

Result<std::unique_ptr<GgufWriter>> GgufWriter::create(const std::string& path, uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return Status::error(cat("GGUF alignment must be a non-zero power of two, got ", alignment));
  }
  std::unique_ptr<GgufWriter> w(new GgufWriter());
  w->path_ = path;
  w->alignment_ = alignment;
  w->file_ = std::fopen(path.c_str(), "wb");
  if (w->file_ == nullptr) return Status::error(cat("cannot create ", path, ": ", std::strerror(errno)));
  // gguf-py writes the key only when the alignment differs from the default; so do we.
  if (alignment != kGgufDefaultAlignment) NT_RETURN_IF_ERROR(w->add("general.alignment", GgufValue::u32(alignment)));
  return w;
}

GgufWriter::~GgufWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Status GgufWriter::add(const std::string& key, const GgufValue& value) {
  if (header_written_) return Status::error(cat("cannot add metadata '", key, "' after tensor data was written"));
  for (const auto& k : keys_) {
    if (k == key) return Status::error(cat("duplicate metadata key '", key, "'"));
  }
  std::string entry;
  put_string(entry, key);
  put<uint32_t>(entry, static_cast<uint32_t>(value.type));
  Status st = encode_value(entry, value, 0);
  if (!st.is_ok()) return st.with_context(cat("metadata '", key, "'"));
  kv_bytes_ += entry;
  keys_.push_back(key);
  ++n_kv_;
  return Status::ok();
}

Status GgufWriter::add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne) {
  if (header_written_) return Status::error(cat("cannot declare tensor '", name, "' after tensor data was written"));
  if (ne.size() > static_cast<size_t>(kGgufMaxDims)) {
    return Status::error(cat("tensor '", name, "' has ", ne.size(), " dimensions, at most ", kGgufMaxDims));
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return Status::error(cat("duplicate tensor name '", name, "'"));
  }
  int64_t rows = 1;
  for (size_t d = 1; d < ne.size(); ++d) {
    if (ne[d] < 0 || (ne[d] > 0 && rows > std::numeric_limits<int64_t>::max() / ne[d])) {
      return Status::error(cat("tensor '", name, "': invalid dimension ne[", d, "] = ", ne[d]));
    }
    rows *= ne[d];
  }
  auto row_bytes = ggml_row_size(type, ne.empty() ? 1 : ne[0]);
  if (!row_bytes.is_ok()) return row_bytes.status().with_context(cat("tensor '", name, "'"));
  if (rows > 0 && *row_bytes > std::numeric_limits<size_t>::max() / static_cast<size_t>(rows)) {
    return Status::error(cat("tensor '", name, "' byte size overflows"));
  }
  const size_t nbytes = *row_bytes * static_cast<size_t>(rows);
  tensors_.push_back({name, type, ne, nbytes, next_offset_});
  next_offset_ += pad_to(nbytes, alignment_);
  return Status::ok();
}

Result<size_t> GgufWriter::tensor_nbytes(const std::string& name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return t.nbytes;
  }
  return Status::error(cat("tensor '", name, "' was not declared"));
}

Status GgufWriter::write_bytes(const void* p, size_t n) {
  if (n > 0 && std::fwrite(p, 1, n, file_) != n) {
    failed_ = Status::error(cat("writing ", path_, ": ", std::strerror(errno)));
    return failed_;
  }
  return Status::ok();
}

Status GgufWriter::write_padding(size_t n) {
  static const char kZeros[256] = {};
  while (n > 0) {
    const size_t k = n < sizeof(kZeros) ? n : sizeof(kZeros);
    NT_RETURN_IF_ERROR(write_bytes(kZeros, k));
    n -= k;
  }
  return Status::ok();
}

Status GgufWriter::write_header() {
  std::string h;
  h.append("GGUF");
  put<uint32_t>(h, 3);
  put<uint64_t>(h, tensors_.size());
  put<uint64_t>(h, n_kv_);
  h += kv_bytes_;
  for (const auto& t : tensors_) {
    put_string(h, t.name);
    put<uint32_t>(h, static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) put<uint64_t>(h, static_cast<uint64_t>(d));
    put<uint32_t>(h, static_cast<uint32_t>(t.type));
    put<uint64_t>(h, t.offset);
  }
  h.append(pad_to(h.size(), alignment_) - h.size(), '\0');
  header_written_ = true;
  kv_bytes_.clear();
  kv_bytes_.shrink_to_fit();
  return write_bytes(h.data(), h.size());
}

Status GgufWriter::write_tensor_data(const void* data, size_t nbytes) {
  NT_RETURN_IF_ERROR(failed_);
  if (finished_ || file_ == nullptr) return Status::error("GGUF writer is already finished");
  if (!header_written_) NT_RETURN_IF_ERROR(write_header());
  const auto* p = static_cast<const uint8_t*>(data);
  while (nbytes > 0) {
    // Skip over zero-byte tensors (they have no data and no padding).
    while (current_ < tensors_.size() && tensors_[current_].nbytes == 0) ++current_;
    if (current_ >= tensors_.size()) {
      return Status::error(cat("more tensor data than declared: ", nbytes, " bytes left over after the last tensor"));
    }
    const PendingTensor& t = tensors_[current_];
    const size_t take = std::min(nbytes, t.nbytes - current_written_);
    NT_RETURN_IF_ERROR(write_bytes(p, take));
    p += take;
    nbytes -= take;
    current_written_ += take;
    if (current_written_ == t.nbytes) {
      NT_RETURN_IF_ERROR(write_padding(pad_to(t.nbytes, alignment_) - t.nbytes));
      ++current_;
      current_written_ = 0;
    }
  }
  return Status::ok();
}

Status GgufWriter::finish() {
  NT_RETURN_IF_ERROR(failed_);
  if (finished_) return Status::ok();
  if (!header_written_) NT_RETURN_IF_ERROR(write_header());
  while (current_ < tensors_.size() && tensors_[current_].nbytes == 0) ++current_;
  if (current_ < tensors_.size()) {
    return Status::error(cat("tensor '", tensors_[current_].name, "' has ", current_written_, " of ",
                             tensors_[current_].nbytes, " bytes written; every declared tensor must be written"));
  }
  finished_ = true;
  const bool ok = std::fflush(file_) == 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed) return Status::error(cat("writing ", path_, ": ", std::strerror(errno)));
  return Status::ok();
}

}  // namespace nt
