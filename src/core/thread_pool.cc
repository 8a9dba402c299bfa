#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace nt {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSpin = std::chrono::microseconds(200);

thread_local bool t_inside_pool = false;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

int hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
  }
  cv_start_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  while (true) {
    // Poll for the next round for a while, then sleep until one starts.
    const auto spin_start = Clock::now();
    for (int i = 0; generation_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_relaxed); ++i) {
      cpu_relax();
      if ((i & 63) == 63 && Clock::now() - spin_start > kSpin) {
        std::unique_lock<std::mutex> lock(mu_);
        ++sleepers_;
        cv_start_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
        --sleepers_;
        break;
      }
    }
    if (stop_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    const std::function<void(int)>* job = job_.load(std::memory_order_acquire);
    t_inside_pool = true;
    (*job)(index);
    t_inside_pool = false;
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      if (caller_waiting_) cv_done_.notify_one();
    }
  }
}

void ThreadPool::run_job(const std::function<void(int)>& job) {
  job_.store(&job, std::memory_order_relaxed);
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sleepers_ > 0) cv_start_.notify_all();
  }
  t_inside_pool = true;
  job(0);
  t_inside_pool = false;
  const auto spin_start = Clock::now();
  for (int i = 0; pending_.load(std::memory_order_acquire) != 0; ++i) {
    cpu_relax();
    if ((i & 63) == 63 && Clock::now() - spin_start > kSpin) {
      std::unique_lock<std::mutex> lock(mu_);
      caller_waiting_ = true;
      cv_done_.wait(lock, [&] { return pending_.load(std::memory_order_acquire) == 0; });
      caller_waiting_ = false;
      break;
    }
  }
  job_.store(nullptr, std::memory_order_relaxed);
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  bool serial = n_threads_ == 1 || n == 1 || t_inside_pool;
  if (!serial) {
    std::lock_guard<std::mutex> lock(mu_);
    if (busy_) serial = true;  // another caller is using the pool: don't interleave jobs
    else busy_ = true;
  }
  if (serial) {
    fn(0, n, 0);
    return;
  }
  const int64_t nt = std::min<int64_t>(n_threads_, n);
  std::function<void(int)> job = [&](int i) {
    if (i >= nt) return;
    int64_t begin = n * i / nt, end = n * (i + 1) / nt;
    if (begin < end) fn(begin, end, i);
  };
  run_job(job);
  std::lock_guard<std::mutex> lock(mu_);
  busy_ = false;
}

void ThreadPool::parallel_for_dynamic(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain || t_inside_pool) {
    fn(0, n, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  parallel_for(n_threads_, [&](int64_t, int64_t, int thread) {
    while (true) {
      int64_t begin = next.fetch_add(grain);
      if (begin >= n) break;
      fn(begin, std::min(n, begin + grain), thread);
    }
  });
}

void ThreadPool::parallel_for_streams(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t, int)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (n_threads_ == 1 || n <= grain || t_inside_pool) {
    fn(0, n, 0);
    return;
  }
  struct alignas(64) Share {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  const int nt = n_threads_;
  std::vector<Share> shares(static_cast<size_t>(nt));
  for (int i = 0; i < nt; ++i) {
    shares[static_cast<size_t>(i)].next.store(n * i / nt, std::memory_order_relaxed);
    shares[static_cast<size_t>(i)].end = n * (i + 1) / nt;
  }
  // A pool that another caller holds runs this serially as thread 0, which then takes every share in turn.
  parallel_for(nt, [&](int64_t, int64_t, int thread) {
    for (int k = 0; k < nt; ++k) {
      Share& s = shares[static_cast<size_t>((thread + k) % nt)];
      while (true) {
        const int64_t begin = s.next.fetch_add(grain, std::memory_order_relaxed);
        if (begin >= s.end) break;
        fn(begin, std::min(s.end, begin + grain), thread);
      }
    }
  });
}

}  // namespace nt
