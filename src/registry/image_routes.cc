// Registry image routes: list, detail, show, create, update, delete.
#include "glance/image/image_json.h"
#include "registry_handlers.h"

namespace glance::registry {

using nlohmann::json;

namespace {

Status ListImages(const Services& services, const Call& call, bool detail, Reply* reply) {
  QueryParams params;
  Status s = ParseQueryString(call.query_string, &params);
  if (!s.ok()) return s;
  ListQuery query;
  s = ParseListQuery(params, call.context, services.limits, &query);
  if (!s.ok()) return s;
  // The API asks for its own v1 shape, so that it can pass the body on.
  ListShape shape = !detail ? ListShape::kIndex
                    : call.header("X-Glance-Hide-Locations") == std::optional<std::string>("true")
                        ? ListShape::kDetailWithoutLocations
                        : ListShape::kDetail;
  std::string array;
  s = services.repository->ListJson(call.context, query, shape, &array, nullptr);
  if (!s.ok()) return s;
  reply->raw_json = "{\"images\":" + array + "}";
  return Status::Ok();
}

// The v2 list: entries in the v2 API's own shape, which it passes on, and
// the marker of the next page when this one is full.  next_marker comes
// first so that the API finds it without parsing the entries (see
// RegistryClient::ListImagesV2).
Status ListImagesV2(const Services& services, const Call& call, Reply* reply) {
  QueryParams params;
  Status s = ParseQueryString(call.query_string, &params);
  if (!s.ok()) return s;
  ListQuery query;
  s = ParseV2ListQuery(params, call.context, services.limits, &query);
  if (!s.ok()) return s;
  std::string array;
  ListTail tail;
  s = services.repository->ListJson(call.context, query, ListShape::kV2, &array, &tail);
  if (!s.ok()) return s;
  json next = query.limit > 0 && tail.count == query.limit ? json(tail.last_id) : json(nullptr);
  reply->raw_json = "{\"next_marker\":" + next.dump() + ",\"images\":" + array + "}";
  return Status::Ok();
}

// Reads {"image": {...}} (plus from_state and storage_quota for updates).
Status ParseImageBody(const Call& call, ImageChanges* changes,
                      std::optional<std::string>* from_state,
                      std::optional<int64_t>* storage_quota = nullptr,
                      std::optional<std::string>* if_updated_at = nullptr) {
  json body;
  Status s = ParseJsonBody(call.body, &body);
  if (!s.ok()) return s;
  if (!body.is_object() || !body.contains("image")) {
    return Status::InvalidArgument("Invalid request body: expected {\"image\": {...}}.");
  }
  s = ParseImageChanges(body["image"], changes);
  if (!s.ok()) return s;
  if (from_state && body.contains("from_state") && !body["from_state"].is_null()) {
    if (!body["from_state"].is_string()) {
      return Status::InvalidArgument("'from_state' must be a string or null.");
    }
    *from_state = body["from_state"].get<std::string>();
  }
  if (storage_quota && body.contains("storage_quota") && !body["storage_quota"].is_null()) {
    const json& quota = body["storage_quota"];
    if (!quota.is_number_integer() || quota.get<int64_t>() < 0) {
      return Status::InvalidArgument("'storage_quota' must be a non-negative integer or null.");
    }
    *storage_quota = quota.get<int64_t>();
  }
  if (if_updated_at && body.contains("if_updated_at") && !body["if_updated_at"].is_null()) {
    if (!body["if_updated_at"].is_string()) {
      return Status::InvalidArgument("'if_updated_at' must be a string or null.");
    }
    *if_updated_at = body["if_updated_at"].get<std::string>();
  }
  return Status::Ok();
}

Status Show(const Services& services, const Call& call, Reply* reply) {
  Image image;
  Status s = services.repository->Get(call.context, call.params[0], &image);
  if (!s.ok()) return s;
  reply->json = json{{"image", ImageToRegistryJson(image)}};
  return Status::Ok();
}

Status Create(const Services& services, const Call& call, Reply* reply) {
  ImageChanges changes;
  Status s = ParseImageBody(call, &changes, nullptr);
  if (!s.ok()) return s;
  // The owner is the caller's, unless an admin names one (spec §16).
  if (!call.context.is_admin || !changes.owner) changes.owner = call.context.owner;
  Image image;
  s = services.repository->Create(call.context, changes, &image);
  if (!s.ok()) return s;
  reply->json = json{{"image", ImageToRegistryJson(image)}};
  return Status::Ok();
}

Status Update(const Services& services, const Call& call, Reply* reply) {
  ImageChanges changes;
  std::optional<std::string> from_state;
  std::optional<int64_t> storage_quota;
  std::optional<std::string> if_updated_at;
  Status s = ParseImageBody(call, &changes, &from_state, &storage_quota, &if_updated_at);
  if (!s.ok()) return s;
  // The registry purges only on the exact lower-case "true" (spec §16).
  bool purge = call.header("X-Glance-Registry-Purge-Props") == std::optional<std::string>("true");
  Image image;
  s = services.repository->Update(call.context, call.params[0], changes, purge, from_state,
                                  storage_quota, if_updated_at, &image);
  if (!s.ok()) return s;
  reply->json = json{{"image", ImageToRegistryJson(image)}};
  return Status::Ok();
}

Status Delete(const Services& services, const Call& call, Reply* reply) {
  Image image;
  Status s = services.repository->Delete(call.context, call.params[0], &image);
  if (!s.ok()) return s;
  reply->json = json{{"image", ImageToRegistryJson(image)}};
  return Status::Ok();
}

// What the caller's tenant holds against user_storage_quota.
Status Usage(const Services& services, const Call& call, Reply* reply) {
  int64_t bytes = 0;
  Status s = services.repository->StorageUsage(call.context, &bytes);
  if (!s.ok()) return s;
  reply->json = json{{"owner", call.context.owner ? json(*call.context.owner) : json(nullptr)},
                     {"storage_bytes", bytes}};
  return Status::Ok();
}

// {"stale_seconds": N} -> {"killed": [ids]}: the api's recovery of
// interrupted uploads (admin only).
Status KillStaleUploads(const Services& services, const Call& call, Reply* reply) {
  json body;
  Status s = ParseJsonBody(call.body, &body);
  if (!s.ok()) return s;
  if (!body.is_object() || !body.contains("stale_seconds") ||
      !body["stale_seconds"].is_number_integer() || body["stale_seconds"].get<int64_t>() < 1) {
    return Status::InvalidArgument("Expected {\"stale_seconds\": <positive integer>}.");
  }
  std::vector<std::string> ids;
  s = services.repository->KillStaleUploads(call.context, body["stale_seconds"].get<int64_t>(), &ids);
  if (!s.ok()) return s;
  reply->json = json{{"killed", ids}};
  return Status::Ok();
}

// {"epoch": N}: the api's image cache asks whether anything changed since
// it last looked (src/api/image_read_cache.h).
Status Epoch(const Services& services, const Call&, Reply* reply) {
  int64_t epoch = 0;
  Status s = services.repository->MetadataEpoch(&epoch);
  if (!s.ok()) return s;
  reply->json = json{{"epoch", epoch}};
  return Status::Ok();
}

}  // namespace

void AddImageRoutes(Router<Handler>* router) {
  auto index = [](const Services& sv, const Call& c, Reply* r) { return ListImages(sv, c, false, r); };
  auto detail = [](const Services& sv, const Call& c, Reply* r) { return ListImages(sv, c, true, r); };
  router->Add("GET", "/", index);
  router->Add("GET", "/images", index);
  router->Add("POST", "/images", Create);
  router->Add("GET", "/images/detail", detail);
  router->Add("GET", "/v2/images", ListImagesV2);
  router->Add("GET", "/images/{id}", Show);
  router->Add("PUT", "/images/{id}", Update);
  router->Add("DELETE", "/images/{id}", Delete);
  router->Add("GET", "/storage-usage", Usage);
  router->Add("POST", "/maintenance/stale-uploads", KillStaleUploads);
  router->Add("GET", "/metadata-epoch", Epoch);
}

}  // namespace glance::registry
