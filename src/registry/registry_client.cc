#include "glance/registry/registry_client.h"

#include <httplib.h>

#include <chrono>
#include <memory>
#include <thread>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/image/image_json.h"

namespace glance {

using nlohmann::json;

namespace {

Status StatusFromReply(int status, const json& body) {
  std::string message = body.is_object() && body.contains("message") && body["message"].is_string()
                            ? body["message"].get<std::string>()
                            : "registry answered " + std::to_string(status);
  switch (status) {
    case 400: return Status::InvalidArgument(message);
    case 401: return Status::Unauthorized(message);
    case 403: return Status::Forbidden(message);
    case 404: return Status::NotFound(message);
    case 405: return Status::MethodNotAllowed(message);
    case 409: return Status::Conflict(message);
    case 412: return Status::PreconditionFailed(message);
    case 413: return Status::TooLarge(message);
    case 414: return Status::InvalidArgument("The request is too long for the image registry.");
    // 502 and 504 come from a proxy in front of the registries (an nginx
    // upstream): the registry could not be reached, as a refused connection.
    case 502:
    case 503:
    case 504: return Status::Unavailable(message);
    default: return Status::Internal("The image registry failed: " + message);
  }
}

Status ImageFrom(const json& body, Image* image) {
  if (!body.is_object() || !body.contains("image")) {
    return Status::Internal("The image registry sent a malformed image.");
  }
  return ImageFromRegistryJson(body["image"], image);
}

Status MemberFrom(const json& body, ImageMember* member) {
  if (!body.is_object() || !body.contains("member")) {
    return Status::Internal("The image registry sent a malformed member.");
  }
  return MemberFromRegistryJson(body["member"], member);
}

thread_local std::optional<RegistryClient::Clock::time_point> last_change;

}  // namespace

std::optional<RegistryClient::Clock::time_point> RegistryClient::TakeLastChange() {
  std::optional<Clock::time_point> taken = last_change;
  last_change.reset();
  return taken;
}

RegistryClientOptions RegistryClientOptions::FromConfig(const Config& config) {
  RegistryClientOptions o;
  o.hosts = config.GetList("DEFAULT", "registry_host", o.hosts);
  if (o.hosts.empty()) throw ConfigError("registry_host names no registry");
  o.port = static_cast<int>(config.GetInt("DEFAULT", "registry_port", o.port));
  o.unix_socket = config.GetString("DEFAULT", "registry_socket", "");
  o.timeout_seconds =
      static_cast<int>(config.GetInt("DEFAULT", "registry_client_timeout", o.timeout_seconds));
  o.connect_timeout_seconds = static_cast<int>(
      config.GetInt("DEFAULT", "registry_connect_timeout", o.connect_timeout_seconds));
  if (o.connect_timeout_seconds < 1) throw ConfigError("registry_connect_timeout must be at least 1");
  o.admin_role = ToLower(config.GetString("DEFAULT", "admin_role", o.admin_role));
  o.shared_secret = config.GetString("DEFAULT", "registry_shared_secret", "");
  return o;
}

RegistryClient::RegistryClient(RegistryClientOptions options) : options_(std::move(options)) {}

Status RegistryClient::Call(const RequestContext& context, const std::string& method,
                            const std::string& path, const std::optional<json>& body,
                            const std::vector<std::pair<std::string, std::string>>& extra_headers,
                            Reply* reply) {
  // One keep-alive connection per thread: no locking, and the registry's
  // connection stays warm between requests.
  thread_local std::unique_ptr<httplib::Client> client;
  thread_local std::string client_target;
  thread_local size_t host_index = 0;  // the registry this thread uses
  thread_local std::chrono::steady_clock::time_point last_used;
  // The registry closes a connection idle for 5 s; one it closed while the
  // network was cut never says so, and a write sent on it fails after it
  // may have left.  Kept connections are therefore not reused after 4 s.
  auto now = std::chrono::steady_clock::now();
  if (client && now - last_used > std::chrono::seconds(4)) client.reset();
  last_used = now;
  const size_t host_count = options_.unix_socket.empty() ? options_.hosts.size() : 1;
  std::string target;
  auto connect = [&] {
    const std::string& host = options_.hosts[host_index % options_.hosts.size()];
    target = options_.unix_socket.empty() ? host + ":" + std::to_string(options_.port)
                                          : options_.unix_socket;
    if (client && client_target == target) return;
    if (options_.unix_socket.empty()) {
      client = std::make_unique<httplib::Client>(host, options_.port);
    } else {
      client = std::make_unique<httplib::Client>(options_.unix_socket);
      client->set_address_family(AF_UNIX);
    }
    client->set_keep_alive(true);
    // Small requests on a kept connection: Nagle plus delayed ACKs would add
    // 40 ms to each.
    client->set_tcp_nodelay(true);
    client->set_connection_timeout(options_.connect_timeout_seconds, 0);
    client->set_read_timeout(options_.timeout_seconds, 0);
    client->set_write_timeout(options_.timeout_seconds, 0);
    client_target = target;
  };
  connect();

  httplib::Headers headers{{"Accept", "application/json"},
                           {"X-Identity-Status", "Confirmed"},
                           {"X-Openstack-Request-Id", context.request_id}};
  if (context.user) headers.emplace("X-User-Id", *context.user);
  if (context.tenant) headers.emplace("X-Tenant-Id", *context.tenant);
  std::string roles;
  for (const std::string& role : context.roles) roles += (roles.empty() ? "" : ",") + role;
  if (context.is_admin) roles += (roles.empty() ? "" : ",") + options_.admin_role;
  if (!roles.empty()) headers.emplace("X-Roles", roles);
  if (!options_.shared_secret.empty()) headers.emplace(kRegistrySecretHeader, options_.shared_secret);
  for (const auto& [name, value] : extra_headers) headers.emplace(name, value);

  std::string payload = body ? body->dump(-1, ' ', false, json::error_handler_t::replace) : "";
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return client->Get(path.c_str(), headers);
    if (method == "POST") return client->Post(path.c_str(), headers, payload, "application/json");
    if (method == "PUT") return client->Put(path.c_str(), headers, payload, "application/json");
    return client->Delete(path.c_str(), headers);
  };
  httplib::Result result = send();
  // A connection that could not be made never reached a registry (it is
  // down, its host is gone, or its listen backlog overflowed under a burst
  // of new connections): any method goes to the next registry, and after a
  // round of all of them is retried after a short pause.  A kept
  // connection the registry closed meanwhile fails later in the exchange:
  // only reads are retried then, as a write may have been applied.
  const int attempts = static_cast<int>(4 * host_count);
  for (int attempt = 0; attempt < attempts && !result; ++attempt) {
    if (result.error() == httplib::Error::Connection) {
      if (host_count > 1) {
        LogWarning("registry " + target + " unreachable, trying the next one");
        ++host_index;
        connect();
      }
      if ((attempt + 1) % host_count == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1 << (2 * (attempt / host_count))));
      }
    } else if (method != "GET" || attempt > 0) {
      break;
    }
    result = send();
  }
  if (method != "GET" && !(method == "POST" && path == "/images")) last_change = Clock::now();
  if (DebugLogging()) {
    Log(LogLevel::kDebug, context.request_id,
        "registry " + method + " " + path + " -> " +
            (result ? std::to_string(result->status) : httplib::to_string(result.error())));
  }
  if (!result) {
    LogWarning("registry " + target + " unreachable: " + httplib::to_string(result.error()));
    return Status::Unavailable("The image registry is unavailable; try again later.");
  }
  reply->status = result->status;
  if (!reply->parse && result->status < 400) {
    reply->raw = std::move(result->body);
    return Status::Ok();
  }
  reply->body = result->body.empty() ? json() : json::parse(result->body, nullptr, false);
  if (result->status >= 400) return StatusFromReply(result->status, reply->body);
  if (reply->body.is_discarded()) return Status::Internal("The image registry sent malformed JSON.");
  return Status::Ok();
}

Status RegistryClient::GetImage(const RequestContext& context, const std::string& id, Image* image) {
  Reply reply;
  Status s = Call(context, "GET", "/images/" + UrlEncode(id), std::nullopt, {}, &reply);
  return s.ok() ? ImageFrom(reply.body, image) : s;
}

Status RegistryClient::GetInteger(const RequestContext& context, const std::string& path,
                                  const std::string& key, const std::string& what,
                                  int64_t* value) {
  Reply reply;
  Status s = Call(context, "GET", path, std::nullopt, {}, &reply);
  if (!s.ok()) return s;
  if (!reply.body.is_object() || !reply.body.contains(key) ||
      !reply.body[key].is_number_integer()) {
    return Status::Unavailable("The registry answered the " + what + " in an unknown shape.");
  }
  *value = reply.body[key].get<int64_t>();
  return Status::Ok();
}

Status RegistryClient::MetadataEpoch(const RequestContext& context, int64_t* epoch) {
  return GetInteger(context, "/metadata-epoch", "epoch", "metadata epoch", epoch);
}

Status RegistryClient::ListImagesJson(const RequestContext& context, bool detail,
                                      const std::string& query_string, std::string* body) {
  Reply reply;
  reply.parse = false;
  std::string path = detail ? "/images/detail" : "/images";
  if (!query_string.empty()) path += "?" + query_string;
  Status s = Call(context, "GET", path, std::nullopt, {{"X-Glance-Hide-Locations", "true"}}, &reply);
  if (s.ok()) *body = std::move(reply.raw);
  return s;
}

// The registry's v2 list body is {"next_marker": <id or null>, "images":
// [...]}, next_marker first (src/registry/image_routes.cc): the array is
// passed on as text, never parsed here.
Status RegistryClient::ListImagesV2(const RequestContext& context, const std::string& query_string,
                                    std::string* images_array,
                                    std::optional<std::string>* next_marker) {
  Reply reply;
  reply.parse = false;
  std::string path = "/v2/images";
  if (!query_string.empty()) path += "?" + query_string;
  Status s = Call(context, "GET", path, std::nullopt, {}, &reply);
  if (!s.ok()) return s;
  const std::string prefix = "{\"next_marker\":";
  const std::string images_key = ",\"images\":";
  size_t key = reply.raw.find(images_key);
  if (reply.raw.rfind(prefix, 0) != 0 || key == std::string::npos || reply.raw.back() != '}') {
    return Status::Internal("The image registry sent a malformed list.");
  }
  json marker = json::parse(reply.raw.substr(prefix.size(), key - prefix.size()), nullptr, false);
  if (marker.is_string()) {
    *next_marker = marker.get<std::string>();
  } else if (marker.is_null()) {
    next_marker->reset();
  } else {
    return Status::Internal("The image registry sent a malformed list.");
  }
  size_t start = key + images_key.size();
  *images_array = reply.raw.substr(start, reply.raw.size() - 1 - start);
  return Status::Ok();
}

Status RegistryClient::CreateImage(const RequestContext& context, const ImageChanges& image,
                                   Image* created) {
  Reply reply;
  Status s = Call(context, "POST", "/images", json{{"image", ImageChangesToJson(image)}}, {}, &reply);
  return s.ok() ? ImageFrom(reply.body, created) : s;
}

Status RegistryClient::UpdateImage(const RequestContext& context, const std::string& id,
                                   const ImageChanges& changes, const ImageUpdate& how,
                                   Image* updated) {
  json body{{"image", ImageChangesToJson(changes)}};
  if (how.from_state) body["from_state"] = *how.from_state;
  if (how.storage_quota) body["storage_quota"] = *how.storage_quota;
  if (how.if_updated_at) body["if_updated_at"] = *how.if_updated_at;
  std::vector<std::pair<std::string, std::string>> headers;
  if (how.purge_properties) headers.emplace_back("X-Glance-Registry-Purge-Props", "true");
  Reply reply;
  Status s = Call(context, "PUT", "/images/" + UrlEncode(id), body, headers, &reply);
  return s.ok() ? ImageFrom(reply.body, updated) : s;
}

Status RegistryClient::DeleteImage(const RequestContext& context, const std::string& id,
                                   Image* deleted) {
  Reply reply;
  Status s = Call(context, "DELETE", "/images/" + UrlEncode(id), std::nullopt, {}, &reply);
  return s.ok() ? ImageFrom(reply.body, deleted) : s;
}

Status RegistryClient::StorageUsage(const RequestContext& context, int64_t* bytes) {
  return GetInteger(context, "/storage-usage", "storage_bytes", "storage usage", bytes);
}

Status RegistryClient::KillStaleUploads(const RequestContext& context, int64_t stale_seconds,
                                        std::vector<std::string>* killed) {
  Reply reply;
  Status s = Call(context, "POST", "/maintenance/stale-uploads",
                  json{{"stale_seconds", stale_seconds}}, {}, &reply);
  if (!s.ok()) return s;
  killed->clear();
  if (!reply.body.is_object() || !reply.body.contains("killed") || !reply.body["killed"].is_array()) {
    return Status::Unavailable("The registry answered the upload recovery in an unknown shape.");
  }
  for (const json& id : reply.body["killed"]) {
    if (id.is_string()) killed->push_back(id.get<std::string>());
  }
  return Status::Ok();
}

Status RegistryClient::ListMembers(const RequestContext& context, const std::string& id,
                                   std::vector<ImageMember>* members) {
  Reply reply;
  Status s = Call(context, "GET", "/images/" + UrlEncode(id) + "/members", std::nullopt, {}, &reply);
  if (!s.ok()) return s;
  members->clear();
  if (!reply.body.contains("members")) return Status::Internal("malformed member list");
  if (!reply.body["members"].is_array()) return Status::Internal("malformed member list");
  for (const json& m : reply.body["members"]) {
    ImageMember member;
    s = MemberFromRegistryJson(m, &member);
    if (!s.ok()) return s;
    member.image_id = id;
    members->push_back(std::move(member));
  }
  return Status::Ok();
}

Status RegistryClient::CreateMember(const RequestContext& context, const std::string& id,
                                    const std::string& member, ImageMember* created) {
  Reply reply;
  Status s = Call(context, "POST", "/images/" + UrlEncode(id) + "/members",
                  json{{"member_id", member}}, {}, &reply);
  return s.ok() ? MemberFrom(reply.body, created) : s;
}

Status RegistryClient::SetMemberStatus(const RequestContext& context, const std::string& id,
                                       const std::string& member, const std::string& status,
                                       ImageMember* updated) {
  Reply reply;
  Status s = Call(context, "PUT",
                  "/images/" + UrlEncode(id) + "/members/" + UrlEncode(member) + "/status",
                  json{{"status", status}}, {}, &reply);
  return s.ok() ? MemberFrom(reply.body, updated) : s;
}

Status RegistryClient::ReplaceMembers(const RequestContext& context, const std::string& id,
                                      const std::vector<MembershipEntry>& entries) {
  json list = json::array();
  for (const MembershipEntry& e : entries) {
    json item{{"member_id", e.member}};
    if (e.can_share) item["can_share"] = *e.can_share;
    list.push_back(std::move(item));
  }
  Reply reply;
  return Call(context, "PUT", "/images/" + UrlEncode(id) + "/members",
              json{{"memberships", list}}, {}, &reply);
}

Status RegistryClient::AddMember(const RequestContext& context, const std::string& id,
                                 const std::string& member, std::optional<bool> can_share) {
  json body = json::object();
  if (can_share) body["member"] = {{"can_share", *can_share}};
  Reply reply;
  return Call(context, "PUT", "/images/" + UrlEncode(id) + "/members/" + UrlEncode(member), body,
              {}, &reply);
}

Status RegistryClient::RemoveMember(const RequestContext& context, const std::string& id,
                                    const std::string& member) {
  Reply reply;
  return Call(context, "DELETE", "/images/" + UrlEncode(id) + "/members/" + UrlEncode(member),
              std::nullopt, {}, &reply);
}

Status RegistryClient::SharedImages(const RequestContext& context, const std::string& member,
                                    std::vector<ImageMember>* shared) {
  Reply reply;
  Status s = Call(context, "GET", "/shared-images/" + UrlEncode(member), std::nullopt, {}, &reply);
  if (!s.ok()) return s;
  shared->clear();
  if (!reply.body.contains("shared_images")) return Status::Internal("malformed shared image list");
  for (const json& m : reply.body["shared_images"]) {
    ImageMember item;
    item.image_id = m.value("image_id", "");
    item.member = member;
    item.can_share = m.value("can_share", false);
    shared->push_back(std::move(item));
  }
  return Status::Ok();
}

}  // namespace glance
