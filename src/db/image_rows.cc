// Image rows: the select lists over alias i and ParseImage, which reads them.
#include "image_rows.h"

#include <nlohmann/json.hpp>

namespace glance::db {

using sql::Row;
using sql::Value;

namespace {

std::string BuildImageColumns(bool with_children) {
  std::string columns =
      "i.id, i.name, i.disk_format, i.container_format, CAST(i.size AS text), "
      "CAST(i.virtual_size AS text), i.status, i.visibility, i.checksum, "
      "i.os_hash_algo, i.os_hash_value, CAST(i.min_disk AS text), CAST(i.min_ram AS text), "
      "i.owner, CAST(i.protected AS text), " +
      DisplayTime("i.created_at") + ", " + DisplayTime("i.updated_at") + ", " +
      DisplayTime("i.deleted_at") + ", CAST(i.deleted AS text), ";
  // A row just inserted without properties or locations has none: the
  // subqueries would only cost planning and execution on every create.
  const std::string hidden = ", CAST(i.os_hidden AS text)";
  if (!with_children) return columns + "'{}', '[]'" + hidden + ", '[]'";
  return columns +
         "(SELECT CAST(coalesce(json_object_agg(p.name, p.value), '{}') AS text)"
         "   FROM image_properties p WHERE p.image_id = i.id AND NOT p.deleted), "
         "(SELECT CAST(coalesce(json_agg(json_build_object('id', l.id, 'url', l.value, "
         "   'metadata', l.meta_data, 'status', l.status) ORDER BY l.id), '[]') AS text)"
         "   FROM image_locations l WHERE l.image_id = i.id AND NOT l.deleted)" +
         hidden + ", " + TagsArray("i") + "::text";
}

std::optional<int64_t> ToInt(const Value& v) {
  if (!v) return std::nullopt;
  return std::stoll(*v);
}

}  // namespace

std::string TagsArray(const std::string& alias) {
  return "(SELECT coalesce(json_agg(t.value ORDER BY t.value), '[]') FROM image_tags t "
         "WHERE t.image_id = " + alias + ".id AND NOT t.deleted)";
}

std::string DisplayTime(const std::string& column) {
  return "to_char(" + column + ", 'YYYY-MM-DD\"T\"HH24:MI:SS.US')";
}

// Built once: the select list is part of statements run on every request.
const std::string& ImageColumns(bool with_children) {
  static const std::string with = BuildImageColumns(true), without = BuildImageColumns(false);
  return with_children ? with : without;
}

namespace {

// A timestamp as v2 shows it: UTC to the second, with a Z (contract §2).
std::string V2Time(const std::string& column) {
  return "to_char(" + column + ", 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

// The v2 image object (contract §2), the same keys as glance::v2::ImageToJson:
// the custom properties at the top level (a NULL value, possible through v1,
// shows as ""; os_glance_stage_host never shows) beside the core keys, which
// win over a property of the same name.  Built as JSON text: a jsonb merge
// of the two objects cost PostgreSQL twice the CPU of the whole v1 entry.
std::string V2JsonColumn() {
  static const char* const kCoreKeys[] = {
      "id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
      "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk",
      "disk_format", "container_format", "created_at", "updated_at", "tags", "self", "file",
      "schema"};
  std::string hidden = "'os_glance_stage_host'";
  for (const char* key : kCoreKeys) hidden += std::string(", '") + key + "'";
  return "'{' || coalesce((SELECT string_agg(CAST(to_json(p.name) AS text) || ':' || "
         "CAST(to_json(coalesce(p.value, '')) AS text), ',') || ',' "
         "FROM image_properties p WHERE p.image_id = i.id AND NOT p.deleted "
         "AND p.name NOT IN (" + hidden + ")), '') || substr(CAST(json_build_object("
         "'id', i.id, 'name', i.name, 'status', i.status, 'visibility', i.visibility, "
         "'protected', i.protected, 'os_hidden', i.os_hidden, 'checksum', i.checksum, "
         "'os_hash_algo', i.os_hash_algo, 'os_hash_value', i.os_hash_value, 'owner', i.owner, "
         "'size', i.size, 'virtual_size', i.virtual_size, 'min_ram', i.min_ram, "
         "'min_disk', i.min_disk, 'disk_format', i.disk_format, "
         "'container_format', i.container_format, 'created_at', " + V2Time("i.created_at") +
         ", 'updated_at', " + V2Time("i.updated_at") + ", 'tags', " + TagsArray("i") +
         ", 'self', '/v2/images/' || i.id, 'file', '/v2/images/' || i.id || '/file', "
         "'schema', '/v2/schemas/image') AS text), 2)";
}

}  // namespace

std::string JsonColumn(ListShape shape) {
  if (shape == ListShape::kV2) return V2JsonColumn();
  std::string index =
      "'id', i.id, 'name', i.name, 'size', i.size, 'disk_format', i.disk_format, "
      "'container_format', i.container_format, 'checksum', i.checksum";
  if (shape == ListShape::kIndex) return "json_build_object(" + index + ")";
  std::string detail =
      index +
      ", 'virtual_size', i.virtual_size, 'status', i.status, 'is_public', i.visibility = 'public', "
      "'protected', i.protected, 'owner', i.owner, 'min_disk', i.min_disk, "
      "'min_ram', i.min_ram, 'created_at', " +
      DisplayTime("i.created_at") + ", 'updated_at', " + DisplayTime("i.updated_at") +
      ", 'deleted_at', " + DisplayTime("i.deleted_at") +
      ", 'deleted', i.deleted, 'properties', "
      "(SELECT coalesce(json_object_agg(p.name, p.value), '{}') FROM image_properties p "
      " WHERE p.image_id = i.id AND NOT p.deleted)";
  if (shape == ListShape::kDetailWithoutLocations) return "json_build_object(" + detail + ")";
  // json_build_object takes at most 100 arguments: the registry-only keys
  // are merged in with a second object.  'location' is ActiveLocation()
  // (glance/image/image.h) in SQL: the first active location by id.
  return "(jsonb_build_object(" + detail +
         ") || jsonb_build_object("
         "'os_hash_algo', i.os_hash_algo, 'os_hash_value', i.os_hash_value, "
         "'visibility', i.visibility, 'os_hidden', i.os_hidden, 'tags', " + TagsArray("i") + ", "
         "'location', (SELECT l.value FROM image_locations l WHERE l.image_id = i.id "
         "  AND NOT l.deleted AND l.status = 'active' ORDER BY l.id LIMIT 1), "
         "'location_data', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'url', l.value, "
         "  'metadata', CAST(l.meta_data AS json), 'status', l.status) ORDER BY l.id), '[]') "
         "  FROM image_locations l WHERE l.image_id = i.id AND NOT l.deleted)))";
}

Image ParseImage(const Row& r) {
  Image image;
  image.id = r[0].value_or("");
  image.name = r[1];
  image.disk_format = r[2];
  image.container_format = r[3];
  image.size = ToInt(r[4]);
  image.virtual_size = ToInt(r[5]);
  image.status = r[6].value_or("");
  image.visibility = r[7].value_or("shared");
  image.checksum = r[8];
  image.os_hash_algo = r[9];
  image.os_hash_value = r[10];
  image.min_disk = ToInt(r[11]).value_or(0);
  image.min_ram = ToInt(r[12]).value_or(0);
  image.owner = r[13];
  image.is_protected = r[14] == "true";
  image.created_at = r[15].value_or("");
  image.updated_at = r[16].value_or("");
  image.deleted_at = r[17];
  image.deleted = r[18] == "true";
  const nlohmann::json properties = nlohmann::json::parse(r[19].value_or("{}"));
  for (const auto& [key, value] : properties.items()) {
    image.properties[key] = value.is_string() ? value.get<std::string>() : "";
  }
  const nlohmann::json locations = nlohmann::json::parse(r[20].value_or("[]"));
  for (const auto& l : locations) {
    ImageLocation location;
    location.id = l.value("id", 0);
    location.url = l.value("url", "");
    location.metadata_json = l.value("metadata", "{}");
    location.status = l.value("status", "active");
    image.locations.push_back(std::move(location));
  }
  image.os_hidden = r[21] == "true";
  for (const auto& tag : nlohmann::json::parse(r[22].value_or("[]"))) {
    if (tag.is_string()) image.tags.push_back(tag.get<std::string>());
  }
  return image;
}

}  // namespace glance::db
