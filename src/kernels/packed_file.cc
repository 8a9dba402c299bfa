#include "kernels/packed_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/mapped_file.h"
#include "core/strings.h"
#include "kernels/packed_weight.h"

namespace nt::kernels {
namespace {

constexpr char kMagic[8] = {'N', 'T', 'P', 'A', 'C', 'K', 'E', 'D'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kDataAlign = size_t{2} << 20;  // the data starts on a huge-page boundary of the file
constexpr uint64_t kFreeReserve = uint64_t{2} << 30;  // what the file system keeps free beside a new file

// The file's header and where each weight's bytes go.
struct Plan {
  std::string header;
  std::vector<PackedWeight> shapes;  // data null
  std::vector<size_t> offsets;
  size_t total = 0;
};

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

Plan make_plan(std::span<Linear* const> weights, const std::string& key) {
  Plan p;
  const size_t header_bytes = sizeof kMagic + 4 + 4 + 8 + 8 + key.size() + 8 + weights.size() * 40;
  const size_t data = (header_bytes + kDataAlign - 1) / kDataAlign * kDataAlign;
  p.header.append(kMagic, sizeof kMagic);
  put<uint32_t>(p.header, kFormatVersion);
  put<uint32_t>(p.header, 0);
  put<uint64_t>(p.header, data);
  put<uint64_t>(p.header, key.size());
  p.header += key;
  put<uint64_t>(p.header, weights.size());
  size_t at = data;
  for (const Linear* l : weights) {
    NT_CHECK(has_group_layout(l->w));
    PackedWeight s = group_layout(l->w);
    put<uint8_t>(p.header, static_cast<uint8_t>(s.layout));
    p.header.append(7, '\0');
    put<int64_t>(p.header, s.rows);
    put<int64_t>(p.header, s.cols);
    put<uint64_t>(p.header, at);
    put<uint64_t>(p.header, s.bytes);
    p.offsets.push_back(at);
    at += (s.bytes + 63) / 64 * 64;
    p.shapes.push_back(s);
  }
  NT_CHECK(p.header.size() == header_bytes);
  p.total = weights.empty() ? data : p.offsets.back() + p.shapes.back().bytes;
  return p;
}

// The mapping of `path` when it is the file of `plan`, else null. Besides the header and size, the first group of
// the first, middle and last weight is packed again and compared, so a file written by a build whose packed
// layouts differed is not used even where the format version was not raised.
std::shared_ptr<MappedFile> map_if_valid(std::span<Linear* const> weights, const std::string& path, const Plan& plan) {
  if (!file_exists(path)) return nullptr;
  auto m = MappedFile::open(path);
  if (!m.is_ok()) return nullptr;
  const MappedFile& f = **m;
  if (f.size() != plan.total || std::memcmp(f.data(), plan.header.data(), plan.header.size()) != 0) return nullptr;
  std::vector<uint8_t> group;
  for (size_t i : {size_t{0}, weights.size() / 2, weights.size() - 1}) {
    if (i >= weights.size()) continue;
    const PackedWeight& s = plan.shapes[i];
    group.resize(s.group_bytes);
    pack_groups(weights[i]->w, 0, 1, group.data());
    if (std::memcmp(f.data() + plan.offsets[i], group.data(), s.group_bytes) != 0) return nullptr;
  }
  return std::move(m).value();
}

// 0, or the errno of the failed write.
int pwrite_all(int fd, const uint8_t* p, size_t n, size_t offset) {
  while (n > 0) {
    const ssize_t k = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return k < 0 ? errno : EIO;
    p += k, n -= static_cast<size_t>(k), offset += static_cast<size_t>(k);
  }
  return 0;
}

// Writes the file of `plan` at `tmp` (the caller renames or removes it).
Status write_file(std::span<Linear* const> weights, const Plan& plan, const std::string& tmp, ThreadPool& pool,
                  const std::function<void(const Linear&)>& packed) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error(cat("cannot create ", tmp, ": ", std::strerror(errno)));
  Status st = Status::ok();
  if (const int e = posix_fallocate(fd, 0, static_cast<off_t>(plan.total)); e != 0) {
    st = Status::error(cat("cannot reserve ", plan.total, " bytes for ", tmp, ": ", std::strerror(e)));
  }
  if (st.is_ok()) {
    const int e = pwrite_all(fd, reinterpret_cast<const uint8_t*>(plan.header.data()), plan.header.size(), 0);
    if (e != 0) st = Status::error(cat("error writing ", tmp, ": ", std::strerror(e)));
  }
  if (st.is_ok()) {
    std::atomic<int> failed{0};
    pool.parallel_for(static_cast<int64_t>(weights.size()), [&](int64_t i0, int64_t i1, int) {
      std::vector<uint8_t> buf;
      for (int64_t i = i0; i < i1 && failed.load() == 0; ++i) {
        const PackedWeight& s = plan.shapes[static_cast<size_t>(i)];
        buf.resize(s.bytes);
        pack_groups(weights[static_cast<size_t>(i)]->w, 0, (s.rows + kPackedGroupRows - 1) / kPackedGroupRows,
                    buf.data());
        const int e = pwrite_all(fd, buf.data(), s.bytes, plan.offsets[static_cast<size_t>(i)]);
        if (e != 0) failed.store(e);
        if (packed) packed(*weights[static_cast<size_t>(i)]);
      }
    });
    if (const int e = failed.load(); e != 0) st = Status::error(cat("error writing ", tmp, ": ", std::strerror(e)));
  }
  if (st.is_ok() && ::fdatasync(fd) != 0) st = Status::error(cat("error writing ", tmp, ": ", std::strerror(errno)));
  // The written pages are in the page cache in the small folios of the write path, and a mapping of them would take
  // a TLB entry per 4 KiB. Dropped (they are on disk now), they come back through the mapping's read faults in
  // 2 MiB folios (MappedFile::open). 30B-A3B Q4_0 decode, 2 threads, consecutive runs: 52-56% of the bandwidth
  // probe read through 2 MiB folios against 7.4-9.1 tok/s through the written ones.
  if (st.is_ok()) ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // advisory
  if (::close(fd) != 0 && st.is_ok()) st = Status::error(cat("error writing ", tmp, ": ", std::strerror(errno)));
  return st;
}

// Removes `path`.tmp.PID files whose process no longer runs (a writer that was killed or crashed): each could hold
// the size of a model's experts.
void remove_dead_writers_files(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string prefix = fs::path(path).filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(path).parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + prefix.size(), &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) fs::remove(e.path(), ec);
  }
}

}  // namespace

Status map_packed_file(std::span<Linear* const> weights, const PackedFileSpec& spec, ThreadPool& pool, bool* wrote,
                       const std::function<void(const Linear&)>& packed) {
  *wrote = false;
  const Plan plan = make_plan(weights, spec.key);
  std::shared_ptr<MappedFile> map = map_if_valid(weights, spec.path, plan);
  if (map == nullptr) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path dir = fs::path(spec.path).parent_path();
    if (!dir.empty()) fs::create_directories(dir, ec);
    if (ec) return Status::error(cat("cannot create the directory ", dir.string(), ": ", ec.message()));
    remove_dead_writers_files(spec.path);
    struct statvfs vfs {};
    if (::statvfs(dir.empty() ? "." : dir.c_str(), &vfs) != 0) {
      return Status::error(cat("cannot query the free space of ", dir.string(), ": ", std::strerror(errno)));
    }
    const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    if (free_bytes < plan.total + kFreeReserve) {
      return Status::error(cat(spec.path, " needs ", plan.total, " bytes and ", dir.string(), " has ", free_bytes,
                               " free (", kFreeReserve, " must stay free)"));
    }
    const double mb = static_cast<double>(plan.total) / 1e6;
    std::fprintf(stderr, "nemotron: packing %zu weights (%.*f %s) into %s; later loads map this file\n",
                 weights.size(), 1, mb >= 1000 ? mb / 1000 : mb, mb >= 1000 ? "GB" : "MB", spec.path.c_str());
    const std::string tmp = cat(spec.path, ".tmp.", ::getpid());
    ::unlink(tmp.c_str());  // a leftover of an earlier process with this id
    Status st = write_file(weights, plan, tmp, pool, packed);
    if (st.is_ok() && std::rename(tmp.c_str(), spec.path.c_str()) != 0) {
      st = Status::error(cat("cannot rename ", tmp, " to ", spec.path, ": ", std::strerror(errno)));
    }
    if (!st.is_ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    map = map_if_valid(weights, spec.path, plan);
    if (map == nullptr) return Status::error(cat(spec.path, ": the file just written does not read back"));
    *wrote = true;
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    auto pw = std::make_shared<PackedWeight>(plan.shapes[i]);
    pw->data = const_cast<uint8_t*>(map->data()) + plan.offsets[i];  // read-only mapping: the kernels only read
    pw->storage = std::shared_ptr<uint8_t>(map, pw->data);
    pw->in_file = true;
    weights[i]->packed = std::move(pw);
  }
  return Status::ok();
}

}  // namespace nt::kernels
