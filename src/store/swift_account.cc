#include "swift_account.h"

#include <nlohmann/json.hpp>

#include "glance/common/logging.h"
#include "glance/common/time_format.h"

namespace glance::swift {

using nlohmann::json;

namespace {

// A token of unknown lifetime is used for this long, then renewed.
constexpr std::time_t kAssumedLifetime = 3600;
constexpr std::time_t kRenewAhead = 60;

Status RefusalOrOutage(const Reply& reply, const std::string& who) {
  if (reply.status == 401 || reply.status == 403) {
    return Status::Unauthorized(who + " refused the swift store's credentials (" + reply.Describe() + ")");
  }
  return Status::Unavailable(who + " cannot issue a token for the swift store: " + reply.Describe());
}

// Keystone's interface names for glance_store's endpoint types.
std::string InterfaceOf(const std::string& endpoint_type) {
  if (endpoint_type == "internalURL") return "internal";
  if (endpoint_type == "adminURL") return "admin";
  return "public";
}

}  // namespace

Status SwiftAccount::Current(Session* session) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (current_ && current_->expires_at - kRenewAhead > std::time(nullptr)) {
      *session = *current_;
      return Status::Ok();
    }
  }
  // Authenticate outside the lock: a slow Keystone must not stall the
  // threads whose token is still good elsewhere; two threads may both
  // renew, which is harmless.
  Session fresh;
  Status s = Authenticate(&fresh);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = fresh;
  *session = fresh;
  return Status::Ok();
}

void SwiftAccount::Refused(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_ && current_->token == token) current_.reset();
}

Status SwiftAccount::Authenticate(Session* session) const {
  Status s = options_.auth_version == 1 ? AuthenticateV1(session) : AuthenticateV3(session);
  if (!s.ok()) return s;
  if (!ParseHttpUrl(session->storage_url, &session->storage)) {
    return Status::Unavailable("the swift store's storage URL '" + session->storage_url +
                               "' is not a plain http:// URL");
  }
  LogDebug("swift store: new token for " + session->storage_url);
  return Status::Ok();
}

Status SwiftAccount::AuthenticateV1(Session* session) const {
  HttpUrl auth;
  if (!ParseHttpUrl(options_.auth_address, &auth)) {
    return Status::Unavailable("swift_store_auth_address is not an http:// URL");
  }
  Reply reply = Send(auth, "GET", auth.path.empty() ? "/" : auth.path,
                     {{"X-Auth-User", options_.user}, {"X-Auth-Key", options_.key}}, "",
                     options_.timeout_seconds);
  if (reply.status / 100 != 2) return RefusalOrOutage(reply, "Swift's auth");
  session->token = reply.Header("X-Auth-Token");
  session->storage_url = reply.Header("X-Storage-Url");
  if (session->token.empty() || session->storage_url.empty()) {
    return Status::Unavailable("Swift's auth answered without a token or a storage URL");
  }
  std::string expires = reply.Header("X-Auth-Token-Expires");
  std::time_t lifetime = expires.empty() ? kAssumedLifetime : std::atoll(expires.c_str());
  session->expires_at = std::time(nullptr) + lifetime;
  return Status::Ok();
}

Status SwiftAccount::AuthenticateV3(Session* session) const {
  HttpUrl identity;
  if (!ParseHttpUrl(options_.auth_address, &identity)) {
    return Status::Unavailable("swift_store_auth_address is not an http:// URL");
  }
  size_t colon = options_.user.find(':');
  json body = {{"auth",
                {{"identity",
                  {{"methods", {"password"}},
                   {"password",
                    {{"user",
                      {{"name", options_.user.substr(colon + 1)},
                       {"domain", {{"id", options_.user_domain_id}}},
                       {"password", options_.key}}}}}}},
                 {"scope",
                  {{"project",
                    {{"name", options_.user.substr(0, colon)},
                     {"domain", {{"id", options_.project_domain_id}}}}}}}}}};
  Reply reply = Send(identity, "POST", identity.path + "/auth/tokens",
                     {{"Content-Type", "application/json"}}, body.dump(), options_.timeout_seconds);
  if (reply.status != 201) return RefusalOrOutage(reply, "Keystone");
  session->token = reply.Header("X-Subject-Token");
  json document = json::parse(reply.body, nullptr, false);
  if (session->token.empty() || !document.is_object() || !document.contains("token")) {
    return Status::Unavailable("Keystone answered a token request without a token");
  }
  const json& token = document["token"];
  std::optional<int64_t> expires;
  if (token.contains("expires_at") && token["expires_at"].is_string()) {
    expires = ParseIsoTimeToEpochSeconds(token["expires_at"].get<std::string>());
  }
  session->expires_at = expires ? *expires : std::time(nullptr) + kAssumedLifetime;
  std::string wanted = InterfaceOf(options_.endpoint_type);
  if (token.contains("catalog") && token["catalog"].is_array()) {
    for (const json& service : token["catalog"]) {
      if (!service.is_object() || service.value("type", "") != options_.service_type) continue;
      if (!service.contains("endpoints") || !service["endpoints"].is_array()) continue;
      for (const json& endpoint : service["endpoints"]) {
        if (!endpoint.is_object() || endpoint.value("interface", "") != wanted) continue;
        if (!options_.region.empty() && endpoint.value("region_id", endpoint.value("region", "")) !=
                                            options_.region) {
          continue;
        }
        session->storage_url = endpoint.value("url", "");
        if (!session->storage_url.empty()) return Status::Ok();
      }
    }
  }
  return Status::Unavailable("Keystone's catalog has no " + wanted + " endpoint of type " +
                             options_.service_type +
                             (options_.region.empty() ? "" : " in region " + options_.region));
}

}  // namespace glance::swift
