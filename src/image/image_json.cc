#include "glance/image/image_json.h"

#include <algorithm>

#include "glance/common/text.h"
#include "glance/common/time_format.h"
#include "glance/common/uuid.h"

namespace glance {

using nlohmann::json;

namespace {

template <typename T>
json OrNull(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

// JSON strings may carry any bytes the client sent; nlohmann::json keeps them
// and only dump() checks UTF-8.  Every string we store is validated first.
Status TextField(const json& value, const char* field, size_t max_chars, bool nullable,
                 std::optional<std::optional<std::string>>* out) {
  if (value.is_null()) {
    if (!nullable) return Status::InvalidArgument(std::string("'") + field + "' must not be null.");
    *out = std::optional<std::string>();
    return Status::Ok();
  }
  if (!value.is_string()) {
    return Status::InvalidArgument(std::string("'") + field + "' must be a string.");
  }
  const std::string& text = value.get_ref<const std::string&>();
  Status valid = ValidateMetadataText(text, max_chars, std::string("'") + field + "'");
  if (!valid.ok()) return valid;
  *out = std::optional<std::string>(text);
  return Status::Ok();
}

Status IntegerField(const json& value, const char* field, int64_t max, bool nullable,
                    std::optional<std::optional<int64_t>>* out) {
  if (value.is_null()) {
    if (!nullable) return Status::InvalidArgument(std::string("'") + field + "' must not be null.");
    *out = std::optional<int64_t>();
    return Status::Ok();
  }
  if (!value.is_number_integer()) {
    return Status::InvalidArgument(std::string("'") + field + "' must be an integer.");
  }
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return Status::InvalidArgument(std::string("'") + field +
                                   "' value out of range, must not exceed " + std::to_string(max) +
                                   ".");
  }
  int64_t n = value.get<int64_t>();
  if (n < 0) return Status::InvalidArgument(std::string("'") + field + "' cannot be a negative value.");
  if (n > max) {
    return Status::InvalidArgument(std::string("'") + field +
                                   "' value out of range, must not exceed " + std::to_string(max) +
                                   ".");
  }
  *out = std::optional<int64_t>(n);
  return Status::Ok();
}

Status BoolField(const json& value, const char* field, std::optional<bool>* out) {
  if (!value.is_boolean()) {
    return Status::InvalidArgument(std::string("'") + field + "' must be a boolean.");
  }
  *out = value.get<bool>();
  return Status::Ok();
}

// A tag set: strings of 1-255 characters of metadata text; duplicates
// collapse and the set comes out sorted.
Status TagsField(const json& value, std::optional<std::vector<std::string>>* out) {
  if (!value.is_array()) return Status::InvalidArgument("'tags' must be a list of strings.");
  std::vector<std::string> tags;
  for (const json& tag : value) {
    if (!tag.is_string()) return Status::InvalidArgument("'tags' must be a list of strings.");
    Status s = ValidateTag(tag.get_ref<const std::string&>());
    if (!s.ok()) return s;
    tags.push_back(tag.get<std::string>());
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  *out = std::move(tags);
  return Status::Ok();
}

Status TimeField(const json& value, const char* field, std::optional<std::string>* out) {
  if (value.is_null()) return Status::Ok();
  std::optional<std::string> parsed;
  if (value.is_string()) parsed = ParseIsoTimeToUtc(value.get_ref<const std::string&>());
  if (!parsed) return Status::InvalidArgument(std::string("Invalid time format for ") + field + ".");
  *out = std::move(parsed);
  return Status::Ok();
}

// Deepest nesting a legitimate body has is 4 ({"memberships": [{...}]});
// anything far deeper is refused before parsing so that no recursion depends
// on client input.
constexpr int kMaxJsonDepth = 32;

bool NestingWithinBound(const std::string& text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

}  // namespace

json ImageToRegistryJson(const Image& image) {
  json location_data = json::array();
  for (const ImageLocation& location : image.locations) {
    json metadata = json::parse(location.metadata_json, nullptr, false);
    if (metadata.is_discarded()) metadata = json::object();
    location_data.push_back({{"id", location.id},
                             {"url", location.url},
                             {"metadata", metadata},
                             {"status", location.status}});
  }
  const ImageLocation* active = ActiveLocation(image);
  json location = active ? json(active->url) : json(nullptr);
  return {
      {"id", image.id},
      {"name", OrNull(image.name)},
      {"size", OrNull(image.size)},
      {"virtual_size", OrNull(image.virtual_size)},
      {"disk_format", OrNull(image.disk_format)},
      {"container_format", OrNull(image.container_format)},
      {"checksum", OrNull(image.checksum)},
      {"os_hash_algo", OrNull(image.os_hash_algo)},
      {"os_hash_value", OrNull(image.os_hash_value)},
      {"status", image.status},
      {"is_public", image.IsPublic()},
      {"visibility", image.visibility},
      {"os_hidden", image.os_hidden},
      {"tags", image.tags},
      {"protected", image.is_protected},
      {"owner", OrNull(image.owner)},
      {"min_disk", image.min_disk},
      {"min_ram", image.min_ram},
      {"created_at", image.created_at},
      {"updated_at", image.updated_at},
      {"deleted_at", OrNull(image.deleted_at)},
      {"deleted", image.deleted},
      {"properties", image.properties},
      {"location", location},
      {"location_data", location_data},
  };
}

namespace {

// Registry answers are read leniently (a field of the wrong type counts as
// absent) but never with json's throwing accessors: a malformed answer must
// end in a 500, not an exception.
std::optional<std::string> OptionalText(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<int64_t> OptionalInteger(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return it->get<int64_t>();
}

}  // namespace

Status ImageFromRegistryJson(const json& dict, Image* image) {
  if (!dict.is_object()) return Status::Internal("malformed image from the registry");
  auto text = [&](const char* key) { return OptionalText(dict, key); };
  auto number = [&](const char* key) { return OptionalInteger(dict, key); };
  auto flag = [&](const char* key) {
    auto it = dict.find(key);
    return it != dict.end() && it->is_boolean() && it->get<bool>();
  };
  *image = Image();
  image->id = text("id").value_or("");
  image->name = text("name");
  image->disk_format = text("disk_format");
  image->container_format = text("container_format");
  image->size = number("size");
  image->virtual_size = number("virtual_size");
  image->status = text("status").value_or("");
  image->visibility = text("visibility").value_or(flag("is_public") ? "public" : "shared");
  image->os_hidden = flag("os_hidden");
  image->checksum = text("checksum");
  image->os_hash_algo = text("os_hash_algo");
  image->os_hash_value = text("os_hash_value");
  image->min_disk = number("min_disk").value_or(0);
  image->min_ram = number("min_ram").value_or(0);
  image->owner = text("owner");
  image->is_protected = flag("protected");
  image->created_at = text("created_at").value_or("");
  image->updated_at = text("updated_at").value_or("");
  image->deleted_at = text("deleted_at");
  image->deleted = flag("deleted");
  if (auto it = dict.find("properties"); it != dict.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      if (value.is_string()) image->properties[key] = value.get<std::string>();
    }
  }
  if (auto it = dict.find("tags"); it != dict.end() && it->is_array()) {
    for (const json& tag : *it) {
      if (tag.is_string()) image->tags.push_back(tag.get<std::string>());
    }
  }
  if (auto it = dict.find("location_data"); it != dict.end() && it->is_array()) {
    for (const json& l : *it) {
      if (!l.is_object()) return Status::Internal("malformed image from the registry");
      ImageLocation location;
      location.id = OptionalInteger(l, "id").value_or(0);
      location.url = OptionalText(l, "url").value_or("");
      location.status = OptionalText(l, "status").value_or("active");
      if (auto m = l.find("metadata"); m != l.end()) {
        location.metadata_json = m->dump(-1, ' ', false, json::error_handler_t::replace);
      }
      image->locations.push_back(std::move(location));
    }
  }
  if (image->id.empty() || image->status.empty()) {
    return Status::Internal("malformed image from the registry");
  }
  return Status::Ok();
}

json ImageChangesToJson(const ImageChanges& c) {
  json out = json::object();
  auto put = [&](const char* key, const auto& field) {
    if (field) out[key] = OrNull(*field);
  };
  if (c.id) out["id"] = *c.id;
  put("name", c.name);
  put("disk_format", c.disk_format);
  put("container_format", c.container_format);
  put("size", c.size);
  put("virtual_size", c.virtual_size);
  if (c.status) out["status"] = *c.status;
  if (c.is_public) out["is_public"] = *c.is_public;
  if (c.visibility) out["visibility"] = *c.visibility;
  if (c.os_hidden) out["os_hidden"] = *c.os_hidden;
  if (c.tags) out["tags"] = *c.tags;
  put("checksum", c.checksum);
  put("os_hash_algo", c.os_hash_algo);
  put("os_hash_value", c.os_hash_value);
  if (c.min_disk) out["min_disk"] = *c.min_disk;
  if (c.min_ram) out["min_ram"] = *c.min_ram;
  put("owner", c.owner);
  if (c.is_protected) out["protected"] = *c.is_protected;
  // The database form "YYYY-MM-DD HH:MM:SS.ffffff" is ISO 8601 too.
  if (c.created_at) out["created_at"] = *c.created_at;
  if (c.updated_at) out["updated_at"] = *c.updated_at;
  if (c.properties) out["properties"] = *c.properties;
  put("location", c.location);
  return out;
}

Status ParseJsonBody(const std::string& text, json* out) {
  if (!NestingWithinBound(text)) {
    return Status::InvalidArgument("Malformed JSON in request body: nested too deeply.");
  }
  *out = json::parse(text, nullptr, false);
  if (out->is_discarded()) return Status::InvalidArgument("Malformed JSON in request body.");
  return Status::Ok();
}

Status ParseImageChanges(const json& image, ImageChanges* changes) {
  if (!image.is_object()) {
    return Status::InvalidArgument("Invalid request body: 'image' must be an object.");
  }
  *changes = ImageChanges();
  Status s;
  for (const auto& [key, value] : image.items()) {
    if (key == "id") {
      if (!value.is_string() || !IsUuidLike(value.get_ref<const std::string&>())) {
        return Status::InvalidArgument("Invalid image id format");
      }
      changes->id = ToLower(value.get<std::string>());
    } else if (key == "name") {
      s = TextField(value, "name", kMaxNameChars, true, &changes->name);
    } else if (key == "disk_format") {
      s = TextField(value, "disk_format", kMaxFormatChars, true, &changes->disk_format);
    } else if (key == "container_format") {
      s = TextField(value, "container_format", kMaxFormatChars, true, &changes->container_format);
    } else if (key == "checksum") {
      s = TextField(value, "checksum", kMaxChecksumChars, true, &changes->checksum);
    } else if (key == "os_hash_algo") {
      s = TextField(value, "os_hash_algo", 64, true, &changes->os_hash_algo);
    } else if (key == "os_hash_value") {
      s = TextField(value, "os_hash_value", 128, true, &changes->os_hash_value);
    } else if (key == "owner") {
      s = TextField(value, "owner", kMaxOwnerChars, true, &changes->owner);
    } else if (key == "location") {
      s = TextField(value, "location", 8192, true, &changes->location);
    } else if (key == "size") {
      s = IntegerField(value, "size", INT64_MAX, true, &changes->size);
    } else if (key == "virtual_size") {
      s = IntegerField(value, "virtual_size", INT64_MAX, true, &changes->virtual_size);
    } else if (key == "min_disk" || key == "min_ram") {
      std::optional<std::optional<int64_t>> n;
      s = IntegerField(value, key.c_str(), kMaxDbInt, false, &n);
      if (s.ok()) (key == "min_disk" ? changes->min_disk : changes->min_ram) = **n;
    } else if (key == "status") {
      if (!value.is_string() || !IsValidImageStatus(value.get<std::string>())) {
        std::string shown = value.is_string() ? value.get<std::string>() : value.dump(-1, ' ', false, json::error_handler_t::replace);
        return Status::InvalidArgument("Invalid image status '" + shown + "' for image.");
      }
      changes->status = value.get<std::string>();
    } else if (key == "is_public") {
      s = BoolField(value, "is_public", &changes->is_public);
    } else if (key == "visibility") {
      if (!value.is_string() || !IsValidVisibility(value.get_ref<const std::string&>())) {
        return Status::InvalidArgument("Invalid visibility value");
      }
      changes->visibility = value.get<std::string>();
    } else if (key == "os_hidden") {
      s = BoolField(value, "os_hidden", &changes->os_hidden);
    } else if (key == "tags") {
      s = TagsField(value, &changes->tags);
    } else if (key == "protected") {
      s = BoolField(value, "protected", &changes->is_protected);
    } else if (key == "created_at") {
      s = TimeField(value, "created_at", &changes->created_at);
    } else if (key == "updated_at") {
      s = TimeField(value, "updated_at", &changes->updated_at);
    } else if (key == "properties") {
      if (!value.is_object()) return Status::InvalidArgument("'properties' must be an object.");
      std::map<std::string, std::string> properties;
      for (const auto& [name, v] : value.items()) {
        Status k = ValidateMetadataText(name, kMaxPropertyKeyChars, "Property name");
        if (!k.ok()) return k;
        if (name.empty()) return Status::InvalidArgument("Property name must not be empty.");
        if (!v.is_string()) {
          return Status::InvalidArgument("Value of property '" + name + "' must be a string.");
        }
        Status t = ValidateMetadataText(v.get_ref<const std::string&>(), kMaxPropertyValueBytes,
                                        "Value of property '" + name + "'");
        if (!t.ok()) return t;
        properties[name] = v.get<std::string>();
      }
      changes->properties = std::move(properties);
    }
    // deleted, deleted_at, location_data and unknown keys are server-owned or
    // meaningless here: ignored, as upstream ignores unknown columns.
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace glance
