#include "formats/safetensors_write.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <regex>

#include "core/json.h"
#include "core/mapped_file.h"
#include "core/strings.h"
#include "formats/safetensors.h"

namespace nt {

namespace {

// Output block: a few MiB of bytes per fwrite; the fill functions' fp32 scratch is at most 8x that (NVFP4).
constexpr size_t kBlockBytes = size_t{4} << 20;

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

Status write_error(const std::string& path) {
  return Status::error(cat("error writing ", path, ": ", std::strerror(errno)));
}

std::string header_text(const std::vector<StreamedTensor>& tensors, const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", std::string(dtype_name(t.dtype))}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes()}}};
    offset += t.nbytes();
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

// Produces and writes one tensor in blocks of rows; the rows of a block are split across the pool.
Status write_tensor(FILE* f, const std::string& path, const StreamedTensor& t, ThreadPool& pool, std::vector<uint8_t>& buf) {
  if (t.prepare) NT_RETURN_IF_ERROR(t.prepare(pool).with_context(cat("tensor '", t.name, "'")));
  const int64_t n = t.rows();
  const size_t rb = t.row_bytes();
  const int64_t block = std::max<int64_t>(1, static_cast<int64_t>(kBlockBytes / std::max<size_t>(rb, 1)));
  for (int64_t r0 = 0; rb > 0 && r0 < n; r0 += block) {
    const int64_t cnt = std::min(block, n - r0);
    buf.resize(static_cast<size_t>(cnt) * rb);
    pool.parallel_for(cnt, [&](int64_t b, int64_t e, int) { t.fill(r0 + b, e - b, buf.data() + static_cast<size_t>(b) * rb); });
    if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) return write_error(path);
  }
  if (t.done) t.done();
  return Status::ok();
}

bool is_checkpoint_file(const std::string& name) {
  static const std::regex shard("model-[0-9]{5}-of-[0-9]{5}\\.safetensors");
  return name == "model.safetensors" || name == "model.safetensors.index.json" || std::regex_match(name, shard);
}

std::string shard_name(size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
  return buf;
}

}  // namespace

int64_t StreamedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

int64_t StreamedTensor::rows() const {
  if (shape.empty()) return 1;
  return shape.back() == 0 ? 0 : numel() / shape.back();
}

size_t StreamedTensor::row_bytes() const {
  return static_cast<size_t>(shape.empty() ? 1 : shape.back()) * dtype_size(dtype);
}

Status write_safetensors_streamed(const std::string& path, const std::vector<StreamedTensor>& tensors,
                                  const std::map<std::string, std::string>& metadata, ThreadPool& pool) {
  const std::string h = header_text(tensors, metadata);
  File f(std::fopen(path.c_str(), "wb"), std::fclose);
  if (!f) return Status::error(cat("cannot create ", path, ": ", std::strerror(errno)));
  unsigned char len[8];
  const uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  if (std::fwrite(len, 1, 8, f.get()) != 8 || std::fwrite(h.data(), 1, h.size(), f.get()) != h.size()) return write_error(path);
  std::vector<uint8_t> buf;
  for (const auto& t : tensors) NT_RETURN_IF_ERROR(write_tensor(f.get(), path, t, pool, buf));
  if (std::fflush(f.get()) != 0) return write_error(path);
  FILE* raw = f.release();
  if (std::fclose(raw) != 0) return write_error(path);
  return Status::ok();
}

Status write_safetensors_checkpoint(const std::string& dir, const std::vector<StreamedTensor>& tensors,
                                    const CheckpointWriteOptions& options, ThreadPool& pool) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return Status::error(cat("cannot create the output directory ", dir, ": ", ec ? ec.message() : "a file of that name exists"));
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (!is_checkpoint_file(e.path().filename().string())) continue;
    fs::remove(e.path(), ec);
    if (ec) return Status::error(cat("cannot replace ", e.path().string(), ": ", ec.message()));
  }
  if (ec) return Status::error(cat("cannot list ", dir, ": ", ec.message()));

  // Shards: tensors in order, a new shard when the next tensor would overflow the current one.
  std::vector<std::vector<StreamedTensor>> shards(1);
  uint64_t size = 0, total = 0;
  for (const auto& t : tensors) {
    if (size > 0 && size + t.nbytes() > options.max_shard_bytes) {
      shards.emplace_back();
      size = 0;
    }
    shards.back().push_back(t);
    size += t.nbytes();
    total += t.nbytes();
  }
  if (shards.size() == 1) return write_safetensors_streamed(dir + "/model.safetensors", shards[0], options.metadata, pool);

  Json index = {{"metadata", {{"total_size", total}}}, {"weight_map", Json::object()}};
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string name = shard_name(i, shards.size());
    for (const auto& t : shards[i]) index["weight_map"][t.name] = name;
    NT_RETURN_IF_ERROR(write_safetensors_streamed(dir + "/" + name, shards[i], options.metadata, pool));
  }
  // The index last: a directory interrupted mid-write has no index and fails to load instead of loading part.
  return write_text_file(dir + "/model.safetensors.index.json", index.dump(2) + "\n");
}

Status write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  std::vector<StreamedTensor> st;
  for (const auto& t : tensors) {
    StreamedTensor s{t.name, t.dtype, t.shape, {}, {}, {}};
    if (s.nbytes() != t.nbytes) {
      return Status::error(cat("write_safetensors: tensor '", t.name, "' has ", t.nbytes, " bytes, shape needs ", s.nbytes()));
    }
    const auto* src = static_cast<const uint8_t*>(t.data);
    const size_t rb = s.row_bytes();
    s.fill = [src, rb](int64_t row, int64_t count, uint8_t* out) {
      std::memcpy(out, src + static_cast<size_t>(row) * rb, static_cast<size_t>(count) * rb);
    };
    st.push_back(std::move(s));
  }
  ThreadPool pool(1);
  return write_safetensors_streamed(path, st, metadata, pool);
}

}  // namespace nt
