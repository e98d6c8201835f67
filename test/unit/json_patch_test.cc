// PATCH /v2/images/{id}: media type, patch syntax and its effect on an
// image (v2 contract §5, §15.3).
#include <string>
#include <vector>

#include "v2_patch_helpers.h"

using namespace v2_patch_test;

BOOST_AUTO_TEST_SUITE(json_patch)

BOOST_AUTO_TEST_CASE(media_type) {
  for (const char* ok : {"application/openstack-images-v2.1-json-patch",
                         "application/openstack-images-v2.1-json-patch; charset=UTF-8",
                         "Application/OpenStack-Images-v2.1-JSON-Patch",
                         " application/openstack-images-v2.1-json-patch ;x=y"}) {
    BOOST_TEST(v2::CheckPatchMediaType(ok).ok(), ok);
  }
  for (const char* bad : {"", "application/json", "application/json-patch+json",
                          "application/openstack-images-v2.0-json-patch",
                          "application/openstack-images-v2.1-json-patchx"}) {
    BOOST_TEST(v2::CheckPatchMediaType(bad).HttpStatus() == 415, bad);
  }
}

BOOST_AUTO_TEST_CASE(parses_the_three_ops) {
  std::vector<v2::PatchOp> ops;
  BOOST_TEST(Parse(R"([{"op": "add", "path": "/name", "value": "n"},
      {"op": "replace", "path": "/min_ram", "value": 5},
      {"op": "remove", "path": "/color", "value": "ignored"},
      {"op": "add", "path": "/a~1b~0c~01", "value": null}])", &ops).ok());
  BOOST_REQUIRE(ops.size() == 4u);
  BOOST_TEST((ops[0].kind == Kind::kAdd && ops[0].path == "name" && ops[0].value == "n"));
  BOOST_TEST((ops[1].kind == Kind::kReplace && ops[1].path == "min_ram" && ops[1].value == 5));
  BOOST_TEST((ops[2].kind == Kind::kRemove && ops[2].path == "color" && ops[2].value.is_null()));
  BOOST_TEST(ops[3].path == "a/b~c~1");
  BOOST_TEST(ops[3].value.is_null());
  BOOST_TEST(Parse("[]", &ops).ok());
  BOOST_TEST(ops.empty());
}

BOOST_AUTO_TEST_CASE(tokens_are_stripped_like_upstream) {
  std::vector<v2::PatchOp> ops;
  BOOST_TEST(Parse(R"([{"op": "add", "path": "/ name\t", "value": "n"}])", &ops).ok());
  BOOST_TEST(ops.at(0).path == "name");
}

BOOST_AUTO_TEST_CASE(malformed_patches_are_400) {
  for (const char* body : {
           R"({"op": "add", "path": "/name", "value": "n"})", R"("x")", "null", "[5]", "[[]]",
           R"([{"path": "/name", "value": "n"}])", R"([{"op": "move", "path": "/name"}])",
           R"([{"op": "test", "path": "/name", "value": "n"}])",
           R"([{"op": "copy", "path": "/name", "from": "/x"}])",
           R"([{"op": "ADD", "path": "/name", "value": "n"}])",
           R"([{"op": 1, "path": "/name", "value": "n"}])",
           R"([{"op": "add", "value": "n"}])", R"([{"op": "add", "path": 5, "value": "n"}])",
           R"([{"op": "add", "path": "/name"}])", R"([{"op": "replace", "path": "/name"}])",
           R"([{"op": "add", "path": "name", "value": "n"}])",
           R"([{"op": "add", "path": "", "value": "n"}])",
           R"([{"op": "add", "path": "/", "value": "n"}])",
           R"([{"op": "add", "path": "/ ", "value": "n"}])",
           R"([{"op": "add", "path": "//name", "value": "n"}])",
           R"([{"op": "add", "path": "/name/", "value": "n"}])",
           R"([{"op": "add", "path": "/foo/bar", "value": "n"}])",
           R"([{"op": "remove", "path": "/a/ /b"}])",
           R"([{"op": "add", "path": "/a~2", "value": "n"}])",
           R"([{"op": "add", "path": "/a~", "value": "n"}])",
           R"([{"op": "replace", "path": "/locations/0", "value": []}])",
           R"([{"op": "add", "path": "/locations", "value": []}])",
           R"([{"op": "add", "path": "/name", "value": "n"}, {"op": "nope", "path": "/x"}])"}) {
    BOOST_TEST(Parse(body).HttpStatus() == 400, body);
  }
  BOOST_TEST(Parse(R"([{"op": "move", "path": "/name"}])").message() ==
             "Invalid operation: `move`. It must be one of the following: add, remove, replace.");
  BOOST_TEST(Parse(R"([{"op": "add", "path": "/foo/bar", "value": 1}])").message() ==
             "Invalid JSON pointer for this resource: '/foo/bar'");
  BOOST_TEST(Parse(R"([{"op": "add", "path": "/name"}])").message() ==
             "Operation \"add\" requires a member named \"value\".");
  BOOST_TEST(Parse(R"([{"op": "add", "path": "/", "value": 1}])").message() ==
             "Pointer `/` does not contain a valid token.");
  BOOST_TEST(Parse(R"([{"op": "add", "path": "//x", "value": 1}])").message() ==
             "Pointer `//x` contains adjacent \"/\".");
  BOOST_TEST(Parse(R"([{"op": "add", "path": "/a~2", "value": 1}])").message() ==
             "Pointer `/a~2` contains \"~\" not part of a recognized escape sequence.");
}

BOOST_AUTO_TEST_CASE(read_only_and_reserved_paths_are_403_for_every_op) {
  for (const char* key : {"created_at", "updated_at", "status", "checksum", "size",
                          "virtual_size", "direct_url", "self", "file", "schema", "id",
                          "os_hash_algo", "os_hash_value", "stores"}) {
    for (const char* op : {"add", "replace", "remove"}) {
      std::string body = std::string(R"([{"op": ")") + op + R"(", "path": "/)" + key +
                         R"(", "value": "x"}])";
      Result r = Patch(body.c_str(), Current(), Admin());
      BOOST_TEST(r.status.HttpStatus() == 403, body);
      BOOST_TEST(r.status.message() == "Attribute '" + std::string(key) + "' is read-only.");
    }
  }
  for (const char* key : {"location", "deleted", "deleted_at", "os_glance_stage_host",
                          "os_glance_x"}) {
    for (const char* op : {"add", "replace", "remove"}) {
      std::string body = std::string(R"([{"op": ")") + op + R"(", "path": "/)" + key +
                         R"(", "value": "x"}])";
      Result r = Patch(body.c_str(), Current(), Admin());
      BOOST_TEST(r.status.HttpStatus() == 403, body);
      BOOST_TEST(r.status.message() == "Attribute '" + std::string(key) + "' is reserved.");
    }
  }
  // The locations API's own paths: parsed, then refused.
  Result r = Patch(R"([{"op": "replace", "path": "/locations", "value": []}])");
  BOOST_TEST(r.status.HttpStatus() == 403);
  BOOST_TEST(r.status.message() == "Attribute 'locations' is reserved.");
  BOOST_TEST(Patch(R"([{"op": "add", "path": "/locations/0", "value": {}}])").status.HttpStatus() ==
             403);
  BOOST_TEST(Patch(R"([{"op": "remove", "path": "/locations/0"}])").status.HttpStatus() == 403);
}

BOOST_AUTO_TEST_CASE(schema_violations_are_400) {
  for (const char* body : {
           R"([{"op": "add", "path": "/name", "value": 5}])",
           R"([{"op": "replace", "path": "/visibility", "value": "everyone"}])",
           R"([{"op": "replace", "path": "/protected", "value": "yes"}])",
           R"([{"op": "replace", "path": "/min_ram", "value": -1}])",
           R"([{"op": "replace", "path": "/min_disk", "value": "1"}])",
           R"([{"op": "replace", "path": "/disk_format", "value": "floppy"}])",
           R"([{"op": "replace", "path": "/tags", "value": "a"}])",
           R"([{"op": "replace", "path": "/tags", "value": [5]}])",
           R"([{"op": "add", "path": "/color", "value": 5}])",
           R"([{"op": "add", "path": "/color", "value": null}])",
           R"([{"op": "replace", "path": "/color", "value": ["x"]}])",
           R"([{"op": "add", "path": "/kernel_id", "value": "not-a-uuid"}])",
           R"([{"op": "add", "path": "/os_hidden", "value": null}])"}) {
    BOOST_TEST(Patch(body).status.HttpStatus() == 400, body);
  }
  std::string long_key = R"([{"op": "add", "path": "/)" + std::string(256, 'k') +
                         R"(", "value": "v"}])";
  BOOST_TEST(Patch(long_key.c_str()).status.HttpStatus() == 400);
  std::string long_name = R"([{"op": "add", "path": "/name", "value": ")" +
                          std::string(256, 'n') + R"("}])";
  BOOST_TEST(Patch(long_name.c_str()).status.HttpStatus() == 400);
}

BOOST_AUTO_TEST_CASE(syntax_checks_of_every_op_come_before_any_semantics) {
  // A 409 of the first op loses to the 400 of the second, which loses to
  // nothing before it: upstream's deserializer reads the whole body first.
  Result r = Patch(R"([{"op": "replace", "path": "/missing", "value": "x"},
      {"op": "add", "path": "/name", "value": 5}])");
  BOOST_TEST(r.status.HttpStatus() == 400);
  r = Patch(R"([{"op": "add", "path": "/name", "value": 5},
      {"op": "replace", "path": "/status", "value": "active"}])");
  BOOST_TEST(r.status.HttpStatus() == 400);
  r = Patch(R"([{"op": "replace", "path": "/status", "value": 5}])");
  BOOST_TEST(r.status.HttpStatus() == 403);
}

BOOST_AUTO_TEST_SUITE_END()
