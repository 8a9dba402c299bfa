#include "core/scratch.h"

#include <sys/mman.h>

#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <new>

namespace nt {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t rounded(size_t bytes) {
  return bytes >= kScratchHugeMin ? (bytes + kHugePage - 1) / kHugePage * kHugePage : (bytes + 63) / 64 * 64;
}

// Freed huge-page blocks by size. Leaked on purpose at exit (a function-static pointer), so Scratch arrays that
// outlive static destruction still have a cache to return to.
struct Cache {
  std::mutex mu;
  std::multimap<size_t, void*> blocks;
  size_t bytes = 0;
};
Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

}  // namespace

void* scratch_allocate(size_t bytes) {
  const size_t n = rounded(bytes);
  if (n >= kScratchHugeMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.blocks.find(n);  // the same shapes come back every step: exact sizes are enough
    if (it != c.blocks.end()) {
      void* p = it->second;
      c.bytes -= n;
      c.blocks.erase(it);
      return p;
    }
  }
  void* p = std::aligned_alloc(n >= kScratchHugeMin ? kHugePage : 64, n);
  if (p == nullptr) throw std::bad_alloc();
  if (n >= kScratchHugeMin) madvise(p, n, MADV_HUGEPAGE);
  return p;
}

void scratch_release(void* p, size_t bytes) {
  const size_t n = rounded(bytes);
  if (n >= kScratchHugeMin) {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (n <= kScratchCacheMax) {
      // Room for it: the cache drops its largest blocks first (a shape that came back is more likely a small one).
      while (c.bytes + n > kScratchCacheMax) {
        auto last = std::prev(c.blocks.end());
        std::free(last->second);
        c.bytes -= last->first;
        c.blocks.erase(last);
      }
      c.blocks.emplace(n, p);
      c.bytes += n;
      return;
    }
  }
  std::free(p);
}

size_t scratch_cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.bytes;
}

}  // namespace nt
