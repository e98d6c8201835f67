// Image API v2 through nginx (contract image-api-v2-core.md): versions and
// negotiation (§1), schemas (§9), create (§3), show and list with filters,
// sorting and paging (§4), JSON-patch updates (§5) and delete (§11).  noauth
// is an admin without a project (§4.2, §10): it lists every image but
// community ones, and may publicize.  Lists are narrowed by a custom
// property unique to the run (`?v2list=<tag>`, §4.2 "any other key").
#include <regex>

#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

namespace {

// Status, the API's error format and the request id of a refusal.
void ExpectRefusal(const Reply& reply, int status, const std::string& what) {
  BOOST_TEST(reply.status == status, what << ": expected " << status << ", got " << reply.Describe());
  if (reply.status >= 400) {
    BOOST_TEST(InApiErrorFormat(reply), what << ": not in the API's error format: " << reply.Describe());
  }
  BOOST_TEST(reply.Header("x-openstack-request-id").rfind("req-", 0) == 0u, what << ": no request id");
}

// object[key], or null when object is not an object or lacks key.
json At(const json& object, const std::string& key) {
  return object.is_object() && object.contains(key) ? object.at(key) : json();
}

std::string Letters(const json& images, const std::map<std::string, std::string>& ids) {
  std::map<std::string, std::string> letter_of;
  for (const auto& [letter, id] : ids) letter_of[id] = letter;
  std::string out;
  for (const auto& image : images) {
    std::string id = image.value("id", "");
    auto it = letter_of.find(id);
    out += (out.empty() ? "" : ",") + (it == letter_of.end() ? "?" + id : it->second);
  }
  return out;
}

// ---------------------------------------------------------------- list data

struct ListData {
  std::string tag;
  std::map<std::string, std::string> ids;  // letter → id
  std::map<std::string, std::string> data;  // letter → bytes
  std::string error;
};

// Images of one run, created in this order (so the default order,
// created_at desc, is the reverse):
//   a raw/bare 10 B public  tags red,big
//   b qcow2/bare 30 B private tags red, min_ram 128
//   c qcow2/ovf 20 B shared protected, color=red
//   d iso/bare 50 B public tags big, color=blue
//   e raw/bare 40 B shared
//   queued  no data (shared)
//   hidden  os_hidden, 5 B;  community  community, 7 B
//   deleted (deleted);  killed (a v1 upload with the wrong size)
const ListData& Data() {
  static ListData data = [] {
    ListData d;
    d.tag = NewRunTag();
    Api api = NoAuthStack().api();
    try {
      struct Spec {
        std::string letter;
        json body;
        size_t size;
      };
      std::vector<Spec> specs{
          {"a", {{"visibility", "public"}, {"tags", {"red", "big"}}}, 10},
          {"b", {{"disk_format", "qcow2"}, {"visibility", "private"}, {"tags", {"red"}}, {"min_ram", 128}}, 30},
          {"c", {{"disk_format", "qcow2"}, {"container_format", "ovf"}, {"protected", true}, {"color", "red"}}, 20},
          {"d", {{"disk_format", "iso"}, {"visibility", "public"}, {"tags", {"big"}}, {"color", "blue"}}, 50},
          {"e", {{"visibility", "shared"}}, 40},
      };
      for (Spec& spec : specs) {
        spec.body["name"] = "v2l-" + d.tag + "-" + spec.letter;
        spec.body["v2list"] = d.tag;
        d.data[spec.letter] = RandomBytes(spec.size, 200 + spec.size);
        d.ids[spec.letter] = V2ActiveImage(api, spec.body, d.data[spec.letter]);
      }
      d.ids["queued"] = V2CreateId(api, {{"name", "v2l-" + d.tag + "-queued"}, {"v2list", d.tag}});
      d.ids["hidden"] = V2ActiveImage(api, {{"name", "v2l-" + d.tag + "-hidden"}, {"v2list", d.tag}, {"os_hidden", true}},
                                      "hidden");
      d.ids["community"] = V2ActiveImage(
          api, {{"name", "v2l-" + d.tag + "-community"}, {"v2list", d.tag}, {"visibility", "community"}}, "communi");
      d.ids["deleted"] = V2CreateId(api, {{"name", "v2l-" + d.tag + "-deleted"}, {"v2list", d.tag}});
      Reply deleted = api.Delete("/v2/images/" + d.ids["deleted"]);
      if (deleted.status != 204) throw std::runtime_error("delete: " + deleted.Describe());
      std::string killed = RandomUuid();
      Reply kill = api.Post("/v1/images",
                            ImageHeaders("v2l-" + d.tag + "-killed", {{"x-image-meta-id", killed},
                                                                      {"x-image-meta-size", "3"},
                                                                      {"x-image-meta-property-v2list", d.tag}}),
                            "four");
      if (HeadStatus(api, killed) != "killed") throw std::runtime_error("the killed image: " + kill.Describe());
      d.ids["killed"] = killed;
    } catch (const std::exception& e) {
      d.error = e.what();
    }
    return d;
  }();
  if (!data.error.empty()) throw std::runtime_error("v2 list fixture: " + data.error);
  return data;
}

// The letters a list of the run's images gives, in order.
std::string List(const std::string& query) {
  const ListData& d = Data();
  json body = V2ListPage(NoAuthStack().api(), "/v2/images?v2list=" + d.tag + "&limit=100" +
                                                  (query.empty() ? "" : "&" + query));
  return Letters(body["images"], d.ids);
}

// The same letters, sorted, for filters whose order does not matter.
std::string Filtered(const std::string& query) {
  std::string letters = List(query + "&sort=name:asc");
  return letters;
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

// ---------------------------------------------------------------- §4

BOOST_AUTO_TEST_SUITE(v2_show_list)

BOOST_AUTO_TEST_CASE(show_answers_the_image_or_404) {
  const ListData& d = Data();
  Api api = NoAuthStack().api();
  json a = V2Get(api, d.ids.at("a"));
  BOOST_TEST(S(a, "status") == "active");
  BOOST_TEST(S(a, "size") == "<10>");
  BOOST_TEST(S(a, "checksum") == Md5Hex(d.data.at("a")));
  BOOST_TEST(S(a, "os_hash_algo") == "sha512");
  BOOST_TEST(S(a, "os_hash_value") == Sha512Hex(d.data.at("a")));
  BOOST_TEST(S(a, "v2list") == d.tag);
  // Hidden and community images are shown by id.
  BOOST_TEST(V2Show(api, d.ids.at("hidden")).status == 200);
  BOOST_TEST(V2Show(api, d.ids.at("community")).status == 200);
  for (const std::string& id : {d.ids.at("deleted"), RandomUuid(), std::string("not-a-uuid"),
                                d.ids.at("a").substr(0, 35), d.ids.at("a") + "0"}) {
    ExpectRefusal(V2Show(api, id), 404, "GET /v2/images/" + id);
  }
}

BOOST_AUTO_TEST_CASE(list_shape_and_what_is_never_listed) {
  const ListData& d = Data();
  Api api = NoAuthStack().api();
  json body = V2ListPage(api, "/v2/images?v2list=" + d.tag);
  BOOST_TEST(body.value("schema", "") == "/v2/schemas/images");
  BOOST_TEST(body.value("first", "") == "/v2/images?v2list=" + d.tag, body.value("first", ""));
  BOOST_TEST(!body.contains("next"), "a short page has no next: " << body.value("next", ""));
  for (const auto& image : body["images"]) {
    for (const std::string& key : V2ImageKeys()) BOOST_TEST(image.contains(key), key << " missing in a list entry");
  }
  // Default (created_at desc): hidden, community, deleted and killed images
  // are not listed.
  BOOST_TEST(List("") == "queued,e,d,c,b,a");
  BOOST_TEST(List("sort=created_at:asc") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("os_hidden=true") == "hidden");
  BOOST_TEST(Filtered("os_hidden=false") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("visibility=community") == "community");
  BOOST_TEST(Filtered("visibility=all") == "a,b,c,community,d,e,queued");
  BOOST_TEST(Filtered("status=killed") == "");
  BOOST_TEST(Filtered("status=deleted") == "");
}

BOOST_AUTO_TEST_CASE(filters) {
  const ListData& d = Data();
  const std::string name = "v2l-" + d.tag + "-";
  BOOST_TEST(Filtered("name=" + name + "a") == "a");
  BOOST_TEST(Filtered("name=eq:" + name + "c") == "c");
  BOOST_TEST(Filtered("name=in:" + name + "a," + name + "b") == "a,b");
  BOOST_TEST(Filtered("name=" + UrlEncode("in:\"" + name + "a\",\"" + name + "d\"")) == "a,d");
  BOOST_TEST(Filtered("name=nobody") == "");
  BOOST_TEST(Filtered("id=" + d.ids.at("b")) == "b");
  BOOST_TEST(Filtered("id=in:" + d.ids.at("b") + "," + d.ids.at("e")) == "b,e");
  BOOST_TEST(Filtered("status=queued") == "queued");
  BOOST_TEST(Filtered("status=active") == "a,b,c,d,e");
  BOOST_TEST(Filtered("status=in:active,queued") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("disk_format=qcow2") == "b,c");
  BOOST_TEST(Filtered("disk_format=in:iso,raw") == "a,d,e");
  BOOST_TEST(Filtered("container_format=ovf") == "c");
  BOOST_TEST(Filtered("visibility=public") == "a,d");
  BOOST_TEST(Filtered("visibility=private") == "b");
  BOOST_TEST(Filtered("visibility=shared") == "c,e,queued");
  BOOST_TEST(Filtered("size_min=30") == "b,d,e");
  BOOST_TEST(Filtered("size_max=20") == "a,c");
  BOOST_TEST(Filtered("size_min=20&size_max=40") == "b,c,e");
  BOOST_TEST(Filtered("tag=red") == "a,b");
  BOOST_TEST(Filtered("tag=big") == "a,d");
  BOOST_TEST(Filtered("tag=red&tag=big") == "a");
  BOOST_TEST(Filtered("tag=none") == "");
  BOOST_TEST(Filtered("protected=true") == "c");
  BOOST_TEST(Filtered("protected=false&status=active") == "a,b,d,e");
  BOOST_TEST(Filtered("color=red") == "c");
  BOOST_TEST(Filtered("color=blue") == "d");
  BOOST_TEST(Filtered("color=green") == "");
  BOOST_TEST(Filtered("min_ram=128") == "b");
  BOOST_TEST(Filtered("checksum=" + Md5Hex(d.data.at("d"))) == "d");
  BOOST_TEST(Filtered("os_hash_value=" + Sha512Hex(d.data.at("e"))) == "e");
  BOOST_TEST(Filtered("created_at=gt:2000-01-01T00:00:00Z") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("created_at=lt:2000-01-01T00:00:00Z") == "");
  BOOST_TEST(Filtered("updated_at=gte:2000-01-01T00:00:00Z&disk_format=iso") == "d");
  BOOST_TEST(Filtered("updated_at=lte:2000-01-01T00:00:00Z") == "");
  BOOST_TEST(Filtered("disk_format=raw&color=blue") == "");
  BOOST_TEST(Filtered("disk_format=iso&color=blue") == "d");
}

BOOST_AUTO_TEST_CASE(sorting) {
  BOOST_TEST(List("sort=name:asc") == "a,b,c,d,e,queued");
  BOOST_TEST(List("sort=name:desc") == "queued,e,d,c,b,a");
  BOOST_TEST(List("sort=name") == "queued,e,d,c,b,a", "the default direction is desc");
  BOOST_TEST(List("sort_key=name&sort_dir=asc") == "a,b,c,d,e,queued");
  BOOST_TEST(List("sort_key=name") == "queued,e,d,c,b,a");
  BOOST_TEST(List("status=active&sort=size:asc") == "a,c,b,e,d");
  BOOST_TEST(List("status=active&sort=size:desc,name:asc") == "d,e,b,c,a");
  BOOST_TEST(List("status=active&sort=disk_format:asc,size:desc") == "d,b,c,e,a");
  BOOST_TEST(List("status=active&sort_key=disk_format&sort_key=size&sort_dir=asc&sort_dir=desc") == "d,b,c,e,a");
  BOOST_TEST(List("status=active&sort_key=disk_format&sort_key=size&sort_dir=asc") == "d,c,b,a,e",
             "one sort_dir applies to every key");
  BOOST_TEST(List("status=active&sort=container_format:desc,name:asc") == "c,a,b,d,e");
  BOOST_TEST(List("sort=status:asc,name:desc") == "e,d,c,b,a,queued");
  BOOST_TEST(List("sort=id:asc").size() > 0u);
  BOOST_TEST(List("sort=updated_at:asc") == "a,b,c,d,e,queued");
}

BOOST_AUTO_TEST_CASE(paging_follows_next_links_verbatim) {
  const ListData& d = Data();
  Stack& stack = NoAuthStack();
  Api api = VerbatimApi(stack);
  // Full pages have a next link, which keeps every other parameter.
  std::string path = "/v2/images?v2list=" + d.tag + "&limit=2&sort=name:asc";
  std::vector<std::string> pages;
  std::vector<std::string> seen;
  while (true) {
    BOOST_TEST_REQUIRE(pages.size() < 10u, "paging does not end");
    json body = V2ListPage(api, path);
    pages.push_back(Letters(body["images"], d.ids));
    for (const std::string& id : IdsOf(body["images"])) seen.push_back(id);
    BOOST_TEST(body.value("first", "").find("marker=") == std::string::npos, body.value("first", ""));
    BOOST_TEST(body.value("first", "").rfind("/v2/images?", 0) == 0u, body.value("first", ""));
    if (body["images"].size() < 2u) {
      BOOST_TEST(!body.contains("next"), "a short page has a next link: " << body.dump().substr(0, 300));
    } else {
      BOOST_TEST_REQUIRE(body.contains("next"), "a full page lacks next: " << body.dump().substr(0, 300));
    }
    if (!body.contains("next")) break;
    std::string next = body["next"].get<std::string>();
    BOOST_TEST(next.rfind("/v2/images?", 0) == 0u, next);
    BOOST_TEST(next.find("marker=" + body["images"].back()["id"].get<std::string>()) != std::string::npos, next);
    BOOST_TEST(next.find("v2list=" + d.tag) != std::string::npos, next);
    BOOST_TEST(next.find("limit=2") != std::string::npos, next);
    BOOST_TEST((next.find("sort=name%3Aasc") != std::string::npos || next.find("sort=name:asc") != std::string::npos),
               next);
    path = next;
  }
  std::string joined;
  for (const std::string& page : pages) joined += "[" + page + "]";
  BOOST_TEST(joined == "[a,b][c,d][e,queued][]");
  // The default order, four at a time.
  int count = 0;
  std::vector<json> all = V2ListAll(api, "/v2/images?v2list=" + d.tag + "&limit=4", &count);
  BOOST_TEST(Letters(json(all), d.ids) == "queued,e,d,c,b,a");
  BOOST_TEST(count == 2);
  // A marker by hand: the images after it in the same order.
  BOOST_TEST(Letters(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&marker=" + d.ids.at("c"))["images"], d.ids) ==
             "b,a");
  BOOST_TEST(Letters(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&sort=name:asc&marker=" + d.ids.at("c"))["images"],
                     d.ids) == "d,e,queued");
  // limit=0 is an empty page; a huge limit is clamped, not refused.
  BOOST_TEST(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&limit=0")["images"].size() == 0u);
  BOOST_TEST(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&limit=100000")["images"].size() == 6u);
  BOOST_TEST(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&limit=99999999999999999999")["images"].size() == 6u);
}

BOOST_AUTO_TEST_CASE(default_page_is_limit_param_default) {
  // 30 images of one tag: the default page holds 25 (limit_param_default)
  // and says where the rest is.
  Api api = NoAuthStack().api();
  const std::string tag = NewRunTag();
  for (int i = 0; i < 30; ++i) V2CreateId(api, {{"name", "v2-page-" + std::to_string(i)}, {"v2page", tag}});
  json first = V2ListPage(api, "/v2/images?v2page=" + tag);
  BOOST_TEST(first["images"].size() == 25u);
  BOOST_TEST_REQUIRE(first.contains("next"));
  BOOST_TEST(V2ListPage(api, first["next"].get<std::string>())["images"].size() == 5u);
  BOOST_TEST(V2ListAll(api, "/v2/images?v2page=" + tag + "&limit=7").size() == 30u);
}

BOOST_AUTO_TEST_CASE(bad_list_parameters_are_400) {
  const ListData& d = Data();
  Api api = NoAuthStack().api();
  for (const std::string& query : std::vector<std::string>{
           "limit=-1", "limit=abc", "limit=1.5", "limit=", "marker=" + RandomUuid(), "marker=not-a-uuid",
           "marker=" + d.ids.at("deleted"), "sort=name:asc&sort_key=name", "sort_key=min_ram", "sort=min_ram:asc",
           "sort=owner", "sort_dir=up&sort_key=name", "sort=name:up", "sort=name:asc:desc",
           "sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc", "visibility=everyone",
           "member_status=maybe", "size_min=x", "size_max=1.5", "size_min=-1", "created_at=gt:yesterday",
           "created_at=xx:2020-01-01T00:00:00Z", "updated_at=2020-13-45T99:00:00Z", "protected=yes",
           "os_hidden=maybe", "changes-since=2020-01-01T00:00:00Z", "name=a:b", "min_ram=lots"}) {
    ExpectRefusal(api.Get("/v2/images?" + query), 400, "GET /v2/images?" + query);
  }
}

BOOST_AUTO_TEST_SUITE_END()

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
