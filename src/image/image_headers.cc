#include "glance/image/image_headers.h"

#include <map>

#include "glance/common/text.h"
#include "glance/common/time_format.h"

namespace glance {

namespace {

constexpr std::string_view kMetaPrefix = "X_IMAGE_META_";
constexpr std::string_view kPropertyPrefix = "property_";

// Fields a client may name in x-image-meta-<field> (Glance's
// IMAGE_META_HEADERS plus the accepted-but-inert ones).
const char* const kKnownFields[] = {
    "id", "name", "disk_format", "container_format", "size", "virtual_size", "checksum", "status",
    "is_public", "protected", "owner", "min_disk", "min_ram", "created_at", "updated_at",
    "deleted_at", "deleted", "location", "store", "copy_from", "uri"};

bool IsKnownField(const std::string& field) {
  for (const char* known : kKnownFields) {
    if (field == known) return true;
  }
  return false;
}

Status ParseInteger(const std::string& field, const std::string& value, int64_t max,
                    std::optional<std::optional<int64_t>>* out) {
  auto n = ParseInt64(value);
  if (!n) {
    return Status::InvalidArgument("Cannot convert image " + field + " '" + value +
                                   "' to an integer.");
  }
  if (*n < 0) return Status::InvalidArgument("Cannot be a negative value.");
  if (*n > max) {
    return Status::InvalidArgument("'" + field + "' value out of range, must not exceed " +
                                   std::to_string(max) + ".");
  }
  *out = std::optional<int64_t>(*n);
  return Status::Ok();
}

std::string BoolText(bool value) { return value ? "True" : "False"; }

}  // namespace

Status ParseImageMetaHeaders(const HeaderPairs& cgi_headers, ImageMetaHeaders* meta) {
  *meta = ImageMetaHeaders();
  std::map<std::string, std::string> fields;
  std::map<std::string, std::string> properties;
  for (const auto& [name, value] : cgi_headers) {
    if (name == "X_GLANCE_API_COPY_FROM") {
      meta->copy_from = value;
      continue;
    }
    if (name.compare(0, kMetaPrefix.size(), kMetaPrefix) != 0) continue;
    std::string rest = ToLower(name.substr(kMetaPrefix.size()));
    if (rest.compare(0, kPropertyPrefix.size(), kPropertyPrefix) == 0) {
      std::string key = rest.substr(kPropertyPrefix.size());
      if (key.empty()) return Status::InvalidArgument("Bad header: x-image-meta-property-");
      Status s = ValidateMetadataText(key, kMaxPropertyKeyChars, "Property name");
      if (!s.ok()) return s;
      s = ValidateMetadataText(value, kMaxPropertyValueBytes, "Value of property '" + key + "'");
      if (!s.ok()) return s;
      properties[key] = value;
      continue;
    }
    if (!IsKnownField(rest)) return Status::InvalidArgument("Bad header: x-image-meta-" + rest);
    fields[rest] = value;
  }

  auto get = [&](const char* field) -> const std::string* {
    auto it = fields.find(field);
    return it == fields.end() ? nullptr : &it->second;
  };
  ImageChanges& c = meta->changes;

  // Integers first, as Glance's header parsing does.
  for (const char* field : {"size", "virtual_size"}) {
    const std::string* v = get(field);
    if (!v) continue;
    auto& target = std::string(field) == "size" ? c.size : c.virtual_size;
    if (v->empty() || (std::string(field) == "virtual_size" && *v == "None")) {
      target = std::optional<int64_t>();
      continue;
    }
    Status s = ParseInteger(field, *v, INT64_MAX, &target);
    if (!s.ok()) return s;
  }
  for (const char* field : {"min_disk", "min_ram"}) {
    const std::string* v = get(field);
    if (!v || v->empty()) continue;
    std::optional<std::optional<int64_t>> n;
    Status s = ParseInteger(field, *v, kMaxDbInt, &n);
    if (!s.ok()) return s;
    (std::string(field) == "min_disk" ? c.min_disk : c.min_ram) = **n;
  }
  if (const std::string* v = get("is_public")) c.is_public = BoolFromString(*v);
  if (const std::string* v = get("protected")) c.is_protected = BoolFromString(*v);

  auto nullable_text = [&](const char* field, size_t max, const std::string& what,
                           std::optional<std::optional<std::string>>* target) -> Status {
    const std::string* v = get(field);
    if (!v) return Status::Ok();
    if (v->empty()) {
      *target = std::optional<std::string>();
      return Status::Ok();
    }
    Status s = ValidateMetadataText(*v, SIZE_MAX, what);
    if (!s.ok()) return s;
    if (Utf8Length(*v).value_or(0) > max) {
      return Status::InvalidArgument(what == "name" ? "Image name too long"
                                                    : "'" + what + "' is too long.");
    }
    *target = std::optional<std::string>(*v);
    return Status::Ok();
  };

  for (const char* field : {"created_at", "updated_at", "deleted_at"}) {
    const std::string* v = get(field);
    if (!v || v->empty()) continue;
    auto parsed = ParseIsoTimeToUtc(*v);
    if (!parsed) return Status::InvalidArgument(std::string("Invalid time format for ") + field + ".");
    if (std::string(field) == "created_at") c.created_at = parsed;
    if (std::string(field) == "updated_at") c.updated_at = parsed;
    // deleted_at and deleted are server-owned (spec §20.6): checked, not applied.
  }
  Status s = nullable_text("name", kMaxNameChars, "name", &c.name);
  if (!s.ok()) return s;
  if (const std::string* v = get("checksum"); v && !v->empty() && v->size() > kMaxChecksumChars) {
    return Status::InvalidArgument("Invalid checksum '" + *v + "': can't exceed 32 characters");
  }
  s = nullable_text("checksum", kMaxChecksumChars, "checksum", &c.checksum);
  if (!s.ok()) return s;
  s = nullable_text("disk_format", kMaxFormatChars * 4, "disk_format", &c.disk_format);
  if (!s.ok()) return s;
  s = nullable_text("container_format", kMaxFormatChars * 4, "container_format",
                    &c.container_format);
  if (!s.ok()) return s;
  s = nullable_text("owner", kMaxOwnerChars, "owner", &c.owner);
  if (!s.ok()) return s;

  if (const std::string* v = get("id")) meta->raw_id = *v;
  if (const std::string* v = get("status")) meta->raw_status = *v;
  if (const std::string* v = get("location"); v && !v->empty()) meta->location = *v;
  if (const std::string* v = get("copy_from"); v && !v->empty()) meta->copy_from = *v;
  if (const std::string* v = get("store"); v && !v->empty()) meta->store = *v;
  if (!properties.empty()) c.properties = std::move(properties);
  return Status::Ok();
}

HeaderPairs ImageToMetaHeaders(const Image& image) {
  HeaderPairs headers;
  auto add = [&](const char* field, std::string value) {
    headers.emplace_back(std::string("x-image-meta-") + field, std::move(value));
  };
  auto add_opt = [&](const char* field, const std::optional<std::string>& value) {
    if (value) add(field, *value);
  };
  add("id", image.id);
  add_opt("name", image.name);
  add_opt("disk_format", image.disk_format);
  add_opt("container_format", image.container_format);
  if (image.size) add("size", std::to_string(*image.size));
  if (image.virtual_size) add("virtual_size", std::to_string(*image.virtual_size));
  add_opt("checksum", image.checksum);
  add("status", image.status);
  add("is_public", BoolText(image.IsPublic()));
  add("protected", BoolText(image.is_protected));
  add_opt("owner", image.owner);
  add("min_disk", std::to_string(image.min_disk));
  add("min_ram", std::to_string(image.min_ram));
  add("created_at", image.created_at);
  add("updated_at", image.updated_at);
  add_opt("deleted_at", image.deleted_at);
  add("deleted", BoolText(image.deleted));
  for (const auto& [key, value] : image.properties) {
    headers.emplace_back("x-image-meta-property-" + key, value);
  }
  return headers;
}

}  // namespace glance
