// v2 tags and members (v2 contract §7, §8).  Tags are part of the image
// (a read-modify-write of its tag set); members are the same rows v1's
// member routes change, with the v2 status.
#include <algorithm>

#include "glance/api/image_rules.h"
#include "glance/common/uuid.h"
#include "glance/image/image_json.h"
#include "glance/image/image_v2.h"
#include "json_body.h"
#include "v2_handlers.h"

namespace glance::api::v2 {

namespace codec = ::glance::v2;
using nlohmann::json;

namespace {

Status OnlySharedImages(const Image& image) {
  if (image.visibility == "shared") return Status::Ok();
  return Status::Forbidden("Only shared images have members.");
}

bool OwnsOrAdmin(const RequestContext& context, const Image& image) {
  return context.is_admin || (context.owner && image.owner && *context.owner == *image.owner);
}

// The shared image of the path and its members as the caller may see them:
// all of them for its owner (or an admin), the caller's own membership for
// a member.
Status VisibleMembers(const ApiServices& api, const ApiCall& call, Image* image,
                      std::vector<ImageMember>* members) {
  Status s = GetLiveImage(api, call, image);
  if (!s.ok()) return s;
  s = OnlySharedImages(*image);
  if (!s.ok()) return s;
  s = api.registry.ListMembers(call.context, image->id, members);
  if (!s.ok()) return s;
  if (!OwnsOrAdmin(call.context, *image)) {
    std::erase_if(*members, [&](const ImageMember& m) {
      return !call.context.owner || m.member != *call.context.owner;
    });
  }
  return Status::Ok();
}

// What a change of the path's member checks first: a writable context, a
// valid member id, a live image the caller sees.
Status OneMemberOf(const ApiServices& api, const ApiCall& call, Image* image) {
  if (call.context.read_only) return Status::Forbidden("Read-only access");
  Status s = ValidateMemberId(call.params[1]);
  if (!s.ok()) return s;
  return GetLiveImage(api, call, image);
}

void ReplyMember(ApiCall& call, const ImageMember& member) {
  SetJson(call.response, 200, codec::MemberToJson(member));
}

// Adds (`add`) or removes the path's tag.
Status ChangeTag(const ApiServices& api, ApiCall& call, bool add) {
  const std::string& tag = call.params[1];
  Status s = ValidateTag(tag);
  if (!s.ok()) return s;
  Image image;
  s = GetLiveImage(api, call, &image);
  if (!s.ok()) return s;
  s = RequireOwner(call, image);
  if (!s.ok()) return s;
  auto change = [&](const Image& current, ImageChanges* changes, bool*) {
    std::vector<std::string> tags = current.tags;
    bool present = std::find(tags.begin(), tags.end(), tag) != tags.end();
    if (add && !present) {
      if (api.options.image_tag_quota >= 0 &&
          static_cast<int64_t>(tags.size()) + 1 > api.options.image_tag_quota) {
        return Status::TooLarge("Maximum number of tags exceeded: at most " +
                                std::to_string(api.options.image_tag_quota) + " per image.");
      }
      tags.push_back(tag);
      std::sort(tags.begin(), tags.end());
    } else if (!add && present) {
      tags.erase(std::find(tags.begin(), tags.end(), tag));
    } else if (!add) {
      return Status::NotFound("Tag " + tag + " not found on image " + current.id + ".");
    }
    changes->tags = std::move(tags);
    return Status::Ok();
  };
  Image updated;
  s = ChangeImage(api, call, image, change, &updated);
  if (!s.ok()) return s;
  call.response->status = 204;
  return Status::Ok();
}

}  // namespace

Status AddTag(const ApiServices& api, ApiCall& call) { return ChangeTag(api, call, true); }
Status RemoveTag(const ApiServices& api, ApiCall& call) { return ChangeTag(api, call, false); }

Status ListMembers(const ApiServices& api, ApiCall& call) {
  Image image;
  std::vector<ImageMember> members;
  Status s = VisibleMembers(api, call, &image, &members);
  if (!s.ok()) return s;
  json list = json::array();
  for (const ImageMember& m : members) list.push_back(codec::MemberToJson(m));
  SetJson(call.response, 200, json{{"members", list}, {"schema", "/v2/schemas/members"}});
  return Status::Ok();
}

Status CreateMember(const ApiServices& api, ApiCall& call) {
  if (call.context.read_only) return Status::Forbidden("Read-only access");
  Image image;
  Status s = GetLiveImage(api, call, &image);
  if (!s.ok()) return s;
  if (call.request.preflight) return PreflightJsonBody(call.request);
  json body;
  s = ReadJsonBody(call.request, &body);
  if (!s.ok()) return s;
  if (!body.is_object() || !body.contains("member") || !body["member"].is_string()) {
    return Status::InvalidArgument("The body must be {\"member\": \"<project id>\"}.");
  }
  const std::string member = body["member"].get<std::string>();
  s = ValidateMemberId(member);
  if (!s.ok()) return s;
  std::vector<ImageMember> members;
  s = api.registry.ListMembers(call.context, image.id, &members);
  if (!s.ok()) return s;
  s = CheckMemberQuota(api.options, static_cast<int64_t>(members.size()) + 1);
  if (!s.ok()) return s;
  ImageMember created;
  s = api.registry.CreateMember(call.context, image.id, member, &created);
  if (!s.ok()) return s;
  ReplyMember(call, created);
  return Status::Ok();
}

Status ShowMember(const ApiServices& api, ApiCall& call) {
  Image image;
  std::vector<ImageMember> members;
  Status s = VisibleMembers(api, call, &image, &members);
  if (!s.ok()) return s;
  for (const ImageMember& m : members) {
    if (m.member == call.params[1]) {
      ReplyMember(call, m);
      return Status::Ok();
    }
  }
  return Status::NotFound("Member " + call.params[1] + " not found on image " + image.id + ".");
}

Status UpdateMember(const ApiServices& api, ApiCall& call) {
  Image image;
  Status s = OneMemberOf(api, call, &image);
  if (!s.ok()) return s;
  if (call.request.preflight) return PreflightJsonBody(call.request);
  json body;
  s = ReadJsonBody(call.request, &body);
  if (!s.ok()) return s;
  if (!body.is_object() || !body.contains("status") || !body["status"].is_string() ||
      !IsValidMemberStatus(body["status"].get<std::string>())) {
    return Status::InvalidArgument(
        "The body must be {\"status\": \"pending\" | \"accepted\" | \"rejected\"}.");
  }
  ImageMember updated;
  s = api.registry.SetMemberStatus(call.context, image.id, call.params[1],
                                   body["status"].get<std::string>(), &updated);
  if (!s.ok()) return s;
  ReplyMember(call, updated);
  return Status::Ok();
}

Status DeleteMember(const ApiServices& api, ApiCall& call) {
  Image image;
  Status s = OneMemberOf(api, call, &image);
  if (!s.ok()) return s;
  s = OnlySharedImages(image);
  if (!s.ok()) return s;
  if (!OwnsOrAdmin(call.context, image)) {
    return Status::Forbidden("Only the owner of image " + image.id + " may remove its members.");
  }
  s = api.registry.RemoveMember(call.context, image.id, call.params[1]);
  if (!s.ok()) return s;
  call.response->status = 204;
  return Status::Ok();
}

}  // namespace glance::api::v2
