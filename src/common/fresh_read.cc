#include "glance/common/fresh_read.h"

namespace glance {

Status FreshRead::Get(const std::function<Status(int64_t*)>& read, Reading* reading) {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t wanted = started_ + 1;  // the first read to begin from now on
  while (finished_ < wanted) {
    if (in_flight_) {
      done_.wait(lock);
      continue;
    }
    in_flight_ = true;
    const uint64_t mine = ++started_;
    lock.unlock();
    Reading fresh;
    fresh.began = Clock::now();
    Status status;
    try {
      status = read(&fresh.value);
    } catch (...) {
      lock.lock();
      in_flight_ = false;
      done_.notify_all();
      throw;
    }
    lock.lock();
    in_flight_ = false;
    finished_ = mine;
    last_status_ = status;
    last_ = fresh;
    done_.notify_all();
  }
  *reading = last_;
  return last_status_;
}

}  // namespace glance
