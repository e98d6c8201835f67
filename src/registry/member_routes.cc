// Registry membership routes (spec §14, §16).
#include "glance/image/image_json.h"
#include "registry_handlers.h"

namespace glance::registry {

using nlohmann::json;

namespace {

Status ListMembers(const Services& services, const Call& call, Reply* reply) {
  std::vector<ImageMember> members;
  Status s = services.repository->ListMembers(call.context, call.params[0], &members);
  if (!s.ok()) return s;
  json list = json::array();
  for (const ImageMember& m : members) list.push_back(MemberToRegistryJson(m));
  reply->json = json{{"members", std::move(list)}};
  return Status::Ok();
}

Status ReplaceMembers(const Services& services, const Call& call, Reply* reply) {
  json body;
  Status s = ParseJsonBody(call.body, &body);
  if (!s.ok()) return s;
  std::vector<MembershipEntry> entries;
  s = ParseMemberships(body, &entries);
  if (!s.ok()) return s;
  s = services.repository->ReplaceMembers(call.context, call.params[0], entries);
  if (!s.ok()) return s;
  reply->status = 204;
  return Status::Ok();
}

Status AddMember(const Services& services, const Call& call, Reply* reply) {
  const std::string& member = call.params[1];
  Status s = ValidateMemberId(member);
  if (!s.ok()) return s;
  std::optional<bool> can_share;
  if (!call.body.empty()) {
    json body;
    s = ParseJsonBody(call.body, &body);
    if (!s.ok()) return s;
    s = ParseMemberBody(body, &can_share);
    if (!s.ok()) return s;
  }
  s = services.repository->AddMember(call.context, call.params[0], member, can_share);
  if (!s.ok()) return s;
  reply->status = 204;
  return Status::Ok();
}

// v2: {"member_id": "..."} -> {"member": {...}}.
Status CreateMember(const Services& services, const Call& call, Reply* reply) {
  json body;
  Status s = ParseJsonBody(call.body, &body);
  if (!s.ok()) return s;
  if (!body.is_object() || !body.contains("member_id") || !body["member_id"].is_string()) {
    return Status::InvalidArgument("Expected {\"member_id\": \"<project id>\"}.");
  }
  std::string member = body["member_id"].get<std::string>();
  s = ValidateMemberId(member);
  if (!s.ok()) return s;
  ImageMember created;
  s = services.repository->CreateMember(call.context, call.params[0], member, &created);
  if (!s.ok()) return s;
  reply->json = json{{"member", MemberToRegistryJson(created)}};
  return Status::Ok();
}

// v2: {"status": "pending|accepted|rejected"} -> {"member": {...}}.
Status SetMemberStatus(const Services& services, const Call& call, Reply* reply) {
  Status s = ValidateMemberId(call.params[1]);
  if (!s.ok()) return s;
  json body;
  s = ParseJsonBody(call.body, &body);
  if (!s.ok()) return s;
  if (!body.is_object() || !body.contains("status") || !body["status"].is_string() ||
      !IsValidMemberStatus(body["status"].get<std::string>())) {
    return Status::InvalidArgument("Expected {\"status\": \"pending|accepted|rejected\"}.");
  }
  ImageMember updated;
  s = services.repository->SetMemberStatus(call.context, call.params[0], call.params[1],
                                           body["status"].get<std::string>(), &updated);
  if (!s.ok()) return s;
  reply->json = json{{"member", MemberToRegistryJson(updated)}};
  return Status::Ok();
}

Status RemoveMember(const Services& services, const Call& call, Reply* reply) {
  Status s = ValidateMemberId(call.params[1]);
  if (!s.ok()) return s;
  s = services.repository->RemoveMember(call.context, call.params[0], call.params[1]);
  if (!s.ok()) return s;
  reply->status = 204;
  return Status::Ok();
}

Status SharedImages(const Services& services, const Call& call, Reply* reply) {
  Status s = ValidateMemberId(call.params[0]);
  if (!s.ok()) return s;
  std::vector<ImageMember> shared;
  s = services.repository->SharedImages(call.context, call.params[0], &shared);
  if (!s.ok()) return s;
  json list = json::array();
  for (const ImageMember& m : shared) list.push_back(SharedImageToJson(m));
  reply->json = json{{"shared_images", std::move(list)}};
  return Status::Ok();
}

}  // namespace

void AddMemberRoutes(Router<Handler>* router) {
  router->Add("GET", "/images/{id}/members", ListMembers);
  router->Add("PUT", "/images/{id}/members", ReplaceMembers);
  router->Add("POST", "/images/{id}/members", CreateMember);
  router->Add("PUT", "/images/{id}/members/{member}/status", SetMemberStatus);
  router->Add("PUT", "/images/{id}/members/{member}", AddMember);
  router->Add("DELETE", "/images/{id}/members/{member}", RemoveMember);
  // Upstream answered any method here; spec §20.3 narrows it to GET.
  router->Add("GET", "/shared-images/{member}", SharedImages);
}

}  // namespace glance::registry
