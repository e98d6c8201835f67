#include "identity_client.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/time_format.h"

namespace glance::auth {

using nlohmann::json;

namespace {

// "http://h:5000/identity/v3" -> origin "http://h:5000", path "/identity/v3".
void SplitUrl(const std::string& url, std::string* origin, std::string* path) {
  size_t scheme_end = url.find("://");
  size_t path_start = scheme_end == std::string::npos ? std::string::npos : url.find('/', scheme_end + 3);
  *origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  *path = path_start == std::string::npos ? "" : url.substr(path_start);
}

std::unique_ptr<httplib::Client> NewClient(const KeystoneOptions& options, std::string* path) {
  std::string origin;
  SplitUrl(options.IdentityUrl(), &origin, path);
  auto client = std::make_unique<httplib::Client>(origin);
  client->set_connection_timeout(options.http_connect_timeout, 0);
  client->set_read_timeout(options.http_request_timeout, 0);
  client->set_write_timeout(options.http_request_timeout, 0);
  client->set_keep_alive(false);
  client->set_follow_location(false);
  if (origin.rfind("https://", 0) == 0) {
    client->enable_server_certificate_verification(!options.insecure);
    if (!options.cafile.empty()) client->set_ca_cert_path(options.cafile);
  }
  return client;
}

// Sends one request, again (up to http_request_max_retries times, with a
// short pause) only when the connection was refused or reset: a time-out
// is not retried, so a Keystone that went silent costs one time-out.
template <typename Send>
httplib::Result WithRetries(const KeystoneOptions& options, Send send) {
  httplib::Result result = send();
  for (int attempt = 0; attempt < options.http_request_max_retries && !result; ++attempt) {
    if (result.error() != httplib::Error::Connection) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
    result = send();
  }
  return result;
}

std::string Describe(const httplib::Result& result) {
  if (!result) return "no answer (" + httplib::to_string(result.error()) + ")";
  return "HTTP " + std::to_string(result->status);
}

json DomainOf(const std::string& id, const std::string& name) {
  if (!id.empty()) return {{"id", id}};
  if (!name.empty()) return {{"name", name}};
  return {{"id", "default"}};
}

}  // namespace

bool ParseTokenDocument(const std::string& body, TokenIdentity* identity) {
  json document = json::parse(body, nullptr, false);
  if (!document.is_object() || !document.contains("token") || !document["token"].is_object()) {
    return false;
  }
  const json& token = document["token"];
  const json* user = token.contains("user") ? &token["user"] : nullptr;
  if (!user || !user->is_object() || !user->contains("id") || !(*user)["id"].is_string()) return false;
  if (!token.contains("expires_at") || !token["expires_at"].is_string()) return false;
  auto expires = ParseIsoTimeToEpochSeconds(token["expires_at"].get<std::string>());
  if (!expires) return false;
  *identity = TokenIdentity();
  identity->valid = true;
  identity->user_id = (*user)["id"].get<std::string>();
  identity->expires_at = static_cast<std::time_t>(*expires);
  if (token.contains("project") && token["project"].is_object() && token["project"].contains("id") &&
      token["project"]["id"].is_string()) {
    identity->project_id = token["project"]["id"].get<std::string>();
  }
  if (token.contains("roles")) {
    if (!token["roles"].is_array()) return false;
    for (const json& role : token["roles"]) {
      if (!role.is_object() || !role.contains("name") || !role["name"].is_string()) return false;
      identity->roles.push_back(ToLower(role["name"].get<std::string>()));
    }
  }
  return true;
}

Status IdentityClient::IssueServiceToken(IssuedToken* issued) const {
  json user = {{"name", options_.username},
               {"password", options_.password},
               {"domain", DomainOf(options_.user_domain_id, options_.user_domain_name)}};
  json request = {
      {"auth",
       {{"identity", {{"methods", {"password"}}, {"password", {{"user", user}}}}},
        {"scope",
         {{"project",
           {{"name", options_.project_name},
            {"domain", DomainOf(options_.project_domain_id, options_.project_domain_name)}}}}}}}};
  std::string path;
  auto client = NewClient(options_, &path);
  std::string body = request.dump();
  auto result = WithRetries(options_, [&] {
    return client->Post(path + "/auth/tokens?nocatalog", body, "application/json");
  });
  if (!result || result->status >= 500) {
    return Status::Unavailable("Keystone cannot issue the service token: " + Describe(result));
  }
  if (result->status != 201) {
    return Status::Unauthorized("Keystone refused the service credentials of " + options_.username +
                                ": " + Describe(result));
  }
  TokenIdentity identity;
  issued->token = result->get_header_value("X-Subject-Token");
  if (issued->token.empty() || !ParseTokenDocument(result->body, &identity)) {
    return Status::Unavailable("Keystone issued a service token without a usable answer");
  }
  issued->expires_at = identity.expires_at;
  LogDebug("keystone: service token issued for " + options_.username + ", expires at " +
           std::to_string(issued->expires_at));
  return Status::Ok();
}

Verdict IdentityClient::Validate(const std::string& service_token, const std::string& token,
                                 TokenIdentity* identity, std::string* detail) const {
  std::string path;
  auto client = NewClient(options_, &path);
  httplib::Headers headers = {{"X-Auth-Token", service_token}, {"X-Subject-Token", token}};
  auto result = WithRetries(options_, [&] { return client->Get(path + "/auth/tokens?nocatalog", headers); });
  *detail = Describe(result);
  if (!result) return Verdict::kUnavailable;
  switch (result->status) {
    case 200:
      if (!ParseTokenDocument(result->body, identity)) {
        *detail = "a token document without user, expiry or roles";
        return Verdict::kUnavailable;
      }
      return Verdict::kValid;
    case 404:
      return Verdict::kInvalid;
    case 401:
      return Verdict::kServiceRefused;
    case 403:
      return Verdict::kForbidden;
    default:
      return Verdict::kUnavailable;
  }
}

}  // namespace glance::auth
