// Image API v2 JSON-patch updates (contract §5) and delete (§11) through
// nginx: add, replace and remove of core keys, properties and tags, the
// media type, malformed and forbidden patches, atomicity, quotas.
#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

// ---------------------------------------------------------------- §5

namespace {

std::string QueuedV2Image(const Api& api, const json& extra = json::object()) {
  json body = {{"name", "v2-patch"}, {"disk_format", "raw"}, {"container_format", "bare"}};
  for (const auto& [key, value] : extra.items()) body[key] = value;
  return V2CreateId(api, body);
}

// The image as it is, minus updated_at (a refused PATCH must not touch it
// either, but a second's resolution cannot show that).
json Shown(const Api& api, const std::string& id) { return V2Get(api, id); }

}  // namespace

BOOST_AUTO_TEST_SUITE(v2_patch)

BOOST_AUTO_TEST_CASE(add_replace_and_remove) {
  Api api = NoAuthStack().api();
  std::string id = QueuedV2Image(api, {{"color", "red"}});
  Reply reply = V2Patch(api, id,
                        json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "renamed"}},
                                     {{"op", "add"}, {"path", "/min_ram"}, {"value", 256}},
                                     {{"op", "add"}, {"path", "/shape"}, {"value", "round"}},
                                     {{"op", "replace"}, {"path", "/color"}, {"value", "blue"}},
                                     {{"op", "add"}, {"path", "/tags"}, {"value", {"x", "y", "x"}}},
                                     {{"op", "replace"}, {"path", "/protected"}, {"value", true}},
                                     {{"op", "replace"}, {"path", "/os_hidden"}, {"value", true}},
                                     {{"op", "replace"}, {"path", "/visibility"}, {"value", "private"}},
                                     {{"op", "replace"}, {"path", "/min_disk"}, {"value", 4}},
                                     {{"op", "replace"}, {"path", "/disk_format"}, {"value", "qcow2"}},
                                     {{"op", "replace"}, {"path", "/container_format"}, {"value", "ovf"}}}));
  BOOST_TEST_REQUIRE(reply.status == 200, reply.Describe());
  BOOST_TEST(reply.Header("Content-Type").find("application/json") != std::string::npos);
  json image = reply.Json();
  BOOST_TEST(S(image, "name") == "renamed");
  BOOST_TEST(S(image, "min_ram") == "<256>");
  BOOST_TEST(S(image, "shape") == "round");
  BOOST_TEST(S(image, "color") == "blue");
  BOOST_TEST(image["tags"].size() == 2u, image["tags"].dump());
  BOOST_TEST(S(image, "protected") == "<true>");
  BOOST_TEST(S(image, "os_hidden") == "<true>");
  BOOST_TEST(S(image, "visibility") == "private");
  BOOST_TEST(S(image, "min_disk") == "<4>");
  BOOST_TEST(S(image, "disk_format") == "qcow2");
  BOOST_TEST(S(image, "container_format") == "ovf");
  for (const std::string& key : V2ImageKeys()) BOOST_TEST(image.contains(key), "PATCH answer lacks " << key);
  BOOST_TEST((V2Get(api, id) == image), "GET disagrees with the PATCH answer");

  // add on an existing key replaces it (what openstacksdk sends); remove
  // deletes a property; name may become null; tags may be emptied.
  Reply second = V2Patch(api, id,
                         json::array({{{"op", "add"}, {"path", "/shape"}, {"value", "square"}},
                                      {{"op", "add"}, {"path", "/name"}, {"value", "added"}},
                                      {{"op", "remove"}, {"path", "/color"}},
                                      {{"op", "replace"}, {"path", "/tags"}, {"value", json::array()}},
                                      {{"op", "replace"}, {"path", "/protected"}, {"value", false}}}));
  BOOST_TEST_REQUIRE(second.status == 200, second.Describe());
  image = second.Json();
  BOOST_TEST(S(image, "shape") == "square");
  BOOST_TEST(S(image, "name") == "added");
  BOOST_TEST(!image.contains("color"), image.dump());
  BOOST_TEST((image["tags"] == json::array()));
  Reply nulled = V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/name"}, {"value", nullptr}}}));
  BOOST_TEST_REQUIRE(nulled.status == 200, nulled.Describe());
  BOOST_TEST(S(nulled.Json(), "name") == "<null>");
  // Every visibility (noauth may publicize), and back.
  for (const char* visibility : {"public", "community", "shared", "private"}) {
    Reply changed = V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/visibility"}, {"value", visibility}}}));
    BOOST_TEST(changed.status == 200, visibility << ": " << changed.Describe());
    if (changed.status == 200) BOOST_TEST(S(changed.Json(), "visibility") == visibility);
  }
}

BOOST_AUTO_TEST_CASE(an_empty_patch_changes_nothing) {
  Api api = NoAuthStack().api();
  std::string id = QueuedV2Image(api);
  json before = Shown(api, id);
  Reply reply = V2Patch(api, id, json::array());
  BOOST_TEST_REQUIRE(reply.status == 200, reply.Describe());
  BOOST_TEST(S(reply.Json(), "name") == "v2-patch");
  json after = Shown(api, id);
  after.erase("updated_at");
  before.erase("updated_at");
  BOOST_TEST((after == before));
}

BOOST_AUTO_TEST_CASE(only_the_json_patch_media_type_is_accepted) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = QueuedV2Image(api);
  json ops = json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "never"}}});
  for (const std::string& type : {std::string(), std::string("application/json"),
                                  std::string("application/json-patch+json"), std::string("text/plain"),
                                  std::string("application/openstack-images-v2.1-json-patch-x"),
                                  std::string("application/openstack-images-v9-json-patch")}) {
    std::string before = stack.Fingerprint();
    Reply reply = V2Patch(api, id, ops, type);
    ExpectRefusal(reply, 415, "PATCH with Content-Type '" + type + "'");
    std::string accept_patch = reply.Header("Accept-Patch");
    BOOST_TEST(accept_patch.find("application/openstack-images-v2.1-json-patch") != std::string::npos,
               "Accept-Patch: " << accept_patch);
    BOOST_TEST(stack.Fingerprint() == before, type << ": the image changed");
  }
  BOOST_TEST(S(V2Get(api, id), "name") == "v2-patch");
  // Parameters of the media type are ignored.
  Reply charset = V2Patch(api, id, ops, std::string(kV2PatchType) + "; charset=UTF-8");
  BOOST_TEST(charset.status == 200, charset.Describe());
}

BOOST_AUTO_TEST_CASE(malformed_patches_are_400) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = QueuedV2Image(api, {{"color", "red"}});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"malformed JSON", "[{\"op\": "},
      {"an object, not an array", R"({"op": "replace", "path": "/name", "value": "x"})"},
      {"a string", R"("replace")"},
      {"an element not an object", R"(["replace"])"},
      {"no op", R"([{"path": "/name", "value": "x"}])"},
      {"op move", R"([{"op": "move", "from": "/name", "path": "/color"}])"},
      {"op copy", R"([{"op": "copy", "from": "/name", "path": "/color"}])"},
      {"op test", R"([{"op": "test", "path": "/name", "value": "v2-patch"}])"},
      {"op not a string", R"([{"op": 1, "path": "/name", "value": "x"}])"},
      {"no path", R"([{"op": "replace", "value": "x"}])"},
      {"path not a string", R"([{"op": "replace", "path": 5, "value": "x"}])"},
      {"add without value", R"([{"op": "add", "path": "/color"}])"},
      {"replace without value", R"([{"op": "replace", "path": "/name"}])"},
      {"path without a slash", R"([{"op": "replace", "path": "name", "value": "x"}])"},
      {"path //", R"([{"op": "add", "path": "//", "value": "x"}])"},
      {"trailing slash", R"([{"op": "replace", "path": "/name/", "value": "x"}])"},
      {"two tokens", R"([{"op": "add", "path": "/color/deep", "value": "x"}])"},
      {"the path /", R"([{"op": "add", "path": "/", "value": "x"}])"},
      {"an empty path", R"([{"op": "add", "path": "", "value": "x"}])"},
      {"a bad escape", R"([{"op": "add", "path": "/a~2b", "value": "x"}])"},
      {"a lone ~", R"([{"op": "add", "path": "/a~", "value": "x"}])"},
      {"an empty body", ""},
  };
  json before = Shown(api, id);
  for (const auto& [what, body] : cases) {
    std::string fingerprint = stack.Fingerprint();
    ExpectRefusal(api.Send("PATCH", "/v2/images/" + id, {}, body, kV2PatchType), 400, what);
    BOOST_TEST(stack.Fingerprint() == fingerprint, what << ": the catalogue changed");
  }
  BOOST_TEST((Shown(api, id) == before));
}

BOOST_AUTO_TEST_CASE(read_only_reserved_and_core_removals_are_403) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = QueuedV2Image(api, {{"color", "red"}});
  std::vector<json> ops;
  for (const char* key : {"created_at", "updated_at", "status", "checksum", "size", "virtual_size", "direct_url",
                          "self", "file", "schema", "id", "os_hash_algo", "os_hash_value"}) {
    for (const char* op : {"add", "replace", "remove"}) {
      json one = {{"op", op}, {"path", std::string("/") + key}};
      if (std::string(op) != "remove") one["value"] = key == std::string("size") ? json(5) : json("x");
      ops.push_back(one);
    }
  }
  for (const char* key : {"location", "deleted", "deleted_at", "os_glance_import"}) {
    ops.push_back({{"op", "add"}, {"path", std::string("/") + key}, {"value", "x"}});
  }
  for (const char* key : {"name", "visibility", "owner", "min_ram", "min_disk", "tags", "protected", "disk_format",
                          "container_format", "os_hidden"}) {
    ops.push_back({{"op", "remove"}, {"path", std::string("/") + key}});
  }
  for (const json& op : ops) {
    std::string before = stack.Fingerprint();
    ExpectRefusal(V2Patch(api, id, json::array({op})), 403, op.dump());
    BOOST_TEST(stack.Fingerprint() == before, op.dump() << ": the catalogue changed");
  }
}

BOOST_AUTO_TEST_CASE(missing_properties_are_409) {
  Api api = NoAuthStack().api();
  std::string id = QueuedV2Image(api);
  ExpectRefusal(V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/nothing"}, {"value", "x"}}})), 409,
                "replace of a missing property");
  ExpectRefusal(V2Patch(api, id, json::array({{{"op", "remove"}, {"path", "/nothing"}}})), 409,
                "remove of a missing property");
  BOOST_TEST(!V2Get(api, id).contains("nothing"));
}

BOOST_AUTO_TEST_CASE(schema_violations_are_400) {
  Api api = NoAuthStack().api();
  std::string id = QueuedV2Image(api);
  json before = Shown(api, id);
  for (const json& op : std::vector<json>{
           {{"op", "add"}, {"path", "/color"}, {"value", 5}},
           {{"op", "add"}, {"path", "/color"}, {"value", nullptr}},
           {{"op", "add"}, {"path", "/color"}, {"value", {"red"}}},
           {{"op", "replace"}, {"path", "/min_ram"}, {"value", -1}},
           {{"op", "replace"}, {"path", "/min_disk"}, {"value", "5"}},
           {{"op", "replace"}, {"path", "/visibility"}, {"value", "everyone"}},
           {{"op", "replace"}, {"path", "/disk_format"}, {"value", "floppy"}},
           {{"op", "replace"}, {"path", "/container_format"}, {"value", "crate"}},
           {{"op", "replace"}, {"path", "/name"}, {"value", std::string(256, 'n')}},
           {{"op", "replace"}, {"path", "/protected"}, {"value", "yes"}},
           {{"op", "replace"}, {"path", "/tags"}, {"value", "x"}},
           {{"op", "replace"}, {"path", "/tags"}, {"value", {std::string(256, 't')}}},
           {{"op", "add"}, {"path", "/kernel_id"}, {"value", "not-a-uuid"}},
           {{"op", "add"}, {"path", "/" + std::string(256, 'k')}, {"value", "v"}}}) {
    ExpectRefusal(V2Patch(api, id, json::array({op})), 400, op.dump().substr(0, 120));
  }
  BOOST_TEST((Shown(api, id) == before));
}

BOOST_AUTO_TEST_CASE(a_patch_is_atomic) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = QueuedV2Image(api, {{"color", "red"}});
  json before = Shown(api, id);
  const json good = json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "half-done"}},
                                 {{"op", "add"}, {"path", "/shape"}, {"value", "round"}},
                                 {{"op", "remove"}, {"path", "/color"}},
                                 {{"op", "add"}, {"path", "/tags"}, {"value", {"t"}}}});
  for (const auto& [status, last] : std::vector<std::pair<int, json>>{
           {400, {{"op", "add"}, {"path", "/min_ram"}, {"value", -5}}},
           {403, {{"op", "replace"}, {"path", "/status"}, {"value", "active"}}},
           {409, {{"op", "remove"}, {"path", "/nothing"}}},
           {400, {{"op", "move"}, {"path", "/x"}}}}) {
    json ops = good;
    ops.push_back(last);
    std::string fingerprint = stack.Fingerprint();
    ExpectRefusal(V2Patch(api, id, ops), status, "good operations then " + last.dump());
    BOOST_TEST(stack.Fingerprint() == fingerprint, last.dump() << ": part of the patch was saved");
  }
  BOOST_TEST((Shown(api, id) == before), Shown(api, id).dump());
}

BOOST_AUTO_TEST_CASE(escaped_pointer_tokens_name_properties) {
  Api api = NoAuthStack().api();
  std::string id = QueuedV2Image(api);
  Reply reply = V2Patch(api, id, json::array({{{"op", "add"}, {"path", "/a~1b"}, {"value", "slash"}},
                                              {{"op", "add"}, {"path", "/c~0d"}, {"value", "tilde"}},
                                              {{"op", "add"}, {"path", "/owner_specified.openstack.md5"}, {"value", ""}}}));
  BOOST_TEST_REQUIRE(reply.status == 200, reply.Describe());
  json image = reply.Json();
  BOOST_TEST(S(image, "a/b") == "slash", image.dump());
  BOOST_TEST(S(image, "c~d") == "tilde", image.dump());
  BOOST_TEST(S(image, "owner_specified.openstack.md5") == "");
  Reply removed = V2Patch(api, id, json::array({{{"op", "remove"}, {"path", "/a~1b"}}}));
  BOOST_TEST_REQUIRE(removed.status == 200, removed.Describe());
  BOOST_TEST(!removed.Json().contains("a/b"));
}

BOOST_AUTO_TEST_CASE(formats_are_fixed_once_the_image_has_data) {
  Api api = NoAuthStack().api();
  std::string id = V2ActiveImage(api, {{"name", "v2-fixed-formats"}}, "some data");
  ExpectRefusal(V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/disk_format"}, {"value", "qcow2"}}})),
                403, "disk_format of an active image");
  ExpectRefusal(V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/container_format"}, {"value", "ovf"}}})),
                403, "container_format of an active image");
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "disk_format") == "raw");
  // Everything else still changes.
  Reply renamed = V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "still-mine"}}}));
  BOOST_TEST(renamed.status == 200, renamed.Describe());
}

BOOST_AUTO_TEST_CASE(unknown_and_deleted_images_are_404) {
  Api api = NoAuthStack().api();
  std::string gone = QueuedV2Image(api);
  BOOST_TEST_REQUIRE(api.Delete("/v2/images/" + gone).status == 204);
  json ops = json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "x"}}});
  for (const std::string& id : {gone, RandomUuid(), std::string("not-a-uuid")}) {
    ExpectRefusal(V2Patch(api, id, ops), 404, "PATCH " + id);
  }
}

BOOST_AUTO_TEST_CASE(property_quota_is_413) {
  Api api = NoAuthStack().api();
  json body = {{"name", "v2-patch-quota"}};
  for (int i = 0; i < 128; ++i) body["p" + std::to_string(i)] = "v";
  std::string id = V2CreateId(api, body);
  ExpectRefusal(V2Patch(api, id, json::array({{{"op", "add"}, {"path", "/one_more"}, {"value", "v"}}})), 413,
                "the 129th property");
  // Replacing one keeps the count.
  Reply replaced = V2Patch(api, id, json::array({{{"op", "add"}, {"path", "/p0"}, {"value", "w"}}}));
  BOOST_TEST(replaced.status == 200, replaced.Describe());
  // Removing one then adding one in the same patch fits.
  Reply swapped = V2Patch(api, id, json::array({{{"op", "remove"}, {"path", "/p1"}},
                                                {{"op", "add"}, {"path", "/other"}, {"value", "v"}}}));
  BOOST_TEST(swapped.status == 200, swapped.Describe());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- §11

BOOST_AUTO_TEST_SUITE(v2_delete)

BOOST_AUTO_TEST_CASE(delete_answers_204_and_the_image_is_gone_everywhere) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string queued = V2CreateId(api, {{"name", "v2-delete-queued"}});
  std::string active = V2ActiveImage(api, {{"name", "v2-delete-active"}}, RandomBytes(5000, 31));
  BOOST_TEST_REQUIRE(HasStoredData(stack, active));
  for (const std::string& id : {queued, active}) {
    Reply deleted = api.Delete("/v2/images/" + id);
    BOOST_TEST(deleted.status == 204, deleted.Describe());
    BOOST_TEST(deleted.body.empty());
    ExpectRefusal(V2Show(api, id), 404, "GET after delete");
    ExpectRefusal(V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "x"}}})), 404,
                  "PATCH after delete");
    ExpectRefusal(api.Get("/v2/images/" + id + "/file"), 404, "download after delete");
    ExpectRefusal(V2Upload(api, id, "late data"), 404, "upload after delete");
    ExpectRefusal(api.Put("/v2/images/" + id + "/tags/late", {}, "", ""), 404, "tag after delete");
    ExpectRefusal(api.Delete("/v2/images/" + id), 404, "DELETE again");
    CheckNoDataLeft(stack, id);
  }
}

BOOST_AUTO_TEST_CASE(a_protected_image_is_not_deleted) {
  Api api = NoAuthStack().api();
  std::string id = V2ActiveImage(api, {{"name", "v2-protected"}, {"protected", true}}, "keep");
  ExpectRefusal(api.Delete("/v2/images/" + id), 403, "DELETE of a protected image");
  BOOST_TEST(S(V2Get(api, id), "status") == "active");
  BOOST_TEST(api.Get("/v2/images/" + id + "/file").body == "keep");
  Reply unprotected = V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/protected"}, {"value", false}}}));
  BOOST_TEST_REQUIRE(unprotected.status == 200, unprotected.Describe());
  BOOST_TEST(api.Delete("/v2/images/" + id).status == 204);
}

BOOST_AUTO_TEST_SUITE_END()
