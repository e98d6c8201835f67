#include "glance/store/store.h"

#include <unistd.h>

namespace glance {

UploadHold& UploadHold::operator=(UploadHold&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UploadHold::~UploadHold() {
  if (fd_ >= 0) close(fd_);
}

bool Store::Exists(const std::string& id) const {
  int64_t size = 0;
  return Size(id, &size).ok();
}

Status Store::ServeStored(const std::string& id, ServeTarget* target) const {
  int64_t size = 0;
  Status s = Size(id, &size);
  return s.ok() ? Serve(id, target) : s;
}

}  // namespace glance
