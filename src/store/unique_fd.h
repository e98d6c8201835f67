// A descriptor closed when its owner goes out of scope (files, sockets).
#ifndef GLANCE_SRC_STORE_UNIQUE_FD_H_
#define GLANCE_SRC_STORE_UNIQUE_FD_H_

#include <unistd.h>

namespace glance {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace glance

#endif  // GLANCE_SRC_STORE_UNIQUE_FD_H_
