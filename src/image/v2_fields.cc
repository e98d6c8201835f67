#include "v2_fields.h"

#include <algorithm>

#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/image/image.h"
#include "glance/image/image_json.h"
#include "glance/image/image_v2.h"

namespace glance::v2::internal {

using nlohmann::json;

namespace {

template <size_t N>
bool OneOf(const std::string& value, const char* const (&set)[N]) {
  return std::any_of(std::begin(set), std::end(set),
                     [&value](const char* item) { return value == item; });
}

template <size_t N>
std::string Joined(const char* const (&set)[N]) {
  std::string out;
  for (const char* item : set) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
}

// Create refuses these; PATCH also "id".  upstream's create ignores
// os_hash_algo/os_hash_value silently; refusing them is §15.2's advice.
// "stores" is read-only in the schema, and PATCH refuses it too instead of
// making it a custom property as upstream would.
constexpr const char* kReadOnlyKeys[] = {
    "status", "checksum", "size",       "virtual_size", "created_at",   "updated_at",   "self",
    "file",   "schema",   "direct_url", "stores",       "os_hash_algo", "os_hash_value"};
constexpr const char* kReservedKeys[] = {"location", "locations", "deleted", "deleted_at"};
constexpr char kReservedNamespace[] = "os_glance";
constexpr const char* kCoreKeys[] = {"name",    "visibility", "protected",   "os_hidden",
                                     "min_ram", "min_disk",   "owner",       "disk_format",
                                     "container_format",      "tags"};
// Debian's schema-image.json: typed custom properties.
constexpr const char* kUuidExtras[] = {"kernel_id", "ramdisk_id"};
constexpr const char* kDeletionPolicies[] = {"on_image_deletion", "do_not_delete"};

Status Invalid(const std::string& message) { return Status::InvalidArgument(message); }

Status CheckText(const json& value, const std::string& key, size_t max_chars, bool nullable) {
  if (nullable && value.is_null()) return Status::Ok();
  if (!value.is_string()) {
    return Invalid("'" + key + "' must be a string" + (nullable ? " or null." : "."));
  }
  return ValidateMetadataText(value.get_ref<const std::string&>(), max_chars, "'" + key + "'");
}

template <size_t N>
Status CheckEnum(const json& value, const std::string& key, const char* const (&set)[N],
                 bool nullable) {
  if (nullable && value.is_null()) return Status::Ok();
  if (!value.is_string() || !OneOf(value.get_ref<const std::string&>(), set)) {
    return Invalid("Invalid value for '" + key + "': it must be one of " + Joined(set) +
                   (nullable ? " or null." : "."));
  }
  return Status::Ok();
}

Status CheckCount(const json& value, const std::string& key) {
  // JSON integers only: 5.0 and "5" are refused, as the schema's "integer".
  if (!value.is_number_integer()) return Invalid("'" + key + "' must be an integer.");
  if (value.is_number_unsigned() ? value.get<uint64_t>() > static_cast<uint64_t>(kMaxDbInt)
                                 : value.get<int64_t>() > kMaxDbInt) {
    return Invalid("'" + key + "' must not exceed " + std::to_string(kMaxDbInt) + ".");
  }
  if (value.get<int64_t>() < 0) return Invalid("'" + key + "' cannot be a negative value.");
  return Status::Ok();
}

Status CheckCustom(const std::string& key, const json& value) {
  if (key.empty()) return Invalid("A property name must not be empty.");
  auto chars = Utf8Length(key);
  if (chars && *chars > kMaxPropertyKeyChars) {
    return Invalid("Custom property should not be greater than 255 characters.");
  }
  Status s = ValidateMetadataText(key, kMaxPropertyKeyChars, "Property name");
  if (!s.ok()) return s;
  if (!value.is_string()) return Invalid("Value of property '" + key + "' must be a string.");
  return ValidateMetadataText(value.get_ref<const std::string&>(), kMaxPropertyValueBytes,
                              "Value of property '" + key + "'");
}

}  // namespace

bool IsReadOnly(const std::string& key, Request request) {
  return OneOf(key, kReadOnlyKeys) || (request == Request::kPatch && key == "id");
}

bool IsReserved(const std::string& key) {
  return OneOf(key, kReservedKeys) || key.rfind(kReservedNamespace, 0) == 0;
}

std::string Printable(const std::string& text) {
  if (Utf8Length(text)) return text;
  std::string out = text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  return out;
}

Status ReadOnlyError(const std::string& key) {
  return Status::Forbidden("Attribute '" + key + "' is read-only.");
}

Status ReservedError(const std::string& key) {
  return Status::Forbidden("Attribute '" + Printable(key) + "' is reserved.");
}

bool IsCoreAttribute(const std::string& key) { return OneOf(key, kCoreKeys); }

bool IsNullableExtra(const std::string& key) { return OneOf(key, kUuidExtras); }

Status CheckValue(const std::string& key, const json& value) {
  if (key == "id") {
    if (!value.is_string() || !IsUuidLike(value.get_ref<const std::string&>())) {
      return Invalid("'id' must be a UUID.");
    }
    return Status::Ok();
  }
  if (key == "name") return CheckText(value, key, kMaxNameChars, true);
  if (key == "owner") return CheckText(value, key, kMaxOwnerChars, true);
  if (key == "visibility") return CheckEnum(value, key, kVisibilities, false);
  if (key == "disk_format") return CheckEnum(value, key, kDiskFormats, true);
  if (key == "container_format") return CheckEnum(value, key, kContainerFormats, true);
  if (key == "protected" || key == "os_hidden") {
    return value.is_boolean() ? Status::Ok() : Invalid("'" + key + "' must be a boolean.");
  }
  if (key == "min_ram" || key == "min_disk") return CheckCount(value, key);
  if (key == "tags") {
    if (!value.is_array()) return Invalid("'tags' must be a list of strings.");
    for (const json& tag : value) {
      if (!tag.is_string()) return Invalid("'tags' must be a list of strings.");
      Status s = ValidateTag(tag.get_ref<const std::string&>());
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
  if (IsNullableExtra(key)) {
    if (value.is_null()) return Status::Ok();
    if (!value.is_string() || !IsUuidLike(value.get_ref<const std::string&>())) {
      return Invalid("'" + key + "' must be the id (UUID) of an image, or null.");
    }
    return Status::Ok();
  }
  if (key == "cinder_encryption_key_deletion_policy") {
    Status s = CheckEnum(value, key, kDeletionPolicies, false);
    if (!s.ok()) return s;
  }
  return CheckCustom(key, value);
}

std::optional<std::string> NullableString(const json& value) {
  if (value.is_null()) return std::nullopt;
  return value.get<std::string>();
}

std::vector<std::string> TagSet(const json& value) {
  std::vector<std::string> tags = value.get<std::vector<std::string>>();
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

Status CheckVisibilityAllowed(const std::string& visibility, const RequestContext& context) {
  // publicize_image is admin-only; community needs no special right in
  // 25.1's defaults (v2 contract §3, §10).
  if (visibility == "public" && !context.is_admin) {
    return Status::Forbidden("Not allowed to set visibility to public.");
  }
  return Status::Ok();
}

Status TagQuota(size_t count, size_t quota) {
  if (count <= quota) return Status::Ok();
  return Status::TooLarge(
      "The limit has been exceeded on the number of allowed image tags. Attempted: " +
      std::to_string(count) + ", Maximum: " + std::to_string(quota));
}

Status PropertyQuota(const std::map<std::string, std::string>& properties, size_t quota) {
  size_t count = std::count_if(properties.begin(), properties.end(), [](const auto& entry) {
    return entry.first.rfind(kReservedNamespace, 0) != 0;
  });
  if (count <= quota) return Status::Ok();
  return Status::TooLarge(
      "The limit has been exceeded on the number of allowed image properties. Attempted: " +
      std::to_string(count) + ", Maximum: " + std::to_string(quota));
}

}  // namespace glance::v2::internal
