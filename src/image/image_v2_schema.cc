// The JSON schemas of GET /v2/schemas/* (v2 contract §9).
//
// python-glanceclient validates every image and member it receives against
// these documents (warlock, jsonschema) and builds its PATCH bodies from
// them, so they follow the shape upstream 25.1 serves: readOnly marks,
// nullable types as ["null", ...], enums with null for the formats, and the
// permissive additionalProperties {"type": "string"} for custom properties.
// The extras of Debian's schema-image.json carry "is_base": false, which
// tells glanceclient that a missing one is to be added, not replaced.
#include <string>

#include "glance/image/image.h"
#include "glance/image/image_v2.h"

namespace glance::v2 {

using nlohmann::json;

namespace {

constexpr char kUuidPattern[] =
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

json Prop(json type, const char* description) {
  return {{"type", std::move(type)}, {"description", description}};
}

json ReadOnly(json type, const char* description) {
  json p = Prop(std::move(type), description);
  p["readOnly"] = true;
  return p;
}

json NullableString() { return json::array({"null", "string"}); }

template <size_t N>
json EnumWithNull(const char* const (&values)[N]) {
  json out = json::array({nullptr});
  for (const char* v : values) out.push_back(v);
  return out;
}

json BaseImageProperties() {
  json p = json::object();
  p["id"] = Prop("string", "An identifier for the image (a UUID)");
  p["id"]["pattern"] = kUuidPattern;
  p["name"] = Prop(NullableString(), "Descriptive name for the image");
  p["name"]["maxLength"] = kMaxNameChars;
  p["status"] = ReadOnly("string", "Status of the image");
  p["status"]["enum"] = {"queued",    "saving",    "active",         "killed",     "deleted",
                         "uploading", "importing", "pending_delete", "deactivated"};
  p["visibility"] = Prop("string", "Who may see the image");
  p["visibility"]["enum"] = {"community", "public", "private", "shared"};
  p["protected"] = Prop("boolean", "If true, the image cannot be deleted");
  p["os_hidden"] = Prop("boolean", "If true, the image is left out of default image lists");
  p["checksum"] = ReadOnly(NullableString(), "MD5 hex digest of the image data");
  p["checksum"]["maxLength"] = kMaxChecksumChars;
  p["os_hash_algo"] = ReadOnly(NullableString(), "Algorithm of os_hash_value");
  p["os_hash_algo"]["maxLength"] = 64;
  p["os_hash_value"] = ReadOnly(NullableString(), "Hex digest of the image data by os_hash_algo");
  p["os_hash_value"]["maxLength"] = 128;
  p["owner"] = Prop(NullableString(), "Project that owns the image");
  p["owner"]["maxLength"] = kMaxOwnerChars;
  p["size"] = ReadOnly(json::array({"null", "integer"}), "Size of the image data in bytes");
  p["virtual_size"] =
      ReadOnly(json::array({"null", "integer"}), "Virtual size of the image in bytes");
  p["container_format"] = Prop(NullableString(), "Format of the container");
  p["container_format"]["enum"] = EnumWithNull(kContainerFormats);
  p["disk_format"] = Prop(NullableString(), "Format of the disk");
  p["disk_format"]["enum"] = EnumWithNull(kDiskFormats);
  // No "format": "date-time": upstream leaves it out, and clients would
  // otherwise check a format our "...Z" times need not follow to the letter.
  p["created_at"] = ReadOnly("string", "Date and time the image was registered");
  p["updated_at"] = ReadOnly("string", "Date and time of the image's last change");
  p["tags"] = Prop("array", "Strings attached to the image");
  p["tags"]["items"] = {{"type", "string"}, {"maxLength", kMaxTagChars}};
  p["direct_url"] = ReadOnly("string", "URL of the image data in an external store");
  p["min_ram"] = Prop("integer", "Memory (MB) needed to boot the image");
  p["min_disk"] = Prop("integer", "Disk space (GB) needed to boot the image");
  p["self"] = ReadOnly("string", "URL of the image");
  p["file"] = ReadOnly("string", "URL of the image data");
  p["stores"] = ReadOnly("string", "Comma-separated stores holding the data (multi-store only)");
  p["schema"] = ReadOnly("string", "URL of the image schema");
  json location = {
      {"type", "object"},
      {"properties",
       {{"url", {{"type", "string"}, {"maxLength", 255}}},
        {"metadata", {{"type", "object"}}},
        {"validation_data",
         {{"description", "Values checked against (or filling) the image's hash properties"},
          {"type", "object"},
          {"writeOnly", true},
          {"additionalProperties", false},
          {"properties",
           {{"checksum", {{"type", "string"}, {"minLength", 32}, {"maxLength", 32}}},
            {"os_hash_algo", {{"type", "string"}, {"maxLength", 64}}},
            {"os_hash_value", {{"type", "string"}, {"maxLength", 128}}}}},
          {"required", {"os_hash_algo", "os_hash_value"}}}}}},
      {"required", {"url", "metadata"}}};
  p["locations"] = Prop("array", "URLs of the image data in external stores");
  p["locations"]["items"] = std::move(location);
  return p;
}

// Debian's /etc/glance/schema-image.json: custom properties with a type.
json ExtraImageProperties() {
  json p = json::object();
  auto extra = [&p](const char* key, json type, const char* description) {
    p[key] = Prop(std::move(type), description);
    p[key]["is_base"] = false;
  };
  extra("kernel_id", NullableString(),
        "Image to use as the kernel when booting an AMI-style image");
  p["kernel_id"]["pattern"] = kUuidPattern;
  extra("ramdisk_id", NullableString(),
        "Image to use as the ramdisk when booting an AMI-style image");
  p["ramdisk_id"]["pattern"] = kUuidPattern;
  extra("instance_uuid", "string",
        "Instance the image is associated with (informational; makes no snapshot)");
  extra("architecture", "string", "CPU architecture the operating system needs");
  extra("os_distro", "string", "Common name of the operating system distribution");
  extra("os_version", "string", "Operating system version as the distributor names it");
  extra("description", "string", "A human-readable description of the image");
  extra("cinder_encryption_key_id", "string",
        "Key Manager id of the key the Block Storage service uses for volumes made from the image");
  extra("cinder_encryption_key_deletion_policy", "string",
        "When the Image service deletes the key of cinder_encryption_key_id; "
        "without it, never");
  p["cinder_encryption_key_deletion_policy"]["enum"] = {"on_image_deletion", "do_not_delete"};
  return p;
}

json BuildImageSchema() {
  json properties = BaseImageProperties();
  properties.update(ExtraImageProperties());
  return {{"name", "image"},
          {"properties", std::move(properties)},
          {"additionalProperties", {{"type", "string"}}},
          {"links",
           {{{"rel", "self"}, {"href", "{self}"}},
            {{"rel", "enclosure"}, {"href", "{file}"}},
            {{"rel", "describedby"}, {"href", "{schema}"}}}}};
}

json BuildMemberSchema() {
  json p = json::object();
  p["member_id"] = Prop("string", "The member's project id");
  p["image_id"] = Prop("string", "The shared image's id");
  p["image_id"]["pattern"] = kUuidPattern;
  p["created_at"] = Prop("string", "Date and time the image was shared with the member");
  p["updated_at"] = Prop("string", "Date and time of the membership's last change");
  p["status"] = Prop("string", "The member's answer to the share");
  p["status"]["enum"] = {"pending", "accepted", "rejected"};
  p["schema"] = {{"readOnly", true}, {"type", "string"}};
  // Upstream serves the member schemas in their "minimal" form: no
  // additionalProperties and, for the single member, no links.
  return {{"name", "member"}, {"properties", std::move(p)}};
}

}  // namespace

const json& ImageSchema() {
  static const json schema = BuildImageSchema();
  return schema;
}

const json& ImagesSchema() {
  static const json schema = {
      {"name", "images"},
      {"properties",
       {{"images", {{"type", "array"}, {"items", ImageSchema()}}},
        {"first", {{"type", "string"}}},
        {"next", {{"type", "string"}}},
        {"schema", {{"type", "string"}}}}},
      {"links",
       {{{"rel", "first"}, {"href", "{first}"}},
        {{"rel", "next"}, {"href", "{next}"}},
        {{"rel", "describedby"}, {"href", "{schema}"}}}}};
  return schema;
}

const json& MemberSchema() {
  static const json schema = BuildMemberSchema();
  return schema;
}

const json& MembersSchema() {
  static const json schema = {
      {"name", "members"},
      {"properties",
       {{"members", {{"type", "array"}, {"items", MemberSchema()}}},
        {"schema", {{"type", "string"}}}}},
      {"links", {{{"rel", "describedby"}, {"href", "{schema}"}}}}};
  return schema;
}

}  // namespace glance::v2
