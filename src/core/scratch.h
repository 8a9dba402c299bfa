// Scratch arrays whose elements start uninitialized: for per-step activations that are written in full before
// they are read. A std::vector would zero them first — at prefill that is hundreds of MB per step written twice.
#pragma once

#include <cstddef>
#include <memory>

namespace nt {

template <typename T>
class Scratch {
 public:
  explicit Scratch(size_t n) : p_(std::make_unique_for_overwrite<T[]>(n)), n_(n) {}
  T* data() { return p_.get(); }
  const T* data() const { return p_.get(); }
  size_t size() const { return n_; }
  T& operator[](size_t i) { return p_[i]; }
  const T& operator[](size_t i) const { return p_[i]; }

 private:
  std::unique_ptr<T[]> p_;
  size_t n_ = 0;
};

}  // namespace nt
