// Scratch arrays whose elements start uninitialized: for per-step activations that are written in full before
// they are read. A std::vector would zero them first — at prefill that is hundreds of MB per step written twice.
//
// Arrays of at least kScratchHugeMin bytes live in 2 MiB transparent huge pages and are kept for reuse when freed
// (a process-wide cache of at most kScratchCacheMax bytes, matched by size: the shapes repeat every step). A prefill
// tile writes one cache line per token into each output row, so over 4 KiB pages every token of a 16-row block is
// another TLB miss; on a virtual machine with shadow page tables each refill is costly. Measured on the 8B Q4_0
// shape, 2 threads, pp512: the MLP up projection [512, 4096] → [512, 21504] took 5.4 s per prefill over 4 KiB
// pages and 2.4 s over huge pages (prefill 33 → 50 tok/s); reuse also spares the page faults of fresh memory.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace nt {

constexpr size_t kScratchHugeMin = size_t{1} << 20;
constexpr size_t kScratchCacheMax = size_t{512} << 20;

// Raw storage for Scratch: `bytes` bytes, 64-byte aligned (never null; throws std::bad_alloc like new).
void* scratch_allocate(size_t bytes);
void scratch_release(void* p, size_t bytes);
// Bytes held by the reuse cache now (for tests).
size_t scratch_cached_bytes();

template <typename T>
class Scratch {
  static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>,
                "Scratch holds plain values");

 public:
  Scratch() = default;
  explicit Scratch(size_t n) : p_(n > 0 ? static_cast<T*>(scratch_allocate(n * sizeof(T))) : nullptr), n_(n) {}
  Scratch(Scratch&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  Scratch& operator=(Scratch&& o) noexcept {
    if (this != &o) {
      free();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { free(); }

  // n elements, uninitialized (the previous contents are not kept).
  void reset(size_t n) { *this = Scratch(n); }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }

 private:
  void free() {
    if (p_ != nullptr) scratch_release(p_, n_ * sizeof(T));
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace nt
