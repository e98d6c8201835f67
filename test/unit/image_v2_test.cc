// The v2 image view, its schemas, and the create body (v2 contract §2, §3,
// §8, §9).
#include "glance/image/image_v2.h"

#include <algorithm>
#include <set>
#include <string>

#include <boost/test/unit_test.hpp>

#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/image/v2_request.h"

using namespace glance;
using nlohmann::json;

namespace {

Image Sample() {
  Image image;
  image.id = "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab";
  image.name = "cirros";
  image.status = "active";
  image.visibility = "private";
  image.is_protected = true;
  image.os_hidden = false;
  image.checksum = "443b7623e27ecf03dc9e01ee93f67afe";
  image.os_hash_algo = "sha512";
  image.os_hash_value = std::string(128, 'a');
  image.owner = "tenant1";
  image.size = 12716032;
  image.virtual_size = 46137344;
  image.min_ram = 64;
  image.min_disk = 1;
  image.disk_format = "qcow2";
  image.container_format = "bare";
  image.created_at = "2026-01-02T03:04:05.678901";
  image.updated_at = "2026-01-02T03:04:06.000000";
  image.tags = {"a", "b"};
  image.properties = {{"hw_disk_bus", "virtio"},
                      {"kernel_id", "8a7b5e4c-1b2c-4d3e-8f9a-0b1c2d3e4f5a"},
                      {"description", "a test image"}};
  return image;
}

bool HasType(const std::string& type, const json& v) {
  if (type == "null") return v.is_null();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "array") return v.is_array();
  if (type == "object") return v.is_object();
  return false;
}

// Enough of JSON-schema draft 4 for our own schemas (we have no validator
// in C++): type (a name or a list), enum, maxLength, the UUID pattern,
// items.  Returns "" or what is wrong.
std::string Violation(const json& schema, const json& v) {
  if (schema.contains("type")) {
    const json& type = schema["type"];
    bool ok = false;
    if (type.is_string()) ok = HasType(type.get<std::string>(), v);
    for (const json& t : type.is_array() ? type : json::array()) {
      ok = ok || HasType(t.get<std::string>(), v);
    }
    if (!ok) return "type " + type.dump() + " for " + v.dump();
  }
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), v) ==
                                     schema["enum"].end()) {
    return "not in enum: " + v.dump();
  }
  if (v.is_string() && schema.contains("maxLength") &&
      Utf8Length(v.get<std::string>()).value() > schema["maxLength"].get<size_t>()) {
    return "too long: " + v.dump();
  }
  if (v.is_string() && schema.contains("pattern") && !IsUuidLike(v.get<std::string>())) {
    return "pattern: " + v.dump();
  }
  if (v.is_array() && schema.contains("items")) {
    for (const json& item : v) {
      std::string why = Violation(schema["items"], item);
      if (!why.empty()) return "item: " + why;
    }
  }
  return "";
}

// Every key of an image object checked by its property schema, or by
// additionalProperties for a custom key.
void CheckAgainstImageSchema(const json& image) {
  const json& schema = v2::ImageSchema();
  for (const auto& [key, value] : image.items()) {
    const json& rule = schema["properties"].contains(key) ? schema["properties"][key]
                                                          : schema["additionalProperties"];
    BOOST_TEST(Violation(rule, value) == "", key);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(image_v2)

BOOST_AUTO_TEST_CASE(v2_time_drops_the_fraction_and_adds_z) {
  BOOST_TEST(v2::V2Time("2026-01-02T03:04:05.678901") == "2026-01-02T03:04:05Z");
  BOOST_TEST(v2::V2Time("2026-01-02T03:04:05") == "2026-01-02T03:04:05Z");
  BOOST_TEST(v2::V2Time("2026-01-02 03:04:05.1") == "2026-01-02T03:04:05Z");
  BOOST_TEST(v2::V2Time("") == "");
}

BOOST_AUTO_TEST_CASE(image_object_has_exactly_the_core_keys_and_the_custom_ones) {
  json out = v2::ImageToJson(Sample());
  std::set<std::string> keys;
  for (const auto& item : out.items()) keys.insert(item.key());
  const std::set<std::string> expected = {
      "id",          "name",         "status",       "visibility",  "protected",
      "os_hidden",   "checksum",     "os_hash_algo", "os_hash_value", "owner",
      "size",        "virtual_size", "min_ram",      "min_disk",    "disk_format",
      "container_format", "created_at", "updated_at", "tags",       "self",
      "file",        "schema",       "hw_disk_bus",  "kernel_id",   "description"};
  BOOST_TEST(keys == expected);
  BOOST_TEST(out["protected"] == true);
  BOOST_TEST(out["size"] == 12716032);
  BOOST_TEST(out["created_at"] == "2026-01-02T03:04:05Z");
  BOOST_TEST(out["updated_at"] == "2026-01-02T03:04:06Z");
  BOOST_TEST(out["tags"] == json::array({"a", "b"}));
  BOOST_TEST(out["self"] == "/v2/images/0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab");
  BOOST_TEST(out["file"] == "/v2/images/0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab/file");
  BOOST_TEST(out["schema"] == "/v2/schemas/image");
  BOOST_TEST(out["hw_disk_bus"] == "virtio");
}

BOOST_AUTO_TEST_CASE(unset_fields_are_null_and_tags_an_empty_array) {
  Image image;
  image.id = "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab";
  image.status = "queued";
  json out = v2::ImageToJson(image);
  for (const char* key : {"name", "checksum", "os_hash_algo", "os_hash_value", "owner", "size",
                          "virtual_size", "disk_format", "container_format"}) {
    BOOST_TEST(out.at(key).is_null(), key);
  }
  BOOST_TEST(out["tags"] == json::array());
  BOOST_TEST(out["visibility"] == "shared");
  BOOST_TEST(out["min_ram"] == 0);
  BOOST_TEST(out["protected"] == false);
  BOOST_TEST(out["os_hidden"] == false);
}

BOOST_AUTO_TEST_CASE(core_keys_win_over_properties_and_the_stage_host_is_hidden) {
  Image image = Sample();
  image.properties["name"] = "shadow";
  image.properties["status"] = "shadow";
  image.properties["self"] = "shadow";
  image.properties["os_glance_stage_host"] = "http://host";
  image.properties["os_glance_import_task"] = "t";
  image.tags = {"b", "a", "b"};  // not the model's invariant: still a sorted set
  json out = v2::ImageToJson(image);
  BOOST_TEST(out["name"] == "cirros");
  BOOST_TEST(out["status"] == "active");
  BOOST_TEST(out["self"] == "/v2/images/" + image.id);
  BOOST_TEST(!out.contains("os_glance_stage_host"));
  BOOST_TEST(out["os_glance_import_task"] == "t");
  BOOST_TEST(out["tags"] == json::array({"a", "b"}));
}

BOOST_AUTO_TEST_CASE(member_object) {
  ImageMember m;
  m.image_id = "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab";
  m.member = "tenant2";
  m.status = "accepted";
  m.created_at = "2026-01-02T03:04:05.000001";
  m.updated_at = "2026-01-03T03:04:05.000001";
  json out = v2::MemberToJson(m);
  BOOST_TEST(out == json({{"member_id", "tenant2"},
                          {"image_id", "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab"},
                          {"status", "accepted"},
                          {"created_at", "2026-01-02T03:04:05Z"},
                          {"updated_at", "2026-01-03T03:04:05Z"},
                          {"schema", "/v2/schemas/member"}}));
  for (const auto& [key, value] : out.items()) {
    BOOST_TEST(Violation(v2::MemberSchema()["properties"].at(key), value) == "", key);
  }
}

BOOST_AUTO_TEST_CASE(image_objects_validate_against_the_image_schema) {
  CheckAgainstImageSchema(v2::ImageToJson(Sample()));
  Image bare;
  bare.id = "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab";
  bare.status = "queued";
  CheckAgainstImageSchema(v2::ImageToJson(bare));
  for (const char* status : kImageStatuses) {
    bare.status = status;
    CheckAgainstImageSchema(v2::ImageToJson(bare));
  }
  for (const char* visibility : kVisibilities) {
    bare.visibility = visibility;
    CheckAgainstImageSchema(v2::ImageToJson(bare));
  }
  for (const char* format : v2::kDiskFormats) {
    bare.disk_format = format;
    CheckAgainstImageSchema(v2::ImageToJson(bare));
  }
  for (const char* format : v2::kContainerFormats) {
    bare.container_format = format;
    CheckAgainstImageSchema(v2::ImageToJson(bare));
  }
}

BOOST_AUTO_TEST_CASE(image_schema_shape) {
  const json& s = v2::ImageSchema();
  BOOST_TEST(s["name"] == "image");
  BOOST_TEST(s["additionalProperties"] == json({{"type", "string"}}));
  BOOST_TEST(s["links"] == json::parse(R"([{"rel": "self", "href": "{self}"},
      {"rel": "enclosure", "href": "{file}"}, {"rel": "describedby", "href": "{schema}"}])"));
  const json& p = s["properties"];
  for (const char* key : {"status", "checksum", "os_hash_algo", "os_hash_value", "size",
                          "virtual_size", "created_at", "updated_at", "direct_url", "self", "file",
                          "stores", "schema"}) {
    BOOST_TEST(p.at(key).value("readOnly", false), key);
  }
  for (const char* key : {"id", "name", "visibility", "protected", "os_hidden", "owner",
                          "min_ram", "min_disk", "disk_format", "container_format", "tags"}) {
    BOOST_TEST(!p.at(key).contains("readOnly"), key);
    BOOST_TEST(!p.at(key).contains("is_base"), key);
  }
  BOOST_TEST(p["disk_format"]["enum"] == json::parse(R"([null, "ami", "ari", "aki", "vhd", "vhdx",
      "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"])"));
  BOOST_TEST(p["container_format"]["enum"] == json::parse(R"([null, "ami", "ari", "aki", "bare",
      "ovf", "ova", "docker", "compressed"])"));
  BOOST_TEST(p["visibility"]["enum"].size() == 4u);
  BOOST_TEST(p["status"]["enum"].size() == 9u);
  BOOST_TEST(p["name"]["type"] == json::array({"null", "string"}));
  BOOST_TEST(p["name"]["maxLength"] == 255);
  BOOST_TEST(p["tags"]["items"] == json({{"type", "string"}, {"maxLength", 255}}));
  BOOST_TEST(p["checksum"]["maxLength"] == 32);
  BOOST_TEST(p["os_hash_algo"]["maxLength"] == 64);
  BOOST_TEST(p["os_hash_value"]["maxLength"] == 128);
  BOOST_TEST(p["min_ram"]["type"] == "integer");
  BOOST_TEST(p["size"]["type"] == json::array({"null", "integer"}));
  // Debian's extras: typed, and not base properties (glanceclient then
  // adds a missing one instead of replacing it).
  for (const char* key : {"kernel_id", "ramdisk_id", "instance_uuid", "architecture", "os_distro",
                          "os_version", "description", "cinder_encryption_key_id",
                          "cinder_encryption_key_deletion_policy"}) {
    BOOST_TEST(p.at(key)["is_base"] == false, key);
  }
  BOOST_TEST(p["kernel_id"]["type"] == json::array({"null", "string"}));
  BOOST_TEST(p["cinder_encryption_key_deletion_policy"]["enum"] ==
             json::array({"on_image_deletion", "do_not_delete"}));
  BOOST_TEST(&v2::ImageSchema() == &s);  // built once
}

BOOST_AUTO_TEST_CASE(every_schema_property_is_well_formed_draft_4) {
  const std::set<std::string> types = {"null",    "string", "integer", "number",
                                       "boolean", "array",  "object"};
  for (const json* schema : {&v2::ImageSchema(), &v2::MemberSchema()}) {
    for (const auto& [key, rule] : (*schema)["properties"].items()) {
      BOOST_REQUIRE(rule.contains("type"));
      json list = rule["type"].is_array() ? rule["type"] : json::array({rule["type"]});
      for (const json& t : list) BOOST_TEST(types.count(t.get<std::string>()) == 1u, key);
      for (const json& v : rule.value("enum", json::array())) {
        BOOST_TEST(Violation({{"type", rule["type"]}}, v) == "", key);
      }
      if (rule.contains("description")) BOOST_TEST(rule["description"].is_string(), key);
    }
  }
}

BOOST_AUTO_TEST_CASE(collection_and_member_schemas) {
  const json& images = v2::ImagesSchema();
  BOOST_TEST(images["name"] == "images");
  BOOST_TEST(images["properties"]["images"]["type"] == "array");
  BOOST_TEST(images["properties"]["images"]["items"] == v2::ImageSchema());
  for (const char* key : {"first", "next", "schema"}) {
    BOOST_TEST(images["properties"][key] == json({{"type", "string"}}), key);
  }
  BOOST_TEST(images["links"] == json::parse(R"([{"rel": "first", "href": "{first}"},
      {"rel": "next", "href": "{next}"}, {"rel": "describedby", "href": "{schema}"}])"));

  const json& member = v2::MemberSchema();
  BOOST_TEST(member["name"] == "member");
  BOOST_TEST(!member.contains("additionalProperties"));
  BOOST_TEST(member["properties"]["status"]["enum"] ==
             json::array({"pending", "accepted", "rejected"}));
  BOOST_TEST(member["properties"]["schema"]["readOnly"] == true);
  const json& members = v2::MembersSchema();
  BOOST_TEST(members["name"] == "members");
  BOOST_TEST(members["properties"]["members"]["items"] == member);
  BOOST_TEST(members["properties"]["schema"] == json({{"type", "string"}}));
  BOOST_TEST(members["links"] == json::parse(R"([{"rel": "describedby", "href": "{schema}"}])"));
}

BOOST_AUTO_TEST_SUITE_END()
