#include "glance/common/uuid.h"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace glance {

std::string NewUuid() {
  // One generator per thread: boost's random_generator is not thread-safe
  // and seeding it is expensive.
  thread_local boost::uuids::random_generator generator;
  return boost::uuids::to_string(generator());
}

bool IsUuidLike(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace glance
