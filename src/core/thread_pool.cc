#include "core/thread_pool.h"

#include <algorithm>

namespace nt {

namespace {
thread_local bool t_inside_pool = false;
}

int hardware_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_start_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int)>* job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    t_inside_pool = true;
    (*job)(index);
    t_inside_pool = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) cv_done_.notify_one();
    }
  }
}

void ThreadPool::run_job(const std::function<void(int)>& job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &job;
    pending_ = n_threads_ - 1;
    ++generation_;
  }
  cv_start_.notify_all();
  t_inside_pool = true;
  job(0);
  t_inside_pool = false;
  std::unique_lock<std::mutex> lock(mu_);
  cv_done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
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

}  // namespace nt
