// CopyRunner: the background copies of `x-glance-api-copy-from`, one
// thread each, at most `limit` at a time in this worker process.
//
// A copy can be cancelled: Stop() (the worker is shutting down) makes every
// running job see cancelled() == true and waits, bounded, for them to end,
// so each can mark its image killed instead of leaving it half done.  No
// thread exists until the first job, so a runner built before the workers
// fork is safe to inherit.  Thread-safe.
#ifndef GLANCE_API_COPY_RUNNER_H_
#define GLANCE_API_COPY_RUNNER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace glance::api {

class CopyRunner {
 public:
  using Job = std::function<void(const std::function<bool()>& cancelled)>;

  explicit CopyRunner(int limit) : limit_(limit) {}
  CopyRunner(const CopyRunner&) = delete;
  CopyRunner& operator=(const CopyRunner&) = delete;

  // Takes a slot for a job about to start; false at the limit or once
  // stopping.  A taken slot is given back by Start (when the job ends) or
  // by Release.
  bool TryReserve();
  void Release();
  // Runs `job` on its own thread in a slot taken with TryReserve.
  void Start(Job job);
  // Cancels every job and waits up to `limit` for them to end.
  void Stop(std::chrono::seconds limit);

 private:
  const int limit_;
  std::mutex mutex_;
  std::condition_variable idle_;
  int reserved_ = 0;
  bool stopping_ = false;
  std::atomic<bool> cancelled_{false};
};

}  // namespace glance::api

#endif  // GLANCE_API_COPY_RUNNER_H_
