// Image API v2 through nginx (contract image-api-v2-core.md): versions and
// negotiation (§1), schemas (§9) and create (§3).  Show and list are in
// v2_list_test.cc, JSON-patch updates and delete in v2_patch_test.cc.
#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

namespace {

// object[key], or null when object is not an object or lacks key.
json At(const json& object, const std::string& key) {
  return object.is_object() && object.contains(key) ? object.at(key) : json();
}

}  // namespace

// ---------------------------------------------------------------- §1

BOOST_AUTO_TEST_SUITE(v2_versions)

BOOST_AUTO_TEST_CASE(versions_document_lists_v2_current_and_v1) {
  Stack& stack = NoAuthStack();
  const std::string base = "http://127.0.0.1:" + std::to_string(stack.api_port());
  for (const auto& [path, status] : std::vector<std::pair<std::string, int>>{{"/", 300}, {"/versions", 200}}) {
    Reply reply = stack.api().Get(path);
    BOOST_TEST_REQUIRE(reply.status == status, path << ": " << reply.Describe());
    BOOST_TEST(reply.Header("Content-Type").find("application/json") != std::string::npos);
    json body = reply.Json();
    std::map<std::string, std::string> status_of;
    for (const auto& version : At(body, "versions")) {
      std::string id = S(version, "id");
      status_of[id] = S(version, "status");
      json link = At(version, "links").is_array() && !version["links"].empty() ? version["links"][0] : json();
      std::string href = S(link, "href");
      BOOST_TEST(S(link, "rel") == "self", id);
      if (id.rfind("v2.", 0) == 0) {
        BOOST_TEST(href == base + "/v2/", path << " " << id << ": " << href);
      } else {
        BOOST_TEST(href == base + "/v1/", path << " " << id << ": " << href);
      }
    }
    // v2.9 CURRENT (nothing else CURRENT), down to v2.0; v1 still listed.
    BOOST_TEST(status_of["v2.9"] == "CURRENT", reply.body);
    int current = 0;
    for (const auto& [id, s] : status_of) current += s == "CURRENT";
    BOOST_TEST(current == 1, reply.body);
    for (const char* id : {"v2.0", "v2.1", "v2.2", "v2.3", "v2.4", "v2.5", "v2.6", "v2.7", "v1.1", "v1.0"}) {
      BOOST_TEST(status_of.count(id) == 1u, path << " lacks " << id << ": " << reply.body);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_v2_segment_routes_to_v2) {
  Api api = NoAuthStack().api();
  for (const char* segment : {"/v2", "/v2.0", "/v2.1", "/v2.3", "/v2.5", "/v2.7", "/v2.9"}) {
    Reply reply = api.Get(std::string(segment) + "/images?limit=1");
    BOOST_TEST_REQUIRE(reply.status == 200, segment << ": " << reply.Describe());
    json body = reply.Json();
    BOOST_TEST(body["images"].is_array(), segment);
    BOOST_TEST(body.value("schema", "") == "/v2/schemas/images", segment << ": " << reply.body.substr(0, 200));
    Reply schema = api.Get(std::string(segment) + "/schemas/image");
    BOOST_TEST(schema.status == 200, segment << ": " << schema.Describe());
  }
  // v1 keeps its own routes (v2 contract §1.1 decision).
  Reply v1 = api.Get("/v1/images");
  BOOST_TEST(v1.status == 200, v1.Describe());
  BOOST_TEST(!v1.Json().contains("schema"), v1.body.substr(0, 200));
}

BOOST_AUTO_TEST_CASE(v2_redirects_to_v2_slash_which_is_404) {
  Stack& stack = NoAuthStack();
  Reply bare = stack.api().Get("/v2");
  BOOST_TEST(bare.status == 302, bare.Describe());
  std::string location = bare.Header("Location");
  BOOST_TEST((location == "http://127.0.0.1:" + std::to_string(stack.api_port()) + "/v2/" || location == "/v2/"),
             "Location: " << location);
  Reply index = stack.api().Get("/v2/");
  ExpectRefusal(index, 404, "GET /v2/");
}

BOOST_AUTO_TEST_CASE(vendor_accept_header_selects_v2) {
  Api api = NoAuthStack().api();
  for (const char* accept : {"application/vnd.openstack.images-v2", "application/vnd.openstack.images-v2.1"}) {
    Reply reply = api.Get("/images?limit=1", {{"Accept", accept}});
    BOOST_TEST_REQUIRE(reply.status == 200, accept << ": " << reply.Describe());
    BOOST_TEST(reply.Json().value("schema", "") == "/v2/schemas/images", accept << ": " << reply.body.substr(0, 200));
  }
}

BOOST_AUTO_TEST_CASE(every_v2_answer_carries_a_request_id) {
  Api api = NoAuthStack().api();
  std::string id = V2CreateId(api, {{"name", "v2-reqid"}});
  std::vector<std::pair<std::string, Reply>> replies = {
      {"list", api.Get("/v2/images?limit=1")},
      {"show", V2Show(api, id)},
      {"schema", api.Get("/v2/schemas/image")},
      {"404", V2Show(api, RandomUuid())},
      {"400", api.Get("/v2/images?limit=x")},
      {"405", api.Send("PUT", "/v2/images", {})},
      {"204", api.Put("/v2/images/" + id + "/tags/t", {}, "", "")},
      {"download 204", api.Get("/v2/images/" + id + "/file")},
  };
  for (const auto& [what, reply] : replies) {
    BOOST_TEST(reply.Header("x-openstack-request-id").rfind("req-", 0) == 0u, what << ": " << reply.Describe());
  }
  Reply echoed = api.Get("/v2/images/" + id, {{"X-Openstack-Request-Id", "e2e-v2-abc"}});
  BOOST_TEST(echoed.Header("x-openstack-request-id") == "req-e2e-v2-abc", echoed.Describe());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- §9

BOOST_AUTO_TEST_SUITE(v2_schemas)

BOOST_AUTO_TEST_CASE(image_schema_describes_every_field) {
  Api api = NoAuthStack().api();
  Reply reply = api.Get("/v2/schemas/image");
  BOOST_TEST_REQUIRE(reply.status == 200, reply.Describe());
  BOOST_TEST(reply.Header("Content-Type").find("application/json") != std::string::npos);
  json schema = reply.Json();
  BOOST_TEST(schema.value("name", "") == "image");
  BOOST_TEST((schema["additionalProperties"] == json{{"type", "string"}}), schema["additionalProperties"].dump());
  const json props = At(schema, "properties");
  for (const std::string& key : V2ImageKeys()) BOOST_TEST(props.contains(key), "schema lacks " << key);
  for (const char* key : {"status", "checksum", "size", "virtual_size", "created_at", "updated_at", "self", "file",
                          "schema", "os_hash_algo", "os_hash_value"}) {
    BOOST_TEST((At(At(props, key), "readOnly") == true), key << " is not readOnly: " << At(props, key).dump());
  }
  for (const char* key : {"name", "visibility", "protected", "min_ram", "tags", "disk_format"}) {
    BOOST_TEST((At(At(props, key), "readOnly") != true), key << " is readOnly");
  }
  BOOST_TEST((At(At(props, "disk_format"), "enum") == json::array({nullptr, "ami", "ari", "aki", "vhd", "vhdx", "vmdk",
                                                                  "raw", "qcow2", "vdi", "iso", "ploop"})),
             At(props, "disk_format").dump());
  BOOST_TEST((At(At(props, "container_format"), "enum") ==
              json::array({nullptr, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"})),
             At(props, "container_format").dump());
  std::set<std::string> visibilities, statuses;
  for (const auto& v : At(At(props, "visibility"), "enum")) visibilities.insert(v.dump());
  BOOST_TEST((visibilities == std::set<std::string>{"\"public\"", "\"private\"", "\"shared\"", "\"community\""}));
  for (const auto& v : At(At(props, "status"), "enum")) statuses.insert(v.dump());
  for (const char* s : {"queued", "saving", "active", "killed", "deleted", "pending_delete"}) {
    BOOST_TEST(statuses.count(json(s).dump()) == 1u, "status enum lacks " << s);
  }
  BOOST_TEST((At(At(props, "name"), "maxLength") == 255));
  BOOST_TEST((At(At(At(props, "tags"), "items"), "maxLength") == 255));
  BOOST_TEST((At(At(props, "checksum"), "maxLength") == 32));
  BOOST_TEST((At(At(props, "os_hash_algo"), "maxLength") == 64));
  BOOST_TEST((At(At(props, "os_hash_value"), "maxLength") == 128));
  BOOST_TEST(At(props, "id").contains("pattern"));
  std::map<std::string, std::string> links;
  for (const auto& link : schema["links"]) links[link.value("rel", "")] = link.value("href", "");
  BOOST_TEST((links == std::map<std::string, std::string>{
                           {"self", "{self}"}, {"enclosure", "{file}"}, {"describedby", "{schema}"}}),
             schema["links"].dump());

  // What glanceclient needs: every key of a real image is in the schema,
  // or a string (additionalProperties).
  std::string id = V2ActiveImage(api, {{"name", "v2-schema-check"}, {"os_distro", "debian"}}, "data");
  json image = V2Get(api, id);
  for (const auto& [key, value] : image.items()) {
    BOOST_TEST((props.contains(key) || value.is_string()), key << " = " << value.dump() << " fits no schema rule");
  }
}

BOOST_AUTO_TEST_CASE(images_member_and_members_schemas) {
  Api api = NoAuthStack().api();
  Reply images_reply = api.Get("/v2/schemas/images");
  BOOST_TEST_REQUIRE(images_reply.status == 200, images_reply.Describe());
  json images = images_reply.Json();
  BOOST_TEST(S(images, "name") == "images");
  json listed = At(At(images, "properties"), "images");
  BOOST_TEST(S(listed, "type") == "array");
  BOOST_TEST(S(At(listed, "items"), "name") == "image", images.dump().substr(0, 300));
  for (const char* key : {"first", "next", "schema"}) BOOST_TEST(At(images, "properties").contains(key), key);
  std::set<std::string> rels;
  for (const auto& link : At(images, "links")) rels.insert(S(link, "rel"));
  BOOST_TEST((rels == std::set<std::string>{"first", "next", "describedby"}), At(images, "links").dump());

  Reply member_reply = api.Get("/v2/schemas/member");
  BOOST_TEST_REQUIRE(member_reply.status == 200, member_reply.Describe());
  json member = member_reply.Json();
  BOOST_TEST(S(member, "name") == "member");
  for (const char* key : {"member_id", "image_id", "status", "created_at", "updated_at", "schema"}) {
    BOOST_TEST(At(member, "properties").contains(key), "member schema lacks " << key);
  }
  BOOST_TEST((At(At(At(member, "properties"), "status"), "enum") == json::array({"pending", "accepted", "rejected"})),
             member_reply.body);
  Reply members_reply = api.Get("/v2/schemas/members");
  BOOST_TEST_REQUIRE(members_reply.status == 200, members_reply.Describe());
  json members = members_reply.Json();
  BOOST_TEST(S(members, "name") == "members");
  BOOST_TEST(S(At(At(members, "properties"), "members"), "type") == "array");
  BOOST_TEST(S(At(At(At(members, "properties"), "members"), "items"), "name") == "member", members_reply.body);
  ExpectRefusal(api.Get("/v2/schemas/nothing"), 404, "GET /v2/schemas/nothing");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- §3

BOOST_AUTO_TEST_SUITE(v2_create)

BOOST_AUTO_TEST_CASE(create_answers_201_with_the_whole_image_and_its_location) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  Reply reply = V2Create(api, {{"name", "v2-create"}, {"disk_format", "raw"}, {"container_format", "bare"},
                               {"purpose", "fields"}, {"os_distro", "debian"}});
  BOOST_TEST_REQUIRE(reply.status == 201, reply.Describe());
  BOOST_TEST(reply.Header("Content-Type").find("application/json") != std::string::npos);
  BOOST_TEST(reply.Header("x-openstack-request-id").rfind("req-", 0) == 0u);
  BOOST_TEST(!reply.Has("OpenStack-image-import-methods"), "no import API, no import header");
  json image = reply.Json();
  std::string id = image.value("id", "");
  BOOST_TEST_REQUIRE(LooksLikeUuid(id), reply.body);
  BOOST_TEST(reply.Header("Location") == "http://127.0.0.1:" + std::to_string(stack.api_port()) + "/v2/images/" + id);
  std::set<std::string> keys;
  for (const auto& [key, value] : image.items()) keys.insert(key);
  std::set<std::string> expected(V2ImageKeys().begin(), V2ImageKeys().end());
  expected.insert({"purpose", "os_distro"});
  BOOST_TEST((keys == expected), image.dump());
  BOOST_TEST(S(image, "name") == "v2-create");
  BOOST_TEST(S(image, "status") == "queued");
  BOOST_TEST(S(image, "visibility") == "shared");
  BOOST_TEST(S(image, "protected") == "<false>");
  BOOST_TEST(S(image, "os_hidden") == "<false>");
  for (const char* key : {"checksum", "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size"}) {
    BOOST_TEST(S(image, key) == "<null>", key << ": " << image.dump());
  }
  BOOST_TEST(S(image, "min_ram") == "<0>");
  BOOST_TEST(S(image, "min_disk") == "<0>");
  BOOST_TEST(S(image, "disk_format") == "raw");
  BOOST_TEST(S(image, "container_format") == "bare");
  BOOST_TEST((image["tags"] == json::array()));
  BOOST_TEST(S(image, "self") == "/v2/images/" + id);
  BOOST_TEST(S(image, "file") == "/v2/images/" + id + "/file");
  BOOST_TEST(S(image, "schema") == "/v2/schemas/image");
  BOOST_TEST(LooksLikeV2Time(S(image, "created_at")), S(image, "created_at"));
  BOOST_TEST(LooksLikeV2Time(S(image, "updated_at")), S(image, "updated_at"));
  BOOST_TEST(S(image, "purpose") == "fields");
  BOOST_TEST(S(image, "os_distro") == "debian");
  // GET shows the same image.
  json shown = V2Get(api, id);
  BOOST_TEST((shown == image), shown.dump() << "\nvs\n" << image.dump());
}

BOOST_AUTO_TEST_CASE(create_takes_every_core_key) {
  Api api = NoAuthStack().api();
  const std::string id = RandomUuid(), kernel = RandomUuid();
  json body = {{"id", id},          {"name", "v2-create-all"}, {"visibility", "private"},
               {"protected", true}, {"os_hidden", true},       {"min_ram", 512},
               {"min_disk", 3},     {"owner", "someone-" + NewRunTag()},
               {"disk_format", "qcow2"}, {"container_format", "ovf"},
               {"tags", {"b", "a", "b"}}, {"kernel_id", kernel}, {"architecture", "x86_64"}};
  Reply reply = V2Create(api, body);
  BOOST_TEST_REQUIRE(reply.status == 201, reply.Describe());
  json image = reply.Json();
  BOOST_TEST(S(image, "id") == id);
  BOOST_TEST(S(image, "visibility") == "private");
  BOOST_TEST(S(image, "protected") == "<true>");
  BOOST_TEST(S(image, "os_hidden") == "<true>");
  BOOST_TEST(S(image, "min_ram") == "<512>");
  BOOST_TEST(S(image, "min_disk") == "<3>");
  BOOST_TEST(S(image, "owner") == body["owner"].get<std::string>(), "an admin may pass owner");
  BOOST_TEST(S(image, "disk_format") == "qcow2");
  BOOST_TEST(S(image, "container_format") == "ovf");
  std::set<std::string> tags;
  for (const auto& tag : image["tags"]) tags.insert(tag.get<std::string>());
  BOOST_TEST((tags == std::set<std::string>{"a", "b"}), image["tags"].dump());
  BOOST_TEST(image["tags"].size() == 2u, "duplicate tags collapse");
  BOOST_TEST(S(image, "kernel_id") == kernel);
  BOOST_TEST(S(image, "architecture") == "x86_64");
  // Every visibility; noauth is an admin and may publicize (v2 contract §10).
  for (const char* visibility : {"public", "private", "shared", "community"}) {
    Reply made = V2Create(api, {{"name", "v2-vis"}, {"visibility", visibility}});
    BOOST_TEST(made.status == 201, visibility << ": " << made.Describe());
    if (made.status == 201) BOOST_TEST(S(made.Json(), "visibility") == visibility);
  }
  // An empty body is an image with every default.
  Reply empty = V2Create(api, json::object());
  BOOST_TEST_REQUIRE(empty.status == 201, empty.Describe());
  BOOST_TEST(S(empty.Json(), "name") == "<null>");
}

BOOST_AUTO_TEST_CASE(the_request_content_type_is_not_checked) {
  Api api = NoAuthStack().api();
  for (const std::string& type : {std::string(), std::string("text/plain"), std::string("application/octet-stream")}) {
    Reply reply = api.Send("POST", "/v2/images", {}, R"({"name": "v2-any-type"})", type);
    BOOST_TEST(reply.status == 201, "Content-Type '" << type << "': " << reply.Describe());
  }
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_400_and_create_nothing) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  for (const std::string& body : std::vector<std::string>{
           "", "{", "{\"name\": }", "nul", "42", "\"a string\"", "null", "true", "[]", "[{\"name\": \"x\"}]",
           "{\"name\": \"x\"} trailing", "{\"name\": \"x\",}"}) {
    std::string before = stack.Fingerprint();
    Reply reply = api.Send("POST", "/v2/images", {}, body, "application/json");
    ExpectRefusal(reply, 400, "POST body '" + body + "'");
    BOOST_TEST(stack.Fingerprint() == before, "POST body '" << body << "' changed the catalogue");
  }
}

BOOST_AUTO_TEST_CASE(schema_violations_are_400_and_create_nothing) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  const std::vector<std::pair<std::string, json>> cases = {
      {"integer property", {{"color", 5}}},
      {"null property", {{"color", nullptr}}},
      {"boolean property", {{"color", true}}},
      {"list property", {{"color", {"red"}}}},
      {"object property", {{"color", {{"r", 1}}}}},
      {"unknown disk_format", {{"disk_format", "floppy"}}},
      {"unknown container_format", {{"container_format", "crate"}}},
      {"unknown visibility", {{"visibility", "everyone"}}},
      {"min_ram as a string", {{"min_ram", "5"}}},
      {"min_ram fractional", {{"min_ram", 1.5}}},
      {"negative min_ram", {{"min_ram", -1}}},
      {"negative min_disk", {{"min_disk", -1}}},
      {"min_disk over the column", {{"min_disk", 2147483648LL}}},
      {"protected as a string", {{"protected", "yes"}}},
      {"os_hidden as a string", {{"os_hidden", "no"}}},
      {"tags not a list", {{"tags", "a"}}},
      {"tags of numbers", {{"tags", {1, 2}}}},
      {"a 256-character tag", {{"tags", {std::string(256, 't')}}}},
      {"a 256-character name", {{"name", std::string(256, 'n')}}},
      {"name a number", {{"name", 7}}},
      {"id not a UUID", {{"id", "not-a-uuid"}}},
      {"kernel_id not a UUID", {{"kernel_id", "vmlinuz"}}},
      {"ramdisk_id not a UUID", {{"ramdisk_id", "initrd"}}},
      {"a 256-character key", {{std::string(256, 'k'), "v"}}},
      {"owner a number", {{"owner", 5}}},
  };
  for (const auto& [what, body] : cases) {
    std::string before = stack.Fingerprint();
    json full = body;
    if (!full.contains("name")) full["name"] = "v2-invalid";
    ExpectRefusal(V2Create(api, full), 400, what);
    BOOST_TEST(stack.Fingerprint() == before, what << ": the catalogue changed");
  }
}

BOOST_AUTO_TEST_CASE(read_only_and_reserved_keys_are_403) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  const std::vector<std::pair<std::string, json>> cases = {
      {"status", "active"},       {"checksum", std::string(32, 'a')}, {"size", 5},
      {"virtual_size", 5},        {"created_at", "2020-01-01T00:00:00Z"},
      {"updated_at", "2020-01-01T00:00:00Z"},                        {"self", "/v2/images/x"},
      {"file", "/v2/images/x/file"},                                 {"schema", "/v2/schemas/image"},
      {"direct_url", "http://example.com/x"},                        {"stores", "file"},
      {"location", "http://example.com/x"},                          {"locations", json::array()},
      {"deleted", true},          {"deleted_at", "2020-01-01T00:00:00Z"},
      {"os_glance_import_task", "x"},                                {"os_hash_algo", "sha512"},
      {"os_hash_value", std::string(128, 'a')},
  };
  for (const auto& [key, value] : cases) {
    std::string before = stack.Fingerprint();
    ExpectRefusal(V2Create(api, {{"name", "v2-forbidden"}, {key, value}}), 403, "create with " + key);
    BOOST_TEST(stack.Fingerprint() == before, key << ": the catalogue changed");
  }
}

BOOST_AUTO_TEST_CASE(an_existing_id_is_409) {
  Api api = NoAuthStack().api();
  std::string id = RandomUuid();
  BOOST_TEST_REQUIRE(V2Create(api, {{"id", id}, {"name", "first"}}).status == 201);
  ExpectRefusal(V2Create(api, {{"id", id}, {"name", "second"}}), 409, "the same id again");
  BOOST_TEST(S(V2Get(api, id), "name") == "first");
  // A deleted image's id is taken too.
  BOOST_TEST_REQUIRE(api.Delete("/v2/images/" + id).status == 204);
  ExpectRefusal(V2Create(api, {{"id", id}, {"name", "third"}}), 409, "the id of a deleted image");
}

BOOST_AUTO_TEST_CASE(property_and_tag_quotas_are_413) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  json at = {{"name", "v2-prop-quota"}};
  for (int i = 0; i < 128; ++i) at["p" + std::to_string(i)] = "v";
  json over = at;
  over["p128"] = "v";
  std::string before = stack.Fingerprint();
  ExpectRefusal(V2Create(api, over), 413, "129 properties");
  BOOST_TEST(stack.Fingerprint() == before);
  Reply fits = V2Create(api, at);
  BOOST_TEST(fits.status == 201, fits.Describe());
  json tags = json::array();
  for (int i = 0; i < 129; ++i) tags.push_back("t" + std::to_string(i));
  ExpectRefusal(V2Create(api, {{"name", "v2-tag-quota"}, {"tags", tags}}), 413, "129 tags");
  tags.erase(tags.size() - 1);
  Reply tags_fit = V2Create(api, {{"name", "v2-tag-quota"}, {"tags", tags}});
  BOOST_TEST(tags_fit.status == 201, tags_fit.Describe());
}

BOOST_AUTO_TEST_SUITE_END()
