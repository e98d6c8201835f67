// v1 member routes (spec §14): list, replace, add, remove, shared-images.
#include "glance/api/image_rules.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/image/image_json.h"
#include "json_body.h"
#include "v1_handlers.h"

namespace glance::api {

using nlohmann::json;

namespace {

// Registry 403 on membership changes means "not yours to share": v1
// answers 404 (spec §14.1).
Status HideForbidden(Status s) {
  if (s.code() == Status::Code::kForbidden && s.message() != "Read-only access") {
    return Status::NotFound(s.message());
  }
  return s;
}

// What every change of one membership checks first: a writable context,
// an image id that can exist, a valid member id.
Status CheckMemberChange(const ApiCall& call) {
  if (call.context.read_only) return Status::Forbidden("Read-only access");
  if (!IsUuidLike(call.params[0])) return Status::NotFound("No image found");
  return ValidateMemberId(call.params[1]);
}

}  // namespace

Status ListMembers(const ApiServices& v1, ApiCall& call) {
  if (!IsUuidLike(call.params[0])) return Status::NotFound("No image found");
  std::vector<ImageMember> members;
  Status s = v1.registry.ListMembers(call.context, ToLower(call.params[0]), &members);
  if (!s.ok()) return s;
  json list = json::array();
  for (const ImageMember& m : members) list.push_back(MemberToJson(m));
  SetJson(call.response, 200, json{{"members", list}});
  return Status::Ok();
}

Status ReplaceMembers(const ApiServices& v1, ApiCall& call) {
  if (call.context.read_only) return Status::Forbidden("Read-only access");
  if (!IsUuidLike(call.params[0])) return Status::NotFound("No image found");
  if (call.request.preflight) return PreflightJsonBody(call.request);
  std::string text;
  Status s = ReadBodyFile(call.request, &text);
  if (!s.ok()) return s;
  json body;
  s = ParseJsonBody(text, &body);
  if (!s.ok()) return s;
  std::vector<MembershipEntry> entries;
  s = ParseMemberships(body, &entries);
  if (!s.ok()) return s;
  s = CheckMemberQuota(v1.options, static_cast<int64_t>(entries.size()));
  if (!s.ok()) return s;
  s = HideForbidden(v1.registry.ReplaceMembers(call.context, ToLower(call.params[0]), entries));
  if (!s.ok()) return s;
  call.response->status = 204;
  return Status::Ok();
}

Status AddMember(const ApiServices& v1, ApiCall& call) {
  Status s = CheckMemberChange(call);
  if (!s.ok()) return s;
  if (call.request.preflight) return PreflightJsonBody(call.request);
  std::string text;
  s = ReadBodyFile(call.request, &text);
  if (!s.ok()) return s;
  std::optional<bool> can_share;
  if (!Trim(text).empty()) {
    json body;
    s = ParseJsonBody(text, &body);
    if (!s.ok()) return s;
    s = ParseMemberBody(body, &can_share);
    if (!s.ok()) return s;
  }
  std::string id = ToLower(call.params[0]);
  std::vector<ImageMember> members;
  s = v1.registry.ListMembers(call.context, id, &members);
  if (!s.ok()) return s;
  s = CheckMemberQuota(v1.options, static_cast<int64_t>(members.size()) + 1);
  if (!s.ok()) return s;
  s = HideForbidden(v1.registry.AddMember(call.context, id, call.params[1], can_share));
  if (!s.ok()) return s;
  call.response->status = 204;
  return Status::Ok();
}

Status RemoveMember(const ApiServices& v1, ApiCall& call) {
  Status s = CheckMemberChange(call);
  if (!s.ok()) return s;
  s = HideForbidden(v1.registry.RemoveMember(call.context, ToLower(call.params[0]), call.params[1]));
  if (!s.ok()) return s;
  call.response->status = 204;
  return Status::Ok();
}

Status SharedImages(const ApiServices& v1, ApiCall& call) {
  Status s = ValidateMemberId(call.params[0]);
  if (!s.ok()) return s;
  std::vector<ImageMember> shared;
  s = v1.registry.SharedImages(call.context, call.params[0], &shared);
  if (!s.ok()) return s;
  json list = json::array();
  for (const ImageMember& m : shared) list.push_back(SharedImageToJson(m));
  SetJson(call.response, 200, json{{"shared_images", list}});
  return Status::Ok();
}

}  // namespace glance::api
