#include "glance/image/image.h"

namespace glance {

bool IsValidImageStatus(const std::string& status) {
  for (const char* known : kImageStatuses) {
    if (status == known) return true;
  }
  return false;
}

namespace {
template <size_t N>
bool OneOf(const std::string& value, const char* const (&known)[N]) {
  for (const char* k : known) {
    if (value == k) return true;
  }
  return false;
}
}  // namespace

bool IsValidVisibility(const std::string& visibility) { return OneOf(visibility, kVisibilities); }
bool IsValidMemberStatus(const std::string& status) { return OneOf(status, kMemberStatuses); }

const ImageLocation* ActiveLocation(const Image& image) {
  for (const ImageLocation& location : image.locations) {
    if (location.status == "active") return &location;
  }
  return nullptr;
}

}  // namespace glance
