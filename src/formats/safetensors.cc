#include "formats/safetensors.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/json.h"
#include "core/strings.h"

namespace nt {

namespace {

constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;  // same limit as the reference implementation

Result<TensorView> parse_entry(const std::string& name, const Json& e, uint64_t data_size, const std::string& what) {
  auto bad = [&](const std::string& msg) { return Status::error(cat(what, ": tensor '", name, "': ", msg)); };
  if (!e.is_object()) return bad(cat("expected an object, found ", json_type_name(e)));
  if (!e.contains("dtype") || !e["dtype"].is_string()) return bad("missing string field 'dtype'");
  if (!e.contains("shape") || !e["shape"].is_array()) return bad("missing array field 'shape'");
  if (!e.contains("data_offsets") || !e["data_offsets"].is_array() || e["data_offsets"].size() != 2) {
    return bad("expected 'data_offsets' to be [begin, end]");
  }
  TensorView v;
  v.name = name;
  const auto& dt = e["dtype"].get_ref<const std::string&>();
  if (!dtype_from_name(dt, &v.dtype)) return bad(cat("unsupported dtype '", dt, "'"));
  uint64_t numel = 1;
  for (const auto& d : e["shape"]) {
    if (!d.is_number_unsigned()) return bad(cat("shape entries must be non-negative integers, found ", d.dump()));
    uint64_t x = d.get<uint64_t>();
    if (x != 0 && numel > (uint64_t{1} << 62) / x) return bad("shape product overflows");
    numel *= x;
    v.shape.push_back(static_cast<int64_t>(x));
  }
  if (v.shape.size() > 8) return bad(cat("rank ", v.shape.size(), " exceeds 8"));
  const auto& off = e["data_offsets"];
  if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) return bad("data_offsets must be non-negative integers");
  uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
  if (begin > end) return bad(cat("data_offsets begin ", begin, " > end ", end));
  if (end > data_size) return bad(cat("data_offsets end ", end, " is beyond the data section of ", data_size, " bytes (truncated file?)"));
  uint64_t expect = numel * dtype_size(v.dtype);
  if (end - begin != expect) {
    return bad(cat("dtype ", dt, " x shape ", shape_str(v.shape), " needs ", expect, " bytes, data_offsets span ", end - begin));
  }
  v.nbytes = static_cast<size_t>(expect);
  v.data = reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(begin));  // rebased by the caller
  return v;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

}  // namespace

Result<std::vector<TensorView>> parse_safetensors(const uint8_t* data, size_t size, const std::string& what) {
  if (size < 8) return Status::error(cat(what, ": file is ", size, " bytes, too short for a safetensors header"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  if (n > kMaxHeaderBytes) return Status::error(cat(what, ": header length ", n, " exceeds the limit of ", kMaxHeaderBytes, " bytes (not a safetensors file?)"));
  if (n > size - 8) return Status::error(cat(what, ": header length ", n, " but only ", size - 8, " bytes follow (truncated file?)"));
  std::string_view header(reinterpret_cast<const char*>(data + 8), static_cast<size_t>(n));
  NT_ASSIGN_OR_RETURN(Json j, parse_json(header, what + " header"));
  if (!j.is_object()) return Status::error(cat(what, ": header must be a JSON object, found ", json_type_name(j)));
  const uint64_t data_size = size - 8 - n;
  const uint8_t* base = data + 8 + n;
  std::vector<TensorView> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    NT_ASSIGN_OR_RETURN(TensorView v, parse_entry(it.key(), it.value(), data_size, what));
    v.data = base + reinterpret_cast<uintptr_t>(v.data);
    out.push_back(std::move(v));
  }
  // Overlapping tensors indicate a corrupt header.
  std::vector<const TensorView*> sorted;
  for (const auto& v : out) if (v.nbytes) sorted.push_back(&v);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->data < b->data; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i - 1]->data + sorted[i - 1]->nbytes > sorted[i]->data) {
      return Status::error(cat(what, ": tensors '", sorted[i - 1]->name, "' and '", sorted[i]->name, "' overlap"));
    }
  }
  return out;
}

Status TensorStore::add_file(const std::string& file) {
  NT_ASSIGN_OR_RETURN(auto map, MappedFile::open(file));
  NT_ASSIGN_OR_RETURN(auto views, parse_safetensors(map->data(), map->size(), file));
  for (auto& v : views) {
    if (tensors_.count(v.name)) return Status::error(cat(file, ": tensor '", v.name, "' appears in more than one file"));
    std::string name = v.name;
    tensors_.emplace(std::move(name), std::move(v));
  }
  add_file_range(map->data(), map->size(), file);
  maps_.push_back(std::move(map));
  return Status::ok();
}

void TensorStore::add_file_range(const uint8_t* base, size_t size, const std::string& file) {
  if (base != nullptr && size > 0) file_ranges_.emplace_back(base, size);
  files_.push_back(file);
}

void TensorStore::release_pages(const uint8_t* p, size_t n, bool reclaim) const {
  for (const auto& [base, size] : file_ranges_) {
    if (p < base || p + n > base + size) continue;
    release_file_pages(p, n, reclaim);
    return;
  }
}

Result<TensorStore> TensorStore::open(const std::string& path) {
  TensorStore store;
  if (ends_with(path, ".safetensors")) {
    NT_RETURN_IF_ERROR(store.add_file(path));
    return store;
  }
  const std::string index = join_path(path, "model.safetensors.index.json");
  if (file_exists(index)) {
    NT_ASSIGN_OR_RETURN(std::string text, read_text_file(index));
    NT_ASSIGN_OR_RETURN(Json j, parse_json(text, index));
    if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
      return Status::error(cat(index, ": expected an object with a 'weight_map' object"));
    }
    std::vector<std::string> shards;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string()) return Status::error(cat(index, ": weight_map['", it.key(), "'] must be a file name"));
      const auto& f = it.value().get_ref<const std::string&>();
      if (f.find('/') != std::string::npos || f == "..") return Status::error(cat(index, ": shard name '", f, "' must be a plain file name"));
      if (std::find(shards.begin(), shards.end(), f) == shards.end()) shards.push_back(f);
    }
    for (const auto& f : shards) NT_RETURN_IF_ERROR(store.add_file(join_path(path, f)));
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      const TensorView* v = store.find(it.key());
      if (!v) return Status::error(cat(index, ": tensor '", it.key(), "' is listed in shard ", it.value().get<std::string>(), " but not found there"));
    }
    return store;
  }
  const std::string single = join_path(path, "model.safetensors");
  if (file_exists(single)) {
    NT_RETURN_IF_ERROR(store.add_file(single));
    return store;
  }
  // Fall back to the only *.safetensors file in the directory.
  std::vector<std::string> found;
  if (DIR* d = opendir(path.c_str())) {
    while (dirent* e = readdir(d)) {
      if (ends_with(e->d_name, ".safetensors")) found.push_back(e->d_name);
    }
    closedir(d);
  } else {
    return Status::error(cat("cannot open model directory ", path));
  }
  if (found.size() != 1) {
    return Status::error(cat(path, ": expected model.safetensors, model.safetensors.index.json or exactly one *.safetensors file, found ", found.size(), " .safetensors files"));
  }
  NT_RETURN_IF_ERROR(store.add_file(join_path(path, found[0])));
  return store;
}

Status TensorStore::add_view(TensorView view, std::shared_ptr<const void> owner) {
  if (tensors_.count(view.name)) return Status::error(cat("tensor '", view.name, "' appears twice"));
  std::string name = view.name;
  tensors_.emplace(std::move(name), std::move(view));
  if (owner && (owners_.empty() || owners_.back() != owner)) owners_.push_back(std::move(owner));
  return Status::ok();
}

const TensorView* TensorStore::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace nt
