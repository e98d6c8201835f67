// Decoding of Image API v2 request bodies (v2 contract §3, §5): the create
// body and the JSON-patch of PATCH /v2/images/{id}, checked by the rules
// of the image schema and turned into ImageChanges.  Pure functions, no
// I/O; the handler fetches the image, applies defaults and saves.
#ifndef GLANCE_IMAGE_V2_REQUEST_H_
#define GLANCE_IMAGE_V2_REQUEST_H_

#include <cstddef>
#include <string>
#include <vector>

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

// The PATCH media type we accept (v2.1, JSON-schema draft 10 semantics).
// The legacy v2.0 form is not supported; a 415 answer should carry
// "Accept-Patch: " + kPatchMediaType.
inline constexpr char kPatchMediaType[] = "application/openstack-images-v2.1-json-patch";

// OK for kPatchMediaType, compared case-insensitively and ignoring
// parameters ("; charset=UTF-8"); anything else (absent included) -> 415.
Status CheckPatchMediaType(const std::string& content_type);

struct PatchOp {
  enum class Kind { kAdd, kRemove, kReplace };
  Kind kind = Kind::kAdd;
  // The path's one token, decoded (~1 -> '/', ~0 -> '~') and stripped of
  // surrounding whitespace as upstream does.  "/locations/N" is kept as
  // "locations" so that ApplyPatch refuses it with 403.
  std::string path;
  nlohmann::json value;  // null for kRemove
};

// The syntax of the patch body (§5): an array of objects with "op" (add,
// remove, replace), "path" (a one-token JSON pointer) and, except for
// remove, "value".  Every violation -> 400; nothing is checked against the
// image here.  On failure *ops is left unchanged.
Status ParsePatch(const nlohmann::json& body, std::vector<PatchOp>* ops);

// Applies ops to `current` as one atomic change (§5).  First, for every op
// in order: read-only path -> 403, reserved path -> 403, value against the
// schema (add/replace) -> 400.  Then the ops take effect in order on a copy:
// add sets a core attribute or sets/creates a custom property; replace of a
// missing custom property -> 409; remove of a missing one -> 409, of a core
// attribute -> 403; visibility public without is_admin -> 403; owner by a
// non-admin -> 403; disk_format/container_format outside queued/importing
// -> 403; tags over tag_quota -> 413; new custom keys making more than
// property_quota -> 413.  Only when every op passes are the outputs set:
//   *changes: the core fields whose new value differs from `current`
//     (an op that sets the current value produces nothing);
//   changes->tags: the whole new set, when it differs;
//   changes->properties: the whole new custom-property set (hidden
//     os_glance* properties of `current` included) with *purge_properties =
//     true, when it differs; otherwise unset and *purge_properties = false.
Status ApplyPatch(const Image& current, const std::vector<PatchOp>& ops,
                  const RequestContext& context, const V2Limits& limits, ImageChanges* changes,
                  bool* purge_properties);

}  // namespace glance::v2

#endif  // GLANCE_IMAGE_V2_REQUEST_H_
