// ThreadPool (core/thread_pool.h): every index of a loop exactly once under each schedule, nesting, and the
// share order of parallel_for_streams.
#include "core/thread_pool.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

namespace nt {
namespace {

TEST(ThreadPool, CoversRangeOnceAndNests) {
  ThreadPool pool(3);
  std::vector<int> hits(1000, 0);
  pool.parallel_for_dynamic(1000, 7, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; ++i) {
      hits[i]++;
      pool.parallel_for(2, [&](int64_t, int64_t, int) {});  // nested: runs inline
    }
  });
  for (int h : hits) EXPECT_EQ(h, 1);
}

// Each index once, for sizes around the grain and the thread count; no range crosses a thread's share, and the
// ranges a thread takes from one share come in increasing order.
TEST(ThreadPool, StreamsCoverEachIndexOnceWithinShares) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 2, 3, 7, 64, 1000, 1001}) {
      for (int64_t grain : {1, 3, 16, 2000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::mutex mu;
        std::vector<std::vector<std::pair<int64_t, int64_t>>> taken(static_cast<size_t>(threads));
        pool.parallel_for_streams(n, grain, [&](int64_t b, int64_t e, int thread) {
          ASSERT_GE(thread, 0);
          ASSERT_LT(thread, threads);
          ASSERT_LT(b, e);
          if (threads > 1 && n > grain) {  // else one call over the whole range
            ASSERT_LE(e - b, grain);
          }
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
          std::lock_guard<std::mutex> lock(mu);
          taken[static_cast<size_t>(thread)].push_back({b, e});
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << n << " " << grain << " " << i;
        if (threads == 1 || n <= grain) continue;
        const auto share_of = [&](int64_t i) {
          int s = 0;
          while (i >= n * (s + 1) / threads) ++s;
          return s;
        };
        for (const auto& ranges : taken) {
          std::vector<int64_t> last(static_cast<size_t>(threads), -1);
          for (const auto& [b, e] : ranges) {
            const int s = share_of(b);
            EXPECT_EQ(share_of(e - 1), s) << "range [" << b << ", " << e << ") crosses a share boundary";
            EXPECT_GT(b, last[static_cast<size_t>(s)]) << "ranges of one share out of order";
            last[static_cast<size_t>(s)] = b;
          }
        }
      }
    }
  }
}

TEST(ThreadPool, StreamsNestedInsideARoundRunInline) {
  ThreadPool pool(2);
  std::vector<int> hits(2 * 100, 0);
  pool.parallel_for(2, [&](int64_t b, int64_t, int) {
    int calls = 0;
    pool.parallel_for_streams(100, 7, [&](int64_t i0, int64_t i1, int thread) {
      ++calls;
      EXPECT_EQ(thread, 0);
      EXPECT_EQ(i0, 0);
      EXPECT_EQ(i1, 100);
      for (int64_t i = i0; i < i1; ++i) hits[static_cast<size_t>(b * 100 + i)]++;
    });
    EXPECT_EQ(calls, 1);
  });
  for (int h : hits) EXPECT_EQ(h, 1);
}

}  // namespace
}  // namespace nt
