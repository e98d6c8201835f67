#include "glance/image/image.h"

namespace glance {

bool IsValidImageStatus(const std::string& status) {
  for (const char* known : kImageStatuses) {
    if (status == known) return true;
  }
  return false;
}

const ImageLocation* ActiveLocation(const Image& image) {
  for (const ImageLocation& location : image.locations) {
    if (location.status == "active") return &location;
  }
  return nullptr;
}

}  // namespace glance
