// Decoding of Image API v2 request bodies (v2 contract §3): the create
// body, checked by the rules of the image schema and turned into
// ImageChanges.  Pure functions, no
// I/O; the handler fetches the image, applies defaults and saves.
#ifndef GLANCE_IMAGE_V2_REQUEST_H_
#define GLANCE_IMAGE_V2_REQUEST_H_

#include <cstddef>

#include <nlohmann/json.hpp>

#include "glance/common/request_context.h"
#include "glance/common/status.h"
#include "glance/image/image.h"

namespace glance::v2 {

// image_property_quota and image_tag_quota: the most custom properties and
// tags one image may have.
struct V2Limits {
  size_t property_quota = 128;
  size_t tag_quota = 128;
};

// POST /v2/images (§3).  `body` is the parsed request (ParseJsonBody).
// Checks, in this order, each over the whole body (keys in sorted order):
//   not an object -> 400; read-only key (status, checksum, size, ...,
//   os_hash_algo, os_hash_value) -> 403 "Attribute 'k' is read-only.";
//   reserved key (location, locations, deleted, deleted_at, os_glance*) ->
//   403 "Attribute 'k' is reserved."; schema (types, enums, lengths) -> 400;
//   visibility public without is_admin -> 403; owner other than the
//   caller's own by a non-admin -> 403; custom properties over
//   property_quota or tags over tag_quota -> 413.
// Fills only what the body gives (id lower-cased, tags sorted and unique,
// properties only when there are custom keys); the handler sets status,
// visibility and owner defaults.  A null kernel_id/ramdisk_id is "not set".
// On failure *changes is left unchanged.
Status ParseCreateBody(const nlohmann::json& body, const RequestContext& context,
                       const V2Limits& limits, ImageChanges* changes);

}  // namespace glance::v2

#endif  // GLANCE_IMAGE_V2_REQUEST_H_
