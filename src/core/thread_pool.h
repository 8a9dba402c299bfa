// A fixed pool of worker threads with a blocking parallel_for. No OpenMP inside the library.
// The calling thread takes part in the work, so a pool of n threads has n-1 workers.
// A decode step runs a few hundred short rounds (one per linear layer and scan), so both sides spin for a short
// while before sleeping: an idle worker polls for the next round, the caller polls for the round's end, each for
// at most kSpin, then blocks on a condition variable (the futex wake-up that then starts a round costs tens of
// microseconds on a virtual machine, a few percent of a decode step per hundred rounds).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nt {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(begin, end, thread_index) over [0, n) split into contiguous ranges, one per thread, and waits.
  // Nested calls from inside fn run serially on the calling thread.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn);

  // Like parallel_for but with ranges of `grain` items handed out dynamically (for uneven work).
  void parallel_for_dynamic(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn);

  // Like parallel_for_dynamic, but thread i first takes the ranges of its own contiguous share of [0, n) in order
  // (i's share as parallel_for would give it), then helps the threads still busy with theirs. For loops that stream
  // memory in index order: a thread's consecutive ranges continue one stream, so what it prefetched past a range's
  // end is what it reads next; under a shared counter the next range is usually another thread's, and each range
  // starts cold.
  void parallel_for_streams(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn);

 private:
  void worker(int index);
  void run_job(const std::function<void(int)>& job);

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
  std::atomic<const std::function<void(int)>*> job_{nullptr};
  std::atomic<uint64_t> generation_{0};  // one more per round; workers run each round once
  std::atomic<int> pending_{0};          // workers still in the current round
  std::atomic<bool> stop_{false};
  int sleepers_ = 0;                     // workers blocked on cv_start_ (guarded by mu_)
  bool caller_waiting_ = false;          // the caller blocked on cv_done_ (guarded by mu_)
  bool busy_ = false;
};

// Number of hardware threads, at least 1.
int hardware_threads();

}  // namespace nt
