// The membership half of the registry's JSON codec: member entries in the
// v1 and registry shapes, and the bodies that change them.
#include <nlohmann/json.hpp>

#include "glance/common/text.h"
#include "glance/image/image_json.h"

namespace glance {

using nlohmann::json;

json MemberToJson(const ImageMember& member) {
  return {{"member_id", member.member}, {"can_share", member.can_share}};
}

json SharedImageToJson(const ImageMember& member) {
  return {{"image_id", member.image_id}, {"can_share", member.can_share}};
}

json MemberToRegistryJson(const ImageMember& member) {
  return {{"image_id", member.image_id},     {"member_id", member.member},
          {"can_share", member.can_share},   {"status", member.status},
          {"created_at", member.created_at}, {"updated_at", member.updated_at}};
}

Status ValidateMemberId(const std::string& member) {
  if (member.empty()) return Status::InvalidArgument("Member id must not be empty.");
  Status s = ValidateMetadataText(member, kMaxMemberChars, "Member id");
  if (!s.ok()) return s;
  if (member.find('/') != std::string::npos || member == "." || member == "..") {
    return Status::InvalidArgument("Member id must not contain '/' or be '.' or '..'.");
  }
  return Status::Ok();
}

Status ParseMemberships(const json& body, std::vector<MembershipEntry>* entries) {
  if (!body.is_object() || !body.contains("memberships")) {
    return Status::InvalidArgument("Invalid membership association: the body must be "
                                   "{\"memberships\": [...]}.");
  }
  const json& list = body["memberships"];
  if (!list.is_array()) {
    return Status::InvalidArgument("Invalid membership association: 'memberships' must be a list.");
  }
  entries->clear();
  for (const json& item : list) {
    if (!item.is_object() || !item.contains("member_id") || !item["member_id"].is_string()) {
      return Status::InvalidArgument("Invalid membership association: every entry needs a "
                                     "string 'member_id'.");
    }
    MembershipEntry entry;
    entry.member = item["member_id"].get<std::string>();
    Status s = ValidateMemberId(entry.member);
    if (!s.ok()) return s;
    if (item.contains("can_share") && !item["can_share"].is_null()) {
      if (!item["can_share"].is_boolean()) {
        return Status::InvalidArgument("Invalid membership association: 'can_share' must be a "
                                       "boolean.");
      }
      entry.can_share = item["can_share"].get<bool>();
    }
    entries->push_back(std::move(entry));
  }
  return Status::Ok();
}

Status ParseMemberBody(const json& body, std::optional<bool>* can_share) {
  *can_share = std::nullopt;
  if (!body.is_object()) return Status::InvalidArgument("Unexpected body type. Expected list/dict.");
  if (!body.contains("member")) return Status::Ok();
  const json& member = body["member"];
  if (!member.is_object()) return Status::InvalidArgument("'member' must be an object.");
  if (!member.contains("can_share") || member["can_share"].is_null()) return Status::Ok();
  if (!member["can_share"].is_boolean()) {
    return Status::InvalidArgument("'can_share' must be a boolean.");
  }
  *can_share = member["can_share"].get<bool>();
  return Status::Ok();
}

Status MemberFromRegistryJson(const json& entry, ImageMember* member) {
  if (!entry.is_object()) return Status::Internal("The image registry sent a malformed member.");
  auto text = [&](const char* key, const char* fallback) {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
  };
  *member = ImageMember();
  member->image_id = text("image_id", "");
  member->member = text("member_id", "");
  auto share = entry.find("can_share");
  member->can_share = share != entry.end() && share->is_boolean() && share->get<bool>();
  member->status = text("status", "pending");
  member->created_at = text("created_at", "");
  member->updated_at = text("updated_at", "");
  if (member->member.empty()) return Status::Internal("The image registry sent a malformed member.");
  return Status::Ok();
}

Status ValidateTag(const std::string& tag) {
  if (tag.empty()) return Status::InvalidArgument("A tag must not be empty.");
  return ValidateMetadataText(tag, kMaxTagChars, "Tag");
}

}  // namespace glance
