#include "glance/api/copy_runner.h"

#include <thread>

#include "glance/common/logging.h"

namespace glance::api {

bool CopyRunner::TryReserve() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || reserved_ >= limit_) return false;
  ++reserved_;
  return true;
}

void CopyRunner::Release() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --reserved_;
  }
  idle_.notify_all();
}

void CopyRunner::Start(Job job) {
  // Detached: Stop() waits on the slot count, and a job still running when
  // the process exits has nothing left to protect (see Stop's caller).
  std::thread([this, job = std::move(job)] {
    try {
      job([this] { return cancelled_.load(); });
    } catch (const std::exception& e) {
      LogError(std::string("background copy failed: ") + e.what());
    }
    Release();
  }).detach();
}

void CopyRunner::Stop(std::chrono::seconds limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  cancelled_ = true;
  idle_.wait_for(lock, limit, [this] { return reserved_ == 0; });
}

}  // namespace glance::api
