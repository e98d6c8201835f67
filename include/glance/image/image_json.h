// The registry's JSON codec (spec §16): image dicts, index entries,
// request bodies.  Parsing validates every field (types, ranges, text rules
// of spec §20) and reports the first problem as kInvalidArgument.
#ifndef GLANCE_IMAGE_IMAGE_JSON_H_
#define GLANCE_IMAGE_IMAGE_JSON_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glance/common/status.h"
#include "glance/image/image.h"

namespace glance {

// The registry image dict: detail fields plus location and location_data.
nlohmann::json ImageToRegistryJson(const Image& image);
// The v1 API's member entry ({member_id, can_share}) and the registry's,
// which adds image_id, the v2 status and the times.
nlohmann::json MemberToJson(const ImageMember& member);
nlohmann::json MemberToRegistryJson(const ImageMember& member);
Status MemberFromRegistryJson(const nlohmann::json& entry, ImageMember* member);
nlohmann::json SharedImageToJson(const ImageMember& member);

// Reads a registry image dict back (the API side of the codec).
Status ImageFromRegistryJson(const nlohmann::json& dict, Image* image);

// The registry JSON of a set of changes (what ParseImageChanges reads).
nlohmann::json ImageChangesToJson(const ImageChanges& changes);

// Parses request text as JSON, refusing malformed text and nesting deeper
// than a sane bound ("Malformed JSON in request body.").
Status ParseJsonBody(const std::string& text, nlohmann::json* out);

// {"image": {...}} of a registry create or update.
Status ParseImageChanges(const nlohmann::json& image_object, ImageChanges* changes);

// {"memberships": [{"member_id": "...", "can_share": bool}, ...]}
Status ParseMemberships(const nlohmann::json& body, std::vector<MembershipEntry>* entries);

// {"member": {"can_share": bool}} (optional; absent means no change).
Status ParseMemberBody(const nlohmann::json& body, std::optional<bool>* can_share);

// Member ids (spec §20.2): 1-255 characters of metadata text, no '/',
// neither "." nor "..".
Status ValidateMemberId(const std::string& member);

// Tags (v2 contract §7): 1-255 characters of metadata text.
Status ValidateTag(const std::string& tag);

}  // namespace glance

#endif  // GLANCE_IMAGE_IMAGE_JSON_H_
