// Hostile and malformed input (spec §4.1, §16, §20): every rejected request
// must leave the database exactly as it was; SQL metacharacters are plain
// text that is stored verbatim and never acts as a LIKE wildcard.
// Over 400 lines for a reason: one table of hostile inputs per route, all
// checked against the same database snapshot (DbSnapshot).
#include <chrono>
#include <set>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

std::set<std::string> IdSet(const std::vector<json>& images) {
  auto ids = Ids(images);
  return {ids.begin(), ids.end()};
}

const std::vector<std::string> kMalformedBodies = {
    "not json",
    "{",
    "{\"image\": {\"name\": \"x\"}",
    "{\"image\": {\"name\": \"x\"}} trailing",
    "",
    "[]",
    "null",
    "42",
    "\"image\"",
    "{}",
    "{\"image\": null}",
    "{\"image\": \"x\"}",
    "{\"image\": []}",
    "{\"image\": 5}",
    "{\"images\": {\"name\": \"x\"}}",
    "{'image': {'name': 'x'}}",
    "{\"image\": {\"name\": \"x\",}}",
};

// Image bodies with a wrong JSON type somewhere.
const std::vector<std::string> kWrongTypes = {
    R"({"image": {"size": "abc"}})",
    R"({"image": {"size": 1.5}})",
    R"({"image": {"size": true}})",
    R"({"image": {"size": [1]}})",
    R"({"image": {"virtual_size": "big"}})",
    R"({"image": {"min_ram": "abc"}})",
    R"({"image": {"min_ram": 1.5}})",
    R"({"image": {"min_disk": true}})",
    R"({"image": {"min_disk": {}}})",
    R"({"image": {"is_public": "yes"}})",
    R"({"image": {"is_public": 1}})",
    R"({"image": {"protected": "no"}})",
    R"({"image": {"protected": 0}})",
    R"({"image": {"properties": []}})",
    R"({"image": {"properties": "a=b"}})",
    R"({"image": {"properties": 7}})",
    R"({"image": {"properties": {"k": 5}}})",
    R"({"image": {"properties": {"k": true}}})",
    R"({"image": {"properties": {"k": {"nested": "x"}}}})",
    R"({"image": {"properties": {"k": ["x"]}}})",
    R"({"image": {"name": 123}})",
    R"({"image": {"name": ["x"]}})",
    R"({"image": {"name": {"x": 1}}})",
    R"({"image": {"status": 5}})",
    R"({"image": {"disk_format": 5}})",
    R"({"image": {"container_format": false}})",
    R"({"image": {"checksum": 5}})",
    R"({"image": {"location": 5}})",
};

const std::vector<std::string> kBadNumbers = {
    R"({"image": {"size": -1}})",
    R"({"image": {"virtual_size": -1}})",
    R"({"image": {"min_disk": -1}})",
    R"({"image": {"min_ram": -1}})",
    R"({"image": {"min_disk": 2147483648}})",
    R"({"image": {"min_ram": 2147483648}})",
    R"({"image": {"min_ram": 99999999999999999999}})",
    R"({"image": {"min_disk": 1e20}})",
    R"({"image": {"size": 9223372036854775808}})",
    R"({"image": {"size": 18446744073709551616}})",
    R"({"image": {"size": -9223372036854775809}})",
};

// Text that §20.1 refuses: control characters, NUL, DEL, 4-byte UTF-8,
// invalid UTF-8.  As JSON string literals (with quotes).
std::vector<std::string> BadTextLiterals() {
  return {
      "\"a\\u0001b\"",          // SOH
      "\"a\\nb\"",              // LF
      "\"a\\tb\"",              // TAB
      "\"a\\rb\"",              // CR
      "\"a\\u0000b\"",          // NUL
      "\"a\\u001fb\"",          // US
      "\"a\\u007fb\"",          // DEL
      "\"\\ud83d\\ude00\"",     // U+1F600 escaped
      "\"\xF0\x9F\x98\x80\"",   // U+1F600 raw 4-byte UTF-8
      "\"x\xF0\x90\x8D\x88y\"", // U+10348 raw
      "\"\xff\xfe\"",           // invalid bytes
      "\"\xc0\xaf\"",           // overlong '/'
      "\"\xe6\x97\"",           // truncated 3-byte sequence
      "\"\xed\xa0\x80\"",       // UTF-8 encoded surrogate
      "\"\\ud800\"",            // lone surrogate escape
  };
}

// SQL and LIKE metacharacters: legitimate text.
const std::vector<std::string> kMetaText = {
    "'; DROP TABLE images; --",
    "100%",
    "%",
    "_",
    "a_b",
    "back\\slash",
    "\\",
    "\\%",
    "quote\"d",
    "it's",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "$1",
    ":p",
    "?",
    "--",
    "/* comment */",
    "E'\\x41'",
    "%_%",
    "[a-z]*",
    "null",
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_bad_input, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(malformed_create_bodies_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  CreateImage(api, h, {{"name", "seed"}});
  DbSnapshot before = env.Snapshot();
  for (const auto& body : kMalformedBodies) {
    Response r = api.Post("/images", h, body);
    BOOST_TEST(r.status == 400, "POST " << body << " -> " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(malformed_update_bodies_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  std::string id = S(CreateImage(api, h, {{"name", "keep"}, {"properties", {{"k", "v"}}}}), "id");
  DbSnapshot before = env.Snapshot();
  for (const auto& body : kMalformedBodies) {
    Response r = api.Put("/images/" + id, h, body);
    BOOST_TEST(r.status == 400, "PUT " << body << " -> " << r.Describe());
    r = api.Put("/images/" + id, With(h, "X-Glance-Registry-Purge-Props", "true"), body);
    BOOST_TEST(r.status == 400, "PUT (purge) " << body << " -> " << r.Describe());
  }
  // from_state of a wrong type.
  for (const char* body : {R"({"image": {"name": "n"}, "from_state": 5})",
                           R"({"image": {"name": "n"}, "from_state": ["queued"]})"}) {
    Response r = api.Put("/images/" + id, h, body);
    BOOST_TEST(r.status == 400, "PUT " << body << " -> " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(deeply_nested_json_is_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  DbSnapshot before = env.Snapshot();
  std::string deep = "{\"image\": {\"properties\": {\"k\": " + std::string(100000, '[') + std::string(100000, ']') + "}}}";
  Response r = api.Post("/images", h, deep);
  BOOST_TEST(r.status == 400, r.Describe());
  std::string deep_obj;
  for (int i = 0; i < 50000; ++i) deep_obj += "{\"a\":";
  deep_obj += "1" + std::string(50000, '}');
  r = api.Post("/images", h, deep_obj);
  BOOST_TEST(r.status == 400, r.Describe());
  BOOST_TEST(env.registry().Alive());
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(wrong_json_types_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  std::string id = S(CreateImage(api, h, {{"name", "typed"}}), "id");
  DbSnapshot before = env.Snapshot();
  for (const auto& body : kWrongTypes) {
    Response r = api.Post("/images", h, body);
    BOOST_TEST(r.status == 400, "POST " << body << " -> " << r.Describe());
    r = api.Put("/images/" + id, h, body);
    BOOST_TEST(r.status == 400, "PUT " << body << " -> " << r.Describe());
  }
  // Admin-only fields of a wrong type.
  for (const char* body : {R"({"image": {"owner": 5}})", R"({"image": {"id": 5}})"}) {
    Response r = api.Post("/images", Admin(), body);
    BOOST_TEST(r.status == 400, "POST " << body << " -> " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(out_of_range_numbers_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  std::string id = S(CreateImage(api, h, {{"name", "nums"}}), "id");
  DbSnapshot before = env.Snapshot();
  for (const auto& body : kBadNumbers) {
    Response r = api.Post("/images", h, body);
    BOOST_TEST(r.status == 400, "POST " << body << " -> " << r.Describe());
    r = api.Put("/images/" + id, h, body);
    BOOST_TEST(r.status == 400, "PUT " << body << " -> " << r.Describe());
  }
  Response r = api.Post("/images", h, R"({"image": {"min_disk": 2147483648}})");
  BOOST_TEST(r.body.find("min_disk") != std::string::npos, r.body);
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(overlong_names_and_keys_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  std::string id = S(CreateImage(api, h, {{"name", "short"}}), "id");
  std::string wide256;
  for (int i = 0; i < 256; ++i) wide256 += "\xC3\xA9";
  std::vector<json> bodies = {
      {{"image", {{"name", std::string(256, 'n')}}}},
      {{"image", {{"name", wide256}}}},
      {{"image", {{"name", std::string(100 * 1024, 'n')}}}},
      {{"image", {{"properties", {{std::string(256, 'k'), "v"}}}}}},
      {{"image", {{"properties", {{std::string(100 * 1024, 'k'), "v"}}}}}},
      {{"image", {{"disk_format", std::string(21, 'd')}}}},
      {{"image", {{"container_format", std::string(21, 'c')}}}},
      {{"image", {{"checksum", std::string(33, 'c')}}}},
  };
  DbSnapshot before = env.Snapshot();
  for (const auto& body : bodies) {
    auto start = std::chrono::steady_clock::now();
    Response r = api.PostJson("/images", h, body);
    BOOST_TEST(r.status == 400, "POST " << body.dump().substr(0, 100) << " -> " << r.Describe());
    r = api.PutJson("/images/" + id, h, body);
    BOOST_TEST(r.status == 400, "PUT " << body.dump().substr(0, 100) << " -> " << r.Describe());
    BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
  }
  // Admin-settable owner is bounded too.
  Response r = api.PostJson("/images", Admin(), {{"image", {{"owner", std::string(256, 'o')}}}});
  BOOST_TEST(r.status == 400, r.Describe());
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(env.Text("SELECT name FROM images WHERE id = :p", id).value_or("") == "short");
}

BOOST_AUTO_TEST_CASE(bad_text_in_names_keys_and_values_is_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  std::string id = S(CreateImage(api, h, {{"name", "clean"}, {"properties", {{"k", "v"}}}}), "id");
  DbSnapshot before = env.Snapshot();
  for (const auto& lit : BadTextLiterals()) {
    std::vector<std::string> bodies = {
        "{\"image\": {\"name\": " + lit + "}}",
        "{\"image\": {\"properties\": {" + lit + ": \"v\"}}}",
        "{\"image\": {\"properties\": {\"k\": " + lit + "}}}",
    };
    for (const auto& body : bodies) {
      Response r = api.Post("/images", h, body);
      BOOST_TEST(r.status == 400, "POST " << body << " -> " << r.Describe());
      r = api.Put("/images/" + id, h, body);
      BOOST_TEST(r.status == 400, "PUT " << body << " -> " << r.Describe());
    }
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(bad_ids_in_paths_are_404) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-bad"));
  CreateImage(api, h, {{"name", "anchor"}});
  DbSnapshot before = env.Snapshot();
  for (const std::string& raw : {std::string("'; DROP TABLE images; --"), std::string("%"), std::string("_"),
                                 std::string("' OR '1'='1"), std::string(1000, 'a'), RandomUuid(),
                                 std::string("00000000-0000-0000-0000-00000000000g"), std::string("\xff")}) {
    std::string path = "/images/" + UrlEncode(raw);
    BOOST_TEST(api.Get(path, h).status == 404, "GET " << path);
    BOOST_TEST(api.PutJson(path, h, {{"image", {{"name", "x"}}}}).status == 404, "PUT " << path);
    BOOST_TEST(api.Delete(path, h).status == 404, "DELETE " << path);
    BOOST_TEST(api.Get(path, Admin()).status == 404, "admin GET " << path);
    BOOST_TEST(api.Delete(path, Admin()).status == 404, "admin DELETE " << path);
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(sql_metacharacters_are_stored_verbatim) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-meta"));
  long long images_before = env.Count("SELECT count(*) FROM images");
  std::string tag = Unique("meta");
  std::map<std::string, std::string> ids;  // text -> id
  for (const auto& text : kMetaText) {
    json img = CreateImage(api, h, {{"name", text}, {"properties", {{"tag", tag}, {text, text}, {"v", text}}}});
    ids[text] = S(img, "id");
    BOOST_TEST(S(img, "name") == text);
    BOOST_TEST(S(img["properties"], text) == text);
    Response r = api.Get("/images/" + S(img, "id"), h);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
    json got = r.Json()["image"];
    BOOST_TEST(S(got, "name") == text);
    BOOST_TEST(S(got["properties"], text) == text, "key " << text);
    BOOST_TEST(S(got["properties"], "v") == text);
    BOOST_TEST(env.Text("SELECT name FROM images WHERE id = :p", S(img, "id")).value_or("<none>") == text);
  }
  BOOST_TEST(env.Count("SELECT count(*) FROM images") == images_before + static_cast<long long>(kMetaText.size()));

  // Exact filters match exactly one row each: no LIKE wildcards, no quoting
  // accidents.
  for (const auto& text : kMetaText) {
    auto by_name = IdSet(ListDetail(api, h, Query({{"property-tag", tag}, {"name", text}, {"limit", "1000"}})));
    BOOST_TEST(by_name == std::set<std::string>{ids[text]}, "name=" << text);
    auto by_value = IdSet(ListDetail(api, h, Query({{"property-tag", tag}, {"property-v", text}, {"limit", "1000"}})));
    BOOST_TEST(by_value == std::set<std::string>{ids[text]}, "property-v=" << text);
    auto by_key = IdSet(ListDetail(api, h, Query({{"property-tag", tag}, {"property-" + text, text}, {"limit", "1000"}})));
    BOOST_TEST(by_key == std::set<std::string>{ids[text]}, "property-" << text << "=" << text);
  }
  // The tables are all still there.
  BOOST_TEST(env.Count("SELECT count(*) FROM images") == images_before + static_cast<long long>(kMetaText.size()));
  BOOST_TEST(env.Count("SELECT count(*) FROM image_properties WHERE name = 'tag' AND value = :p", tag) ==
             static_cast<long long>(kMetaText.size()));
}

BOOST_AUTO_TEST_CASE(like_wildcards_do_not_match_other_rows) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-like"));
  std::string tag = Unique("like");
  auto mk = [&](const std::string& name, const std::string& value) {
    return S(CreateImage(api, h, {{"name", name}, {"properties", {{"tag", tag}, {"v", value}}}}), "id");
  };
  std::string ab_ = mk("a_b", "v_1");
  mk("axb", "vx1");
  std::string pct = mk("100%", "50%");
  mk("1000", "500");
  mk("100", "50");
  std::string bs = mk("a\\b", "c\\d");
  mk("ab", "cd");
  mk("a\\\\b", "c\\\\d");
  auto q = [&](const std::string& key, const std::string& value) {
    return IdSet(ListDetail(api, h, Query({{"property-tag", tag}, {key, value}, {"limit", "1000"}})));
  };
  BOOST_TEST(q("name", "a_b") == std::set<std::string>{ab_});
  BOOST_TEST(q("name", "100%") == std::set<std::string>{pct});
  BOOST_TEST(q("name", "a\\b") == std::set<std::string>{bs});
  BOOST_TEST(q("name", "%").empty());
  BOOST_TEST(q("name", "_").empty());
  BOOST_TEST(q("name", "a%").empty());
  BOOST_TEST(q("name", "___").empty());
  BOOST_TEST(q("property-v", "v_1") == std::set<std::string>{ab_});
  BOOST_TEST(q("property-v", "50%") == std::set<std::string>{pct});
  BOOST_TEST(q("property-v", "c\\d") == std::set<std::string>{bs});
  BOOST_TEST(q("property-v", "%").empty());
  BOOST_TEST(q("property-v", "v_").empty());
  BOOST_TEST(q("property-%", "50%").empty());
  BOOST_TEST(q("property-_", "v_1").empty());
}

BOOST_AUTO_TEST_CASE(metacharacters_in_filter_values_are_harmless) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-filter"));
  CreateImage(api, h, {{"name", "anchor"}});
  DbSnapshot before = env.Snapshot();
  for (const auto& text : kMetaText) {
    for (const char* key : {"name", "status", "container_format", "disk_format", "property-x"}) {
      Response r = api.Get("/images/detail" + Query({{key, text}}), h);
      BOOST_TEST(r.status == 200, key << "=" << text << " -> " << r.Describe());
      if (r.status == 200) BOOST_TEST(r.Json()["images"].empty(), key << "=" << text);
    }
    Response r = api.Get("/images" + Query({{"property-" + text, "x"}}), h);
    BOOST_TEST(r.status == 200, "property-" << text << " -> " << r.Describe());
    for (const char* key : {"size_min", "size_max", "min_ram", "min_disk", "protected", "changes-since", "limit",
                            "marker", "sort_key", "sort_dir"}) {
      r = api.Get("/images/detail" + Query({{key, text}}), h);
      BOOST_TEST(r.status == 400, key << "=" << text << " -> " << r.Describe());
    }
    r = api.Get("/shared-images/" + UrlEncode(text), h);
    // Each (an encoded '/' included) is a member id like any other, shared
    // with nothing.
    BOOST_TEST(r.status == 200, "shared-images/" << text << " -> " << r.Describe());
    if (r.status == 200) BOOST_TEST(r.Json()["shared_images"].empty(), "shared-images/" << text);
  }
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(env.registry().Alive());
}

BOOST_AUTO_TEST_CASE(malformed_query_strings_are_handled) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-query"));
  DbSnapshot before = env.Snapshot();
  // A broken percent escape is refused; anything else answers exactly what
  // its well-formed equivalent answers (empty pairs and keys are skipped,
  // the last of a repeated parameter wins, a key without '=' has an empty
  // value).
  for (const char* q : {"?name=%", "?name=%zz", "?name=%4", "?%=x"}) {
    Response r = api.Get(std::string("/images/detail") + q, h);
    BOOST_TEST(r.status == 400, q << " -> " << r.Describe());
    BOOST_TEST(r.body.find("Malformed query string.") != std::string::npos, q << " -> " << r.body);
  }
  for (const auto& [q, same_as] : std::vector<std::pair<std::string, std::string>>{
           {"?&&&", ""}, {"?name", "?name="}, {"?=", ""}, {"?name=a&name=b", "?name=b"},
           {"?limit=1&limit=2", "?limit=2"}}) {
    Response r = api.Get("/images/detail" + q, h);
    Response expected = api.Get("/images/detail" + same_as, h);
    BOOST_TEST(r.status == 200, q << " -> " << r.Describe());
    BOOST_TEST_REQUIRE(expected.status == 200, same_as << " -> " << expected.Describe());
    if (r.status == 200) BOOST_TEST(r.Json()["images"] == expected.Json()["images"], q << " -> " << r.body);
  }
  // An empty property key is a key no image has.
  Response empty_key = api.Get("/images/detail?property-=x", h);
  BOOST_TEST(empty_key.status == 200, empty_key.Describe());
  if (empty_key.status == 200) BOOST_TEST(empty_key.Json()["images"].empty(), empty_key.body);
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(env.registry().Alive());
}

BOOST_AUTO_TEST_CASE(client_cannot_create_deleted_image) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-del"));
  Response r = api.PostJson("/images", h, {{"image", {{"name", "sneaky"}, {"deleted", true},
                                                      {"deleted_at", "2020-01-01T00:00:00.000000"}}}});
  // Spec §4.1, §20.6: the flags are ignored, the image is created live.
  BOOST_TEST_REQUIRE(r.status == 200, r.Describe());
  json img = r.Json()["image"];
  BOOST_TEST(S(img, "deleted") == "<false>");
  BOOST_TEST(S(img, "deleted_at") == "<null>");
  BOOST_TEST(env.Text("SELECT deleted::text FROM images WHERE id = :p", S(img, "id")).value_or("") == "false");
  std::string id = S(CreateImage(api, h, {{"name", "plain"}}), "id");
  r = api.PutJson("/images/" + id, h, {{"image", {{"deleted", true}}}});
  BOOST_TEST(r.status == 200, r.Describe());
  if (r.status == 200) BOOST_TEST(S(r.Json()["image"], "deleted") == "<false>", r.body);
  BOOST_TEST(env.Text("SELECT deleted::text FROM images WHERE id = :p", id).value_or("") == "false");
  BOOST_TEST(api.Get("/images/" + id, h).status == 200);
}

BOOST_AUTO_TEST_CASE(oversized_body_is_refused_without_harm) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-big"));
  DbSnapshot before = env.Snapshot();
  // 8 MB, under the 16 MB body limit: read, and refused as the bad JSON it is.
  std::string body(8 * 1024 * 1024, ' ');
  body[0] = '{';
  Response r = api.Post("/images", h, body);
  BOOST_TEST(r.status == 400, r.Describe());
  BOOST_TEST(r.body.find("Malformed JSON in request body.") != std::string::npos, r.body);
  // Over the limit: refused unread.
  body.resize(17 * 1024 * 1024, ' ');
  r = api.Post("/images", h, body);
  BOOST_TEST(r.status == 413, r.Describe());
  BOOST_TEST(env.registry().Alive());
  BOOST_TEST(api.Get("/healthcheck").status == 200);
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_SUITE_END()
