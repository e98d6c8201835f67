// FreshRead: a value read afresh for every caller, shared by the callers
// that arrive together.  A caller gets the answer of a read that began
// after it arrived (never one already under way, which may predate a change
// it must see); callers arriving while a read is under way wait for the
// next one and share it.  A burst of N concurrent callers thus costs about
// two reads instead of N.  Thread-safe.
#ifndef GLANCE_COMMON_FRESH_READ_H_
#define GLANCE_COMMON_FRESH_READ_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "glance/common/status.h"

namespace glance {

class FreshRead {
 public:
  using Clock = std::chrono::steady_clock;
  struct Reading {
    int64_t value = 0;
    Clock::time_point began;  // when the read that gave `value` began
  };

  // `read` is called by one caller at a time.
  Status Get(const std::function<Status(int64_t*)>& read, Reading* reading);

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool in_flight_ = false;
  uint64_t started_ = 0;
  uint64_t finished_ = 0;
  Status last_status_;
  Reading last_;
};

}  // namespace glance

#endif  // GLANCE_COMMON_FRESH_READ_H_
