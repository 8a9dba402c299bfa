// Scratch arrays (core/scratch.h): alignment, reuse of freed huge-page blocks by size, the cache bound, moves.
#include "core/scratch.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace nt {
namespace {

uintptr_t addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

TEST(Scratch, SmallArraysAreCacheLineAlignedAndUsable) {
  for (size_t n : {size_t{1}, size_t{3}, size_t{1000}, size_t{65537}}) {
    Scratch<float> s(n);
    ASSERT_NE(s.data(), nullptr);
    EXPECT_EQ(addr(s.data()) % 64, 0u) << n;
    EXPECT_EQ(s.size(), n);
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<float>(i);
    EXPECT_EQ(s[n - 1], static_cast<float>(n - 1));
  }
  Scratch<int8_t> empty(0);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.size(), 0u);
}

TEST(Scratch, LargeArraysAreHugePageAlignedAndReusedBySize) {
  const size_t n = (size_t{37} << 20) / sizeof(float) + 7;  // just over 37 MiB: rounds to 38 MiB (a size no other
                                                            // test in the process uses)
  const void* first = nullptr;
  {
    Scratch<float> a(n);
    first = a.data();
    EXPECT_EQ(addr(a.data()) % (size_t{2} << 20), 0u);
    std::memset(a.data(), 1, n * sizeof(float));  // all of it is writable
  }
  const size_t cached = scratch_cached_bytes();
  EXPECT_GE(cached, size_t{38} << 20);
  {
    Scratch<float> b(n);  // the same size comes back: the block just freed
    EXPECT_EQ(b.data(), first);
    EXPECT_EQ(scratch_cached_bytes(), cached - (size_t{38} << 20));
  }
  {
    Scratch<float> c(n + (size_t{2} << 20));  // another size: a new block, the cached one stays
    EXPECT_NE(c.data(), first);
    EXPECT_EQ(scratch_cached_bytes(), cached);
  }
}

TEST(Scratch, CacheStaysWithinItsBound) {
  std::vector<Scratch<uint8_t>> held;
  for (size_t mib = 2; mib <= 64; mib += 2) held.emplace_back(mib << 20);  // 1 GiB in all (not touched)
  held.clear();
  EXPECT_LE(scratch_cached_bytes(), kScratchCacheMax);
  Scratch<uint8_t> over(kScratchCacheMax + 1);  // larger than the cache: freed, not kept
  const size_t before = scratch_cached_bytes();
  over = Scratch<uint8_t>();
  EXPECT_EQ(scratch_cached_bytes(), before);
}

TEST(Scratch, MovesHandOverTheArray) {
  Scratch<int32_t> a(100);
  a[99] = 42;
  const int32_t* p = a.data();
  Scratch<int32_t> b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b[99], 42);
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(a.size(), 0u);
  Scratch<int32_t> c;
  c = std::move(b);
  EXPECT_EQ(c.data(), p);
  c.reset(5);
  EXPECT_EQ(c.size(), 5u);
}

}  // namespace
}  // namespace nt
