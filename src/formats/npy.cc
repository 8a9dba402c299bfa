#include "formats/npy.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/mapped_file.h"
#include "core/strings.h"

namespace nt {

Status write_npy_f32(const std::string& path, const float* data, const std::vector<int64_t>& shape) {
  std::string dims;
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
    if (i + 1 < shape.size()) dims += " ";
    n *= shape[i];
  }
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), std::fclose);
  if (!f) return Status::error(cat("cannot create ", path, ": ", std::strerror(errno)));
  const uint16_t hlen = static_cast<uint16_t>(header.size());
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  bool ok = std::fwrite(magic, 1, 8, f.get()) == 8;
  const unsigned char len[2] = {static_cast<unsigned char>(hlen & 0xff), static_cast<unsigned char>(hlen >> 8)};
  ok = ok && std::fwrite(len, 1, 2, f.get()) == 2;
  ok = ok && std::fwrite(header.data(), 1, header.size(), f.get()) == header.size();
  ok = ok && (n == 0 || std::fwrite(data, 4, static_cast<size_t>(n), f.get()) == static_cast<size_t>(n));
  if (!ok || std::fflush(f.get()) != 0) return Status::error(cat("error writing ", path));
  return Status::ok();
}

Result<NpyArray> read_npy(const std::string& path) {
  NT_ASSIGN_OR_RETURN(auto map, MappedFile::open(path));
  const uint8_t* p = map->data();
  const size_t size = map->size();
  if (size < 10 || std::memcmp(p, "\x93NUMPY", 6) != 0) return Status::error(cat(path, ": not a .npy file"));
  size_t hlen, off;
  if (p[6] == 1) { hlen = p[8] | (p[9] << 8); off = 10; }
  else { if (size < 12) return Status::error(cat(path, ": truncated")); hlen = p[8] | (p[9] << 8) | (size_t(p[10]) << 16) | (size_t(p[11]) << 24); off = 12; }
  if (off + hlen > size) return Status::error(cat(path, ": truncated header"));
  std::string h(reinterpret_cast<const char*>(p + off), hlen);
  size_t esize;
  if (h.find("'<f4'") != std::string::npos) esize = 4;
  else if (h.find("'<f8'") != std::string::npos) esize = 8;
  else return Status::error(cat(path, ": only little-endian float32/float64 arrays are supported"));
  if (h.find("'fortran_order': True") != std::string::npos) return Status::error(cat(path, ": Fortran order not supported"));
  NpyArray a;
  size_t lp = h.find('('), rp = h.find(')');
  if (lp == std::string::npos || rp == std::string::npos) return Status::error(cat(path, ": no shape in header"));
  int64_t n = 1;
  for (auto part : split(std::string_view(h).substr(lp + 1, rp - lp - 1), ',')) {
    std::string s(part);
    s.erase(0, s.find_first_not_of(' '));
    if (s.empty()) continue;
    char* end = nullptr;
    long long d = std::strtoll(s.c_str(), &end, 10);
    if (end == s.c_str() || d < 0) return Status::error(cat(path, ": bad shape entry '", s, "'"));
    a.shape.push_back(d);
    n *= a.shape.back();
  }
  const size_t data_off = off + hlen;
  if (data_off + static_cast<size_t>(n) * esize > size) return Status::error(cat(path, ": truncated data"));
  a.data.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (esize == 4) std::memcpy(&a.data[i], p + data_off + 4 * i, 4);
    else { double d; std::memcpy(&d, p + data_off + 8 * i, 8); a.data[i] = static_cast<float>(d); }
  }
  return a;
}

}  // namespace nt
