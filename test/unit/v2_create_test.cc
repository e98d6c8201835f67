// POST /v2/images: the create body's rules (v2 contract §3, §15.1-2).
#include <string>

#include <boost/test/unit_test.hpp>

#include "glance/image/v2_request.h"

using namespace glance;
using nlohmann::json;

namespace {

RequestContext Admin() {
  RequestContext c;
  c.is_admin = true;
  return c;
}

RequestContext Project(const char* tenant = "t1") {
  RequestContext c;
  c.tenant = tenant;
  c.owner = tenant;
  return c;
}

Status Create(const json& body, const RequestContext& context, ImageChanges* out,
              v2::V2Limits limits = {}) {
  return v2::ParseCreateBody(body, context, limits, out);
}

Status Create(const char* body, const RequestContext& context = Project()) {
  ImageChanges c;
  return Create(json::parse(body), context, &c);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(v2_create)

BOOST_AUTO_TEST_CASE(every_accepted_key) {
  ImageChanges c;
  json body = json::parse(R"({"id": "0DDF0A3E-6B3B-4B6F-9C8E-1234567890AB", "name": "n",
      "visibility": "community", "protected": true, "os_hidden": true, "min_ram": 512,
      "min_disk": 2147483647, "owner": "t1", "disk_format": "qcow2", "container_format": "bare",
      "tags": ["b", "a", "b"], "hw_disk_bus": "virtio", "description": "d",
      "kernel_id": "8a7b5e4c-1b2c-4d3e-8f9a-0b1c2d3e4f5a", "ramdisk_id": null,
      "cinder_encryption_key_deletion_policy": "do_not_delete"})");
  BOOST_TEST(Create(body, Project(), &c).ok());
  BOOST_TEST(c.id.value() == "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab");
  BOOST_TEST(c.name.value().value() == "n");
  BOOST_TEST(c.visibility.value() == "community");
  BOOST_TEST(c.is_protected.value());
  BOOST_TEST(c.os_hidden.value());
  BOOST_TEST(c.min_ram.value() == 512);
  BOOST_TEST(c.min_disk.value() == 2147483647);
  BOOST_TEST(c.owner.value().value() == "t1");
  BOOST_TEST(c.disk_format.value().value() == "qcow2");
  BOOST_TEST(c.container_format.value().value() == "bare");
  BOOST_TEST((c.tags.value() == std::vector<std::string>{"a", "b"}));
  const std::map<std::string, std::string> props = {
      {"hw_disk_bus", "virtio"},
      {"description", "d"},
      {"kernel_id", "8a7b5e4c-1b2c-4d3e-8f9a-0b1c2d3e4f5a"},
      {"cinder_encryption_key_deletion_policy", "do_not_delete"}};
  BOOST_TEST((c.properties.value() == props));  // a null ramdisk_id sets nothing
}

BOOST_AUTO_TEST_CASE(sets_no_defaults) {
  ImageChanges c;
  BOOST_TEST(Create(json::object(), Project(), &c).ok());
  BOOST_TEST(!c.status);
  BOOST_TEST(!c.visibility);
  BOOST_TEST(!c.owner);
  BOOST_TEST(!c.id);
  BOOST_TEST(!c.properties);
  BOOST_TEST(!c.tags);
  BOOST_TEST(Create(json::parse(R"({"name": null, "disk_format": null})"), Project(), &c).ok());
  BOOST_TEST((c.name.has_value() && !c.name->has_value()));
  BOOST_TEST((c.disk_format.has_value() && !c.disk_format->has_value()));
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_an_object_is_400) {
  for (const char* body : {"[]", R"([{"name": "x"}])", "\"x\"", "5", "null", "true"}) {
    BOOST_TEST(Create(body).HttpStatus() == 400, body);
  }
}

BOOST_AUTO_TEST_CASE(read_only_keys_are_403) {
  for (const char* key : {"status", "checksum", "size", "virtual_size", "created_at",
                          "updated_at", "self", "file", "schema", "direct_url", "stores",
                          "os_hash_algo", "os_hash_value"}) {
    ImageChanges c;
    Status s = Create(json{{key, "x"}}, Project(), &c);
    BOOST_TEST(s.HttpStatus() == 403, key);
    BOOST_TEST(s.message() == "Attribute '" + std::string(key) + "' is read-only.");
  }
  // Whatever the value, and before a schema error elsewhere.
  BOOST_TEST(Create(R"({"status": 5})").HttpStatus() == 403);
  BOOST_TEST(Create(R"({"size": 1, "min_ram": "x"})").HttpStatus() == 403);
}

BOOST_AUTO_TEST_CASE(reserved_keys_are_403) {
  for (const char* key : {"location", "locations", "deleted", "deleted_at", "os_glance",
                          "os_glance_stage_host", "os_glance_import_task"}) {
    ImageChanges c;
    Status s = Create(json{{key, "x"}}, Project(), &c);
    BOOST_TEST(s.HttpStatus() == 403, key);
    BOOST_TEST(s.message() == "Attribute '" + std::string(key) + "' is reserved.");
  }
  BOOST_TEST(Create(R"({"os_glancey": "x"})").HttpStatus() == 403);
  BOOST_TEST(Create(R"({"os_glanc": "x"})").ok());
}

BOOST_AUTO_TEST_CASE(schema_violations_are_400) {
  for (const char* body : {
           R"({"id": "1"})", R"({"id": 5})", R"({"name": 5})", R"({"name": "a\u0000b"})",
           R"({"visibility": "everyone"})", R"({"visibility": null})", R"({"protected": "yes"})",
           R"({"protected": null})", R"({"os_hidden": 1})", R"({"min_ram": "5"})",
           R"({"min_ram": 5.0})", R"({"min_ram": -1})", R"({"min_disk": 2147483648})",
           R"({"min_disk": 18446744073709551615})", R"({"min_disk": null})", R"({"owner": 5})",
           R"({"disk_format": "floppy"})", R"({"disk_format": "RAW"})",
           R"({"container_format": "tar"})", R"({"tags": "a"})", R"({"tags": [1]})",
           R"({"tags": [""]})", R"({"tags": null})", R"({"kernel_id": "abc"})",
           R"({"ramdisk_id": 5})", R"({"cinder_encryption_key_deletion_policy": "never"})",
           R"({"architecture": null})", R"({"color": 1})", R"({"color": null})",
           R"({"color": true})", R"({"color": ["red"]})", R"({"color": {"r": 1}})",
           R"({"color": "a\u0007"})", R"({"": "x"})"}) {
    BOOST_TEST(Create(body).HttpStatus() == 400, body);
  }
  ImageChanges c;
  BOOST_TEST(Create(json{{"name", std::string(255, 'x')}}, Project(), &c).ok());
  BOOST_TEST(Create(json{{"name", std::string(256, 'x')}}, Project(), &c).HttpStatus() == 400);
  BOOST_TEST(Create(json{{"tags", {std::string(256, 't')}}}, Project(), &c).HttpStatus() == 400);
  BOOST_TEST(Create(json{{std::string(255, 'k'), "v"}}, Project(), &c).ok());
  Status s = Create(json{{std::string(256, 'k'), "v"}}, Project(), &c);
  BOOST_TEST(s.HttpStatus() == 400);
  BOOST_TEST(s.message() == "Custom property should not be greater than 255 characters.");
  BOOST_TEST(Create(json{{"color", std::string("\xff")}}, Project(), &c).HttpStatus() == 400);
}

BOOST_AUTO_TEST_CASE(public_needs_an_admin) {
  Status s = Create(R"({"visibility": "public"})");
  BOOST_TEST(s.HttpStatus() == 403);
  BOOST_TEST(s.message() == "Not allowed to set visibility to public.");
  ImageChanges c;
  BOOST_TEST(Create(json{{"visibility", "public"}}, Admin(), &c).ok());
  BOOST_TEST(c.visibility.value() == "public");
  for (const char* v : {"private", "shared", "community"}) {
    BOOST_TEST(Create(json{{"visibility", v}}, Project(), &c).ok(), v);
  }
}

BOOST_AUTO_TEST_CASE(owner_is_an_admin_choice) {
  Status s = Create(R"({"owner": "t2"})");
  BOOST_TEST(s.HttpStatus() == 403);
  BOOST_TEST(s.message() == "You are not permitted to create images owned by 't2'.");
  BOOST_TEST(Create(R"({"owner": null})").HttpStatus() == 403);
  BOOST_TEST(Create(R"({"owner": "t1"})").ok());  // the caller's own: what it gets anyway
  BOOST_TEST(Create(R"({"owner": "t1"})", RequestContext()).HttpStatus() == 403);
  ImageChanges c;
  BOOST_TEST(Create(json{{"owner", "t2"}}, Admin(), &c).ok());
  BOOST_TEST(c.owner.value().value() == "t2");
  BOOST_TEST(Create(json{{"owner", nullptr}}, Admin(), &c).ok());
  BOOST_TEST((c.owner.has_value() && !c.owner->has_value()));
}

BOOST_AUTO_TEST_CASE(quotas_are_413) {
  v2::V2Limits limits;
  limits.property_quota = 3;
  limits.tag_quota = 2;
  ImageChanges c;
  json body = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"name", "core keys do not count"}};
  BOOST_TEST(Create(body, Project(), &c, limits).ok());
  body["d"] = "4";
  Status s = Create(body, Project(), &c, limits);
  BOOST_TEST(s.HttpStatus() == 413);
  BOOST_TEST(s.message() ==
             "The limit has been exceeded on the number of allowed image properties. "
             "Attempted: 4, Maximum: 3");
  // A null kernel_id is no property, so it does not count.
  body.erase("d");
  body["kernel_id"] = nullptr;
  BOOST_TEST(Create(body, Project(), &c, limits).ok());

  BOOST_TEST(Create(json{{"tags", {"x", "y", "x"}}}, Project(), &c, limits).ok());
  s = Create(json{{"tags", {"x", "y", "z"}}}, Project(), &c, limits);
  BOOST_TEST(s.HttpStatus() == 413);
  BOOST_TEST(s.message() ==
             "The limit has been exceeded on the number of allowed image tags. "
             "Attempted: 3, Maximum: 2");
}

BOOST_AUTO_TEST_CASE(a_failed_parse_leaves_the_output_alone) {
  ImageChanges c;
  c.name = std::optional<std::string>("before");
  BOOST_TEST(Create(json{{"name", "n"}, {"min_ram", -1}}, Project(), &c).HttpStatus() == 400);
  BOOST_TEST(c.name.value().value() == "before");
}

BOOST_AUTO_TEST_SUITE_END()
