// POST /v2/images: the create body (v2 contract §3).  The PATCH half of
// v2_request.h is in json_patch.cc.
#include "glance/image/v2_request.h"

#include <map>

#include "glance/common/text.h"
#include "v2_fields.h"

namespace glance::v2 {

using nlohmann::json;
using namespace internal;

namespace {

// Moves one schema-valid core key into the changes.
void SetCore(const std::string& key, const json& value, ImageChanges* c) {
  if (key == "name") {
    c->name = NullableString(value);
  } else if (key == "owner") {
    c->owner = NullableString(value);
  } else if (key == "disk_format") {
    c->disk_format = NullableString(value);
  } else if (key == "container_format") {
    c->container_format = NullableString(value);
  } else if (key == "visibility") {
    c->visibility = value.get<std::string>();
  } else if (key == "protected") {
    c->is_protected = value.get<bool>();
  } else if (key == "os_hidden") {
    c->os_hidden = value.get<bool>();
  } else if (key == "min_ram") {
    c->min_ram = value.get<int64_t>();
  } else if (key == "min_disk") {
    c->min_disk = value.get<int64_t>();
  } else if (key == "tags") {
    c->tags = TagSet(value);
  }
}

Status CheckOwnerAllowed(const ImageChanges& c, const RequestContext& context) {
  if (!c.owner || context.is_admin) return Status::Ok();
  // A non-admin may name only the owner the handler would pick anyway
  // (upstream's check_admin_or_same_owner); anything else is someone
  // else's image.
  const std::optional<std::string>& owner = *c.owner;
  if (!owner) return Status::Forbidden("You are not permitted to create images without an owner.");
  if (context.owner && *owner == *context.owner) return Status::Ok();
  return Status::Forbidden("You are not permitted to create images owned by '" + *owner + "'.");
}

}  // namespace

Status ParseCreateBody(const json& body, const RequestContext& context, const V2Limits& limits,
                       ImageChanges* changes) {
  // Upstream answers 500 for an array; a body that is not an object is the
  // client's mistake (§15.1).
  if (!body.is_object()) {
    return Status::InvalidArgument("The request body must be a JSON object.");
  }
  // Forbidden keys before any value is looked at, so that a server-owned key
  // is a 403 whatever its value (as PATCH orders its checks).
  for (const auto& [key, value] : body.items()) {
    if (IsReadOnly(key, Request::kCreate)) return ReadOnlyError(key);
  }
  for (const auto& [key, value] : body.items()) {
    if (IsReserved(key)) return ReservedError(key);
  }
  for (const auto& [key, value] : body.items()) {
    Status s = CheckValue(key, value);
    if (!s.ok()) return s;
  }

  ImageChanges c;
  std::map<std::string, std::string> properties;
  for (const auto& [key, value] : body.items()) {
    if (key == "id") {
      c.id = ToLower(value.get<std::string>());
    } else if (IsCoreAttribute(key)) {
      SetCore(key, value, &c);
    } else if (!value.is_null()) {  // a null kernel_id/ramdisk_id sets nothing
      properties[key] = value.get<std::string>();
    }
  }

  if (c.visibility) {
    Status s = CheckVisibilityAllowed(*c.visibility, context);
    if (!s.ok()) return s;
  }
  Status s = CheckOwnerAllowed(c, context);
  if (!s.ok()) return s;
  s = PropertyQuota(properties, limits.property_quota);
  if (!s.ok()) return s;
  if (c.tags) {
    s = TagQuota(c.tags->size(), limits.tag_quota);
    if (!s.ok()) return s;
  }
  if (!properties.empty()) c.properties = std::move(properties);
  *changes = std::move(c);
  return Status::Ok();
}

}  // namespace glance::v2
