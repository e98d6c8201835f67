// v2 image routes (v2 contract §3, §4, §5, §9, §11): list, create, show,
// JSON-patch update, delete, schemas.
#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/image/image_v2.h"
#include "glance/image/list_query.h"
#include "glance/image/v2_request.h"
#include "image_read_cache.h"
#include "json_body.h"
#include "v2_handlers.h"

namespace glance::api::v2 {

namespace codec = ::glance::v2;
using nlohmann::json;

namespace {

// As v1's list (image_read_handlers.cc): what the registry's request line
// can carry.
constexpr size_t kMaxForwardedQueryBytes = 8000;

// A read-modify-write is retried this often when another change came first.
constexpr int kChangeAttempts = 5;

codec::V2Limits Limits(const ApiOptions& options) {
  auto bound = [](int64_t quota) {
    return quota < 0 ? SIZE_MAX : static_cast<size_t>(quota);
  };
  codec::V2Limits limits;
  limits.property_quota = bound(options.image_property_quota);
  limits.tag_quota = bound(options.image_tag_quota);
  return limits;
}

Status ReadOnlyRefusal() { return Status::Forbidden("Read-only access"); }

}  // namespace

Status GetLiveImage(const ApiServices& api, const ApiCall& call, Image* image) {
  const std::string& id = call.params[0];
  if (!IsUuidLike(id)) return Status::NotFound("No image found with ID " + id);
  Status s = ReadImage(api, call, ToLower(id), image);
  if (s.ok() && (image->deleted || image->status == "deleted")) {
    return Status::NotFound("No image found with ID " + id);
  }
  return s;
}

Status RequireOwner(const ApiCall& call, const Image& image) {
  if (call.context.read_only) return ReadOnlyRefusal();
  if (call.context.is_admin) return Status::Ok();
  if (call.context.owner && image.owner && *call.context.owner == *image.owner) return Status::Ok();
  return Status::Forbidden("You are not permitted to modify image " + image.id + ".");
}

void ReplyImage(ApiCall& call, int status, const Image& image) {
  SetJson(call.response, status, codec::ImageToJson(image));
}

Status ChangeImage(const ApiServices& api, const ApiCall& call, const Image& current,
                   const ImageChangeFn& change, Image* updated) {
  Image base = current;
  for (int attempt = 1;; ++attempt) {
    ImageChanges changes;
    bool purge = false;
    Status s = change(base, &changes, &purge);
    if (!s.ok()) return s;
    ImageUpdate how;
    how.purge_properties = purge;
    how.if_updated_at = base.updated_at;
    s = api.registry.UpdateImage(call.context, base.id, changes, how, updated);
    if (s.code() != Status::Code::kPreconditionFailed || attempt == kChangeAttempts) return s;
    s = GetLiveImage(api, call, &base);
    if (!s.ok()) return s;
  }
}

Status ListImages(const ApiServices& api, ApiCall& call) {
  const std::string& raw = call.request.query_string;
  if (raw.size() > kMaxForwardedQueryBytes) {
    return Status::InvalidArgument("The list query is too long: its filters may take at most " +
                                   std::to_string(kMaxForwardedQueryBytes) + " bytes.");
  }
  QueryParams params;
  Status s = ParseQueryString(raw, &params);
  if (!s.ok()) return s;
  // The registry parses and validates the query (one parser, one set of
  // messages) and answers the entries in the v2 shape, passed on as text.
  std::string images;
  std::optional<std::string> next_marker;
  s = api.read_cache ? api.read_cache->ListImagesV2(call.context, raw, &images, &next_marker)
                     : api.registry.ListImagesV2(call.context, raw, &images, &next_marker);
  if (!s.ok()) return s;
  std::string body = "{\"images\":" + images;
  body += ",\"first\":" + json(V2ListLink(params, std::nullopt)).dump();
  if (next_marker) body += ",\"next\":" + json(V2ListLink(params, next_marker)).dump();
  body += ",\"schema\":\"/v2/schemas/images\"}";
  call.response->status = 200;
  call.response->SetHeader("Content-Type", "application/json");
  call.response->body = std::move(body);
  return Status::Ok();
}

Status CreateImage(const ApiServices& api, ApiCall& call) {
  if (call.context.read_only) return ReadOnlyRefusal();
  if (call.request.preflight) return PreflightJsonBody(call.request);
  json body;
  Status s = ReadJsonBody(call.request, &body);
  if (!s.ok()) return s;
  ImageChanges changes;
  s = codec::ParseCreateBody(body, call.context, Limits(api.options), &changes);
  if (!s.ok()) return s;
  changes.status = "queued";
  if (!changes.visibility) changes.visibility = "shared";
  Image image;
  s = api.registry.CreateImage(call.context, changes, &image);
  if (s.code() == Status::Code::kConflict) {
    return Status::Conflict("An image with identifier " + changes.id.value_or("") +
                            " already exists");
  }
  if (!s.ok()) return s;
  ReplyImage(call, 201, image);
  call.response->SetHeader("Location", BaseUrl(api.options, call.request) + "/v2/images/" + image.id);
  return Status::Ok();
}

Status ShowImage(const ApiServices& api, ApiCall& call) {
  Image image;
  Status s = GetLiveImage(api, call, &image);
  if (!s.ok()) return s;
  ReplyImage(call, 200, image);
  return Status::Ok();
}

Status PatchImage(const ApiServices& api, ApiCall& call) {
  Status s = codec::CheckPatchMediaType(call.request.content_type);
  if (!s.ok()) return s;
  Image current;
  s = GetLiveImage(api, call, &current);
  if (!s.ok()) return s;
  s = RequireOwner(call, current);
  if (!s.ok()) return s;
  if (call.request.preflight) return PreflightJsonBody(call.request);
  json body;
  s = ReadJsonBody(call.request, &body);
  if (!s.ok()) return s;
  std::vector<codec::PatchOp> ops;
  s = codec::ParsePatch(body, &ops);
  if (!s.ok()) return s;
  if (ops.empty()) {
    ReplyImage(call, 200, current);
    return Status::Ok();
  }
  const codec::V2Limits limits = Limits(api.options);
  Image updated;
  s = ChangeImage(
      api, call, current,
      [&](const Image& base, ImageChanges* changes, bool* purge) {
        return codec::ApplyPatch(base, ops, call.context, limits, changes, purge);
      },
      &updated);
  if (!s.ok()) return s;
  ReplyImage(call, 200, updated);
  return Status::Ok();
}

Status DeleteImage(const ApiServices& api, ApiCall& call) {
  Image image;
  Status s = GetLiveImage(api, call, &image);
  if (!s.ok()) return s;
  s = RequireOwner(call, image);
  if (!s.ok()) return s;
  if (image.is_protected) {
    return Status::Forbidden("Image " + image.id + " is protected and cannot be deleted.");
  }
  if (image.status == "pending_delete") {
    return Status::NotFound("No image found with ID " + image.id);
  }
  s = RemoveImage(api, call, image);
  if (!s.ok()) return s;
  call.response->status = 204;
  return Status::Ok();
}

Status ShowSchema(const ApiServices&, ApiCall& call) {
  // Built and serialised once: python-glanceclient fetches one on every call.
  static const std::string image = codec::ImageSchema().dump();
  static const std::string images = codec::ImagesSchema().dump();
  static const std::string member = codec::MemberSchema().dump();
  static const std::string members = codec::MembersSchema().dump();
  const std::string& name = call.params[0];
  const std::string* schema = name == "image"     ? &image
                              : name == "images"  ? &images
                              : name == "member"  ? &member
                              : name == "members" ? &members
                                                  : nullptr;
  if (!schema) return Status::NotFound("The resource could not be found.");
  call.response->status = 200;
  call.response->SetHeader("Content-Type", "application/json");
  call.response->body = *schema;
  return Status::Ok();
}

}  // namespace glance::api::v2
