#include "glance/image/image.h"

namespace glance {

bool IsValidImageStatus(const std::string& status) {
  for (const char* known : kImageStatuses) {
    if (status == known) return true;
  }
  return false;
}

}  // namespace glance
