// UUIDs for image ids and request ids (Boost.Uuid's random generator).
#ifndef GLANCE_COMMON_UUID_H_
#define GLANCE_COMMON_UUID_H_

#include <string>
#include <string_view>

namespace glance {

// A new random (version 4) UUID in canonical lower-case form.
std::string NewUuid();

// True for the canonical 8-4-4-4-12 hexadecimal form, in either case.
// Upstream also accepted other spellings; this server accepts only the one
// form that it stores, so that an id has exactly one spelling.
bool IsUuidLike(std::string_view text);

}  // namespace glance

#endif  // GLANCE_COMMON_UUID_H_
