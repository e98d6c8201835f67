// PATCH /v2/images/{id}: what a valid patch does to an image and which
// rules refuse it (v2 contract §5).
#include <map>
#include <string>
#include <vector>

#include "v2_patch_helpers.h"

using namespace v2_patch_test;

namespace {

using Props = std::map<std::string, std::string>;
using Tags = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(json_patch_apply)

BOOST_AUTO_TEST_CASE(an_empty_patch_changes_nothing) {
  Result r = Patch("[]");
  BOOST_TEST(r.status.ok());
  BOOST_TEST(!r.purge);
  BOOST_TEST(!r.changes.name);
  BOOST_TEST(!r.changes.properties);
  BOOST_TEST(!r.changes.tags);
}

BOOST_AUTO_TEST_CASE(core_attributes_by_add_or_replace) {
  Result r = Patch(R"([{"op": "add", "path": "/name", "value": "new"},
      {"op": "replace", "path": "/min_ram", "value": 512},
      {"op": "add", "path": "/min_disk", "value": 3},
      {"op": "replace", "path": "/protected", "value": true},
      {"op": "add", "path": "/os_hidden", "value": true},
      {"op": "replace", "path": "/visibility", "value": "community"},
      {"op": "replace", "path": "/disk_format", "value": "qcow2"},
      {"op": "add", "path": "/container_format", "value": null}])");
  BOOST_TEST(r.status.ok());
  const ImageChanges& c = r.changes;
  BOOST_TEST(c.name.value().value() == "new");
  BOOST_TEST(c.min_ram.value() == 512);
  BOOST_TEST(c.min_disk.value() == 3);
  BOOST_TEST(c.is_protected.value());
  BOOST_TEST(c.os_hidden.value());
  BOOST_TEST(c.visibility.value() == "community");
  BOOST_TEST(c.disk_format.value().value() == "qcow2");
  BOOST_TEST((c.container_format.has_value() && !c.container_format->has_value()));
  BOOST_TEST(!c.properties);
  BOOST_TEST(!r.purge);
  BOOST_TEST(!c.status);
  BOOST_TEST(!c.owner);
}

BOOST_AUTO_TEST_CASE(only_what_differs_is_a_change) {
  Result r = Patch(R"([{"op": "replace", "path": "/name", "value": "cirros"},
      {"op": "add", "path": "/color", "value": "red"},
      {"op": "replace", "path": "/tags", "value": ["a", "a"]}])");
  BOOST_TEST(r.status.ok());
  BOOST_TEST(!r.changes.name);
  BOOST_TEST(!r.changes.tags);
  BOOST_TEST(!r.changes.properties);
  BOOST_TEST(!r.purge);
  r = Patch(R"([{"op": "replace", "path": "/name", "value": null}])");
  BOOST_TEST((r.changes.name.has_value() && !r.changes.name->has_value()));
}

BOOST_AUTO_TEST_CASE(custom_properties_come_back_as_the_whole_new_set) {
  Result r = Patch(R"([{"op": "add", "path": "/size_hint", "value": "big"},
      {"op": "add", "path": "/color", "value": "blue"}])");
  BOOST_TEST(r.status.ok());
  BOOST_TEST(r.purge);
  // The hidden stage-host property is kept: a purge must not lose it.
  BOOST_TEST((r.changes.properties.value() ==
              Props{{"color", "blue"}, {"size_hint", "big"}, {"os_glance_stage_host", "h"}}));

  r = Patch(R"([{"op": "replace", "path": "/color", "value": "green"}])");
  BOOST_TEST(r.status.ok());
  BOOST_TEST((r.changes.properties.value() ==
              Props{{"color", "green"}, {"os_glance_stage_host", "h"}}));

  r = Patch(R"([{"op": "remove", "path": "/color"}])");
  BOOST_TEST(r.status.ok());
  BOOST_TEST(r.purge);
  BOOST_TEST((r.changes.properties.value() == Props{{"os_glance_stage_host", "h"}}));
}

BOOST_AUTO_TEST_CASE(missing_custom_properties_are_409) {
  Result r = Patch(R"([{"op": "replace", "path": "/nope", "value": "x"}])");
  BOOST_TEST(r.status.HttpStatus() == 409);
  BOOST_TEST(r.status.message() == "Property nope does not exist.");
  r = Patch(R"([{"op": "remove", "path": "/nope"}])");
  BOOST_TEST(r.status.HttpStatus() == 409);
  BOOST_TEST(r.status.message() == "Property nope does not exist.");
  // Ops see the ones before them.
  BOOST_TEST(Patch(R"([{"op": "add", "path": "/nope", "value": "x"},
      {"op": "replace", "path": "/nope", "value": "y"}])").status.ok());
  BOOST_TEST(Patch(R"([{"op": "remove", "path": "/color"},
      {"op": "remove", "path": "/color"}])").status.HttpStatus() == 409);
}

BOOST_AUTO_TEST_CASE(core_attributes_cannot_be_removed) {
  for (const char* key : {"name", "visibility", "owner", "min_ram", "min_disk", "protected",
                          "os_hidden", "disk_format", "container_format", "tags"}) {
    std::string body = std::string(R"([{"op": "remove", "path": "/)") + key + R"("}])";
    Result r = Patch(body.c_str(), Current(), Admin());
    BOOST_TEST(r.status.HttpStatus() == 403, key);
    BOOST_TEST(r.status.message() == "Property " + std::string(key) + " may not be removed.");
  }
}

BOOST_AUTO_TEST_CASE(tags_are_set_as_a_whole) {
  Result r = Patch(R"([{"op": "add", "path": "/tags", "value": ["z", "b", "z"]}])");
  BOOST_TEST(r.status.ok());
  BOOST_TEST((r.changes.tags.value() == Tags{"b", "z"}));
  r = Patch(R"([{"op": "replace", "path": "/tags", "value": []}])");
  BOOST_TEST((r.changes.tags.value() == Tags{}));
  v2::V2Limits limits;
  limits.tag_quota = 2;
  r = Patch(R"([{"op": "replace", "path": "/tags", "value": ["x", "y", "z"]}])", Current(),
            Project(), limits);
  BOOST_TEST(r.status.HttpStatus() == 413);
  BOOST_TEST(r.status.message() ==
             "The limit has been exceeded on the number of allowed image tags. "
             "Attempted: 3, Maximum: 2");
}

BOOST_AUTO_TEST_CASE(public_needs_an_admin) {
  Result r = Patch(R"([{"op": "replace", "path": "/visibility", "value": "public"}])");
  BOOST_TEST(r.status.HttpStatus() == 403);
  BOOST_TEST(r.status.message() == "Not allowed to set visibility to public.");
  BOOST_TEST(Patch(R"([{"op": "add", "path": "/visibility", "value": "public"}])")
                 .status.HttpStatus() == 403);
  r = Patch(R"([{"op": "replace", "path": "/visibility", "value": "public"}])", Current(),
            Admin());
  BOOST_TEST(r.status.ok());
  BOOST_TEST(r.changes.visibility.value() == "public");
  for (const char* v : {"private", "shared", "community"}) {
    std::string body =
        std::string(R"([{"op": "replace", "path": "/visibility", "value": ")") + v + R"("}])";
    BOOST_TEST(Patch(body.c_str()).status.ok(), v);
  }
}

BOOST_AUTO_TEST_CASE(owner_needs_an_admin) {
  for (const char* op : {"add", "replace"}) {
    std::string body =
        std::string(R"([{"op": ")") + op + R"(", "path": "/owner", "value": "t1"}])";
    Result r = Patch(body.c_str());
    BOOST_TEST(r.status.HttpStatus() == 403, op);
    BOOST_TEST(r.status.message() == "Owner can't be updated by non admin.");
  }
  Result r = Patch(R"([{"op": "replace", "path": "/owner", "value": "t2"}])", Current(), Admin());
  BOOST_TEST(r.status.ok());
  BOOST_TEST(r.changes.owner.value().value() == "t2");
}

BOOST_AUTO_TEST_CASE(formats_change_only_while_queued) {
  Image active = Current();
  active.status = "active";
  for (const char* key : {"disk_format", "container_format"}) {
    for (const char* value : {"\"ami\"", "null"}) {
      std::string body = std::string(R"([{"op": "replace", "path": "/)") + key +
                         R"(", "value": )" + value + "}]";
      Result r = Patch(body.c_str(), active, Admin());
      BOOST_TEST(r.status.HttpStatus() == 403, body);
      BOOST_TEST(r.status.message() ==
                 "Attribute " + std::string(key) + " can be only replaced for a queued image.");
    }
  }
  Image importing = Current();
  importing.status = "importing";
  BOOST_TEST(Patch(R"([{"op": "replace", "path": "/disk_format", "value": "iso"}])", importing)
                 .status.ok());
  // Other attributes change in any status.
  BOOST_TEST(Patch(R"([{"op": "replace", "path": "/name", "value": "x"}])", active).status.ok());
}

BOOST_AUTO_TEST_CASE(property_quota_binds_patches_that_add_keys) {
  v2::V2Limits limits;
  limits.property_quota = 2;  // os_glance_stage_host does not count
  Result r = Patch(R"([{"op": "add", "path": "/b", "value": "2"}])", Current(), Project(), limits);
  BOOST_TEST(r.status.ok());
  r = Patch(R"([{"op": "add", "path": "/b", "value": "2"}, {"op": "add", "path": "/c",
      "value": "3"}])", Current(), Project(), limits);
  BOOST_TEST(r.status.HttpStatus() == 413);
  BOOST_TEST(r.status.message() ==
             "The limit has been exceeded on the number of allowed image properties. "
             "Attempted: 3, Maximum: 2");
  // Adding one after removing one stays within the quota.
  r = Patch(R"([{"op": "remove", "path": "/color"}, {"op": "add", "path": "/b", "value": "2"},
      {"op": "add", "path": "/c", "value": "3"}])", Current(), Project(), limits);
  BOOST_TEST(r.status.ok());
  // An image already over the quota (v1 has its own) may still be edited.
  Image over = Current();
  over.properties = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  r = Patch(R"([{"op": "replace", "path": "/a", "value": "9"}, {"op": "remove", "path": "/b"}])",
            over, Project(), limits);
  BOOST_TEST(r.status.ok());
  BOOST_TEST((r.changes.properties.value() == Props{{"a", "9"}, {"c", "3"}}));
}

BOOST_AUTO_TEST_CASE(a_null_kernel_id_means_no_such_property) {
  Image image = Current();
  image.properties["kernel_id"] = "8a7b5e4c-1b2c-4d3e-8f9a-0b1c2d3e4f5a";
  Result r = Patch(R"([{"op": "add", "path": "/kernel_id", "value": null}])", image);
  BOOST_TEST(r.status.ok());
  BOOST_TEST((r.changes.properties.value() ==
              Props{{"color", "red"}, {"os_glance_stage_host", "h"}}));
  r = Patch(R"([{"op": "add", "path": "/ramdisk_id", "value": null}])");
  BOOST_TEST(r.status.ok());
  BOOST_TEST(!r.changes.properties);
  r = Patch(R"([{"op": "replace", "path": "/ramdisk_id", "value": null}])");
  BOOST_TEST(r.status.HttpStatus() == 409);
}

BOOST_AUTO_TEST_CASE(a_failed_patch_produces_nothing) {
  Result r;
  r.changes.name = std::optional<std::string>("untouched");
  r.purge = true;
  std::vector<v2::PatchOp> ops;
  BOOST_REQUIRE(Parse(R"([{"op": "add", "path": "/name", "value": "x"},
      {"op": "add", "path": "/color", "value": "blue"},
      {"op": "remove", "path": "/missing"}])", &ops).ok());
  r.status = v2::ApplyPatch(Current(), ops, Project(), {}, &r.changes, &r.purge);
  BOOST_TEST(r.status.HttpStatus() == 409);
  BOOST_TEST(r.changes.name.value().value() == "untouched");
  BOOST_TEST(!r.changes.properties);
  BOOST_TEST(r.purge);
}

BOOST_AUTO_TEST_CASE(messages_that_echo_client_text_stay_valid_utf8) {
  json body = json::array({{{"op", "remove"}, {"path", "/col\xffor"}}});
  std::vector<v2::PatchOp> ops;
  BOOST_REQUIRE(v2::ParsePatch(body, &ops).ok());
  ImageChanges changes;
  bool purge = false;
  Status s = v2::ApplyPatch(Current(), ops, Project(), {}, &changes, &purge);
  BOOST_TEST(s.HttpStatus() == 409);
  BOOST_TEST(s.message() == "Property col?or does not exist.");
  body = json::array({{{"op", "add"}, {"path", "/os_glance\xff"}, {"value", "x"}}});
  BOOST_REQUIRE(v2::ParsePatch(body, &ops).ok());
  s = v2::ApplyPatch(Current(), ops, Project(), {}, &changes, &purge);
  BOOST_TEST(s.message() == "Attribute 'os_glance?' is reserved.");
  for (const char* path : {"x\xff", "/a/b\xff", "/a~\xff"}) {
    json bad = json::array({{{"op", "remove"}, {"path", path}}});
    s = v2::ParsePatch(bad, &ops);
    BOOST_TEST(s.HttpStatus() == 400);
    BOOST_CHECK_NO_THROW(json(s.message()).dump());
  }
  s = v2::ParsePatch(json::array({{{"op", "mo\xffve"}, {"path", "/x"}}}), &ops);
  BOOST_CHECK_NO_THROW(json(s.message()).dump());
}

BOOST_AUTO_TEST_SUITE_END()
