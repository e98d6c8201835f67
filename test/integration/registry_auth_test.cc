// Request context (spec §3) and the HTTP surface shared by every route
// (spec §3.3, §15, §20.3): 401s, tenant headers, noauth mode, request ids,
// error bodies, 404/405 routing.
#include <regex>
#include <set>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

bool IsRequestId(const std::string& value) {
  static const std::regex re("^req-[A-Za-z0-9-]+$");
  return std::regex_match(value, re);
}

std::string ContentType(const Response& r) {
  std::string ct = r.Header("Content-Type");
  auto semi = ct.find(';');
  return semi == std::string::npos ? ct : ct.substr(0, semi);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_auth, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(missing_identity_is_401) {
  Env& env = Shared();
  Api api = env.api();
  Headers owner = ForTenant(Unique("t-auth"));
  std::string id = S(CreateImage(api, owner, {{"name", "a"}}), "id");
  DbSnapshot before = env.Snapshot();
  std::vector<Headers> anonymous = {
      {},
      {{"X-Tenant-Id", "t1"}, {"X-User-Id", "u1"}, {"X-Roles", "admin"}},
      {{"X-Identity-Status", "Invalid"}, {"X-Tenant-Id", "t1"}, {"X-Roles", "admin"}},
      {{"X-Identity-Status", "confirmed"}, {"X-Tenant-Id", "t1"}, {"X-Roles", "admin"}},
      {{"X-Identity-Status", ""}, {"X-Tenant-Id", "t1"}, {"X-Roles", "admin"}},
  };
  for (size_t i = 0; i < anonymous.size(); ++i) {
    const Headers& h = anonymous[i];
    BOOST_TEST(api.Get("/images", h).status == 401, "headers #" << i);
    BOOST_TEST(api.Get("/", h).status == 401, "headers #" << i);
    BOOST_TEST(api.Get("/images/detail", h).status == 401, "headers #" << i);
    BOOST_TEST(api.Get("/images/" + id, h).status == 401, "headers #" << i);
    BOOST_TEST(api.PostJson("/images", h, {{"image", {{"name", "anon"}}}}).status == 401, "headers #" << i);
    BOOST_TEST(api.PutJson("/images/" + id, h, {{"image", {{"name", "anon"}}}}).status == 401, "headers #" << i);
    BOOST_TEST(api.Delete("/images/" + id, h).status == 401, "headers #" << i);
    BOOST_TEST(api.Get("/images/" + id + "/members", h).status == 401, "headers #" << i);
    BOOST_TEST(api.Put("/images/" + id + "/members/t1", h).status == 401, "headers #" << i);
    BOOST_TEST(api.Get("/shared-images/t1", h).status == 401, "headers #" << i);
  }
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(env.Text("SELECT deleted::text FROM images WHERE id = :p", id).value_or("") == "false");
}

BOOST_AUTO_TEST_CASE(healthcheck_needs_no_identity) {
  Api api = Shared().api();
  Response r = api.Get("/healthcheck");
  BOOST_TEST(r.status == 200, r.Describe());
  BOOST_TEST(r.body.substr(0, 2) == "OK");
}

// With registry_shared_secret set, only a caller holding the secret (glance-api)
// may speak for a user, whatever identity headers it sends; monitors still
// reach /healthcheck.
BOOST_AUTO_TEST_CASE(shared_secret_is_required_when_configured) {
  Env& env = Shared();
  RegistryConfig config;
  config.shared_secret = "s3cr3t-" + Unique("k");
  RegistryProcess registry(env.db().Url(), config);
  Api api = registry.api();
  Headers admin = Admin();
  DbSnapshot before = env.Snapshot();
  std::vector<Headers> refused = {
      admin,
      With(admin, "X-Glance-Registry-Secret", ""),
      With(admin, "X-Glance-Registry-Secret", "wrong"),
      With(admin, "X-Glance-Registry-Secret", config.shared_secret + "x"),
      With(admin, "X-Glance-Registry-Secret", config.shared_secret.substr(1)),
  };
  for (size_t i = 0; i < refused.size(); ++i) {
    Response list = api.Get("/images/detail", refused[i]);
    BOOST_TEST(list.status == 401, "headers #" << i << ": " << list.Describe());
    BOOST_TEST(list.body.find("shared secret") != std::string::npos, list.Describe());
    BOOST_TEST(api.PostJson("/images", refused[i], {{"image", {{"name", "forged"}}}}).status == 401);
  }
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(api.Get("/healthcheck").status == 200);
  Headers holder = With(admin, "X-Glance-Registry-Secret", config.shared_secret);
  Response created = api.PostJson("/images", holder, {{"image", {{"name", "with-secret"}}}});
  BOOST_TEST(created.status == 200, created.Describe());
}

BOOST_AUTO_TEST_CASE(tenant_comes_from_project_or_tenant_headers) {
  Api api = Shared().api();
  std::string project = Unique("t-project"), tenant = Unique("t-tenant"), legacy = Unique("t-legacy");
  Headers both = {{"X-Identity-Status", "Confirmed"}, {"X-Project-Id", project}, {"X-Tenant-Id", tenant},
                  {"X-User-Id", "u"}, {"X-Roles", "member"}};
  BOOST_TEST(S(CreateImage(api, both, {{"name", "p"}}), "owner") == project);
  Headers only_tenant = {{"X-Identity-Status", "Confirmed"}, {"X-Tenant-Id", tenant}, {"X-User-Id", "u"},
                         {"X-Roles", "member"}};
  BOOST_TEST(S(CreateImage(api, only_tenant, {{"name", "t"}}), "owner") == tenant);
  Headers old = {{"X-Identity-Status", "Confirmed"}, {"X-Tenant", legacy}, {"X-User-Id", "u"}, {"X-Roles", "member"}};
  BOOST_TEST(S(CreateImage(api, old, {{"name", "l"}}), "owner") == legacy);
}

// X-Roles with empty elements (some proxies send "member,admin,") names the
// roles it lists (spec §3.2); a role with a control character is refused.
BOOST_AUTO_TEST_CASE(empty_elements_in_roles_are_ignored) {
  Api api = Shared().api();
  std::string owner = Unique("t-roles");
  std::string priv = S(CreateImage(api, ForTenant(owner), {{"name", "roles"}}), "id");
  // Not an admin: another tenant's private image stays invisible.
  Response member = api.Get("/images/" + priv, ForTenant(Unique("t-roles-member"), "member,"));
  BOOST_TEST(member.status == 404, member.Describe());
  Response own = api.Get("/images/" + priv, ForTenant(owner, ",member,,"));
  BOOST_TEST(own.status == 200, own.Describe());
  // An admin, whatever the commas around its role.
  for (const char* roles : {"member,admin,", ",admin", " , admin , ,"}) {
    Response admin = api.Get("/images/" + priv, ForTenant(Unique("t-roles-admin"), roles));
    BOOST_TEST(admin.status == 200, "'" << roles << "': " << admin.Describe());
  }
  Response bad = api.Get("/images/" + priv, ForTenant(owner, "member,ad\x7fmin"));
  BOOST_TEST(bad.status == 400, bad.Describe());
  BOOST_TEST(bad.body.find("Identity header contains a control character.") != std::string::npos, bad.body);
}

BOOST_AUTO_TEST_CASE(noauth_mode_makes_every_request_admin_without_tenant) {
  Env& env = Shared();
  Api api = env.api();
  RegistryConfig noauth;
  noauth.flavor = "";
  Api open = env.Extra("noauth", noauth).api();

  std::string tenant = Unique("t-na");
  std::string tag = Unique("na");
  std::string priv = S(CreateImage(api, ForTenant(tenant), {{"name", "priv"}, {"properties", {{"tag", tag}}}}), "id");
  std::string pub = S(CreateImage(api, Admin(), {{"name", "pub"}, {"is_public", true}, {"owner", tenant},
                                                 {"properties", {{"tag", tag}}}}), "id");

  // No identity headers needed; identity headers are ignored.
  BOOST_TEST(open.Get("/images/" + priv).status == 200);
  BOOST_TEST(open.Get("/images/" + priv, ForTenant(Unique("t-other"))).status == 200);
  BOOST_TEST(open.Get("/images/" + priv, {{"X-Identity-Status", "Invalid"}}).status == 200);

  // An admin without tenant lists public images by default, all with none.
  auto ids = [&](const std::string& q, const Headers& h) {
    auto list = Ids(ListDetail(open, h, q));
    return std::set<std::string>(list.begin(), list.end());
  };
  BOOST_TEST(ids(Query({{"property-tag", tag}}), {}) == std::set<std::string>{pub});
  BOOST_TEST(ids(Query({{"property-tag", tag}}), ForTenant(tenant)) == std::set<std::string>{pub});
  BOOST_TEST(ids(Query({{"property-tag", tag}, {"is_public", "none"}}), {}) == (std::set<std::string>{priv, pub}));

  // Images created in noauth mode have no owner, whatever headers say.
  Response r = open.PostJson("/images", ForTenant(tenant), {{"image", {{"name", "na"}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "owner") == "<null>");
  // ... but an explicit owner is honoured (admin).
  r = open.PostJson("/images", {}, {{"image", {{"name", "na"}, {"owner", tenant}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "owner") == tenant);

  // Admin rights: change another tenant's image and its members.
  BOOST_TEST(open.PutJson("/images/" + priv, {}, {{"image", {{"name", "by-noauth"}}}}).status == 200);
  BOOST_TEST(open.Put("/images/" + priv + "/members/" + Unique("t-m"), {}).status == 204);
  BOOST_TEST(open.Delete("/images/" + priv).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(registry_http, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(request_id_is_generated_on_every_response) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-http"));
  std::string id = S(CreateImage(api, h, {{"name", "rid"}}), "id");
  std::vector<Response> responses = {
      api.Get("/images", h),                                   // 200
      api.Get("/images/" + id, h),                             // 200
      api.Get("/images/" + RandomUuid(), h),                   // 404
      api.Get("/images"),                                      // 401
      api.Delete("/images", h),                                // 405
      api.Get("/images" + Query({{"limit", "x"}}), h),         // 400
      api.Get("/no/such/path", h),                             // 404
      api.PostJson("/images", h, {{"image", {{"name", "r"}}}}) // 200
  };
  std::set<std::string> seen;
  for (size_t i = 0; i < responses.size(); ++i) {
    const Response& r = responses[i];
    BOOST_TEST(r.status != 0, "#" << i << " " << r.Describe());
    BOOST_TEST(r.Has("x-openstack-request-id"), "#" << i << " status " << r.status);
    std::string rid = r.Header("x-openstack-request-id");
    BOOST_TEST(IsRequestId(rid), "#" << i << " request id '" << rid << "'");
    seen.insert(rid);
  }
  BOOST_TEST(seen.size() == responses.size(), "request ids are not unique");
}

BOOST_AUTO_TEST_CASE(request_id_from_client_is_echoed) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-http"));
  std::string given = "req-" + RandomUuid();
  Response r = api.Get("/images", With(h, "X-Openstack-Request-Id", given));
  BOOST_TEST(r.Header("x-openstack-request-id") == given);
  std::string bare = RandomUuid();
  r = api.Get("/images/" + RandomUuid(), With(h, "X-Openstack-Request-Id", bare));
  BOOST_TEST(r.status == 404);
  BOOST_TEST(r.Header("x-openstack-request-id") == "req-" + bare);
}

BOOST_AUTO_TEST_CASE(error_body_is_json_when_asked) {
  Api api = Shared().api();
  Headers h = With(ForTenant(Unique("t-http")), "Accept", "application/json");
  struct Case {
    Response r;
    std::string code;
    std::string title;
  };
  std::vector<Case> cases = {
      {api.Get("/images/" + RandomUuid(), h), "404 Not Found", "Not Found"},
      {api.Get("/images" + Query({{"sort_dir", "sideways"}}), h), "400 Bad Request", "Bad Request"},
      {api.Delete("/images", h), "405 Method Not Allowed", "Method Not Allowed"},
      {api.Get("/images", {{"Accept", "application/json"}}), "401 Unauthorized", "Unauthorized"},
  };
  for (const auto& c : cases) {
    BOOST_TEST(c.r.status == std::stoi(c.code.substr(0, 3)), c.r.Describe());
    BOOST_TEST(ContentType(c.r) == "application/json", c.code << ": " << c.r.Header("Content-Type"));
    json body;
    try {
      body = c.r.Json();
    } catch (const std::exception& e) {
      BOOST_ERROR(e.what());
      continue;
    }
    BOOST_TEST(S(body, "code") == c.code);
    BOOST_TEST(S(body, "title") == c.title);
    BOOST_TEST(body.contains("message"));
    BOOST_TEST(body["message"].is_string());
  }
  // The explanation is in the message.
  Response r = api.Get("/images" + Query({{"sort_dir", "sideways"}}), h);
  BOOST_TEST(S(r.Json(), "message").find("Unsupported sort_dir") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(error_body_is_text_by_default) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-http"));
  for (const Headers& hh : {h, With(h, "Accept", "text/plain"), With(h, "Accept", "*/*")}) {
    Response r = api.Get("/images/" + RandomUuid(), hh);
    BOOST_TEST(r.status == 404);
    BOOST_TEST(ContentType(r) == "text/plain", r.Header("Content-Type"));
    BOOST_TEST(r.body.rfind("404 Not Found", 0) == 0u, r.body);
  }
  Response r = api.Get("/images" + Query({{"sort_key", "bogus"}}), h);
  BOOST_TEST(r.status == 400);
  BOOST_TEST(ContentType(r) == "text/plain");
  BOOST_TEST(r.body.rfind("400 Bad Request", 0) == 0u, r.body);
  BOOST_TEST(r.body.find("Unsupported sort_key") != std::string::npos, r.body);
}

BOOST_AUTO_TEST_CASE(success_responses_are_json) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-http"));
  Response r = api.PostJson("/images", h, {{"image", {{"name", "ct"}}}});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(ContentType(r) == "application/json");
  std::string id = S(r.Json()["image"], "id");
  for (const std::string& path : {std::string("/images"), std::string("/images/detail"), std::string("/"),
                                  "/images/" + id, "/images/" + id + "/members", std::string("/shared-images/x")}) {
    r = api.Get(path, h);
    BOOST_TEST(r.status == 200, path << ": " << r.Describe());
    BOOST_TEST(ContentType(r) == "application/json", path << ": " << r.Header("Content-Type"));
    BOOST_CHECK_NO_THROW(r.Json());
  }
}

BOOST_AUTO_TEST_CASE(keep_alive_connection_serves_several_requests) {
  Env& env = Shared();
  Headers identity = ForTenant(Unique("t-http"));
  // Api opens a connection per request; this test needs cpp-httplib's own
  // keep-alive client.
  const httplib::Headers h(identity.begin(), identity.end());
  httplib::Client client("127.0.0.1", env.registry().port());
  client.set_keep_alive(true);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  auto created = client.Post("/images", h, R"({"image": {"name": "ka"}})", "application/json");
  BOOST_REQUIRE(created);
  BOOST_REQUIRE_EQUAL(created->status, 200);
  std::string id = json::parse(created->body)["image"]["id"];
  for (int i = 0; i < 5; ++i) {
    auto r = client.Get(("/images/" + id).c_str(), h);
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 200);
    auto missing = client.Get(("/images/" + RandomUuid()).c_str(), h);
    BOOST_REQUIRE(missing);
    BOOST_TEST(missing->status == 404);
  }
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-http"));
  std::string id = S(CreateImage(api, h, {{"name", "p"}}), "id");
  DbSnapshot before = env.Snapshot();
  for (const std::string& path : {std::string("/nope"), std::string("/imagesX"), std::string("/images/detail/x"),
                                  "/images/" + id + "/nope", "/images/" + id + "/members/m/extra",
                                  std::string("/shared-images")}) {
    Response r = api.Get(path, h);
    BOOST_TEST(r.status == 404, "GET " << path << ": " << r.Describe());
    r = api.Post(path, h, "{}");
    BOOST_TEST(r.status == 404, "POST " << path << ": " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(wrong_methods_are_405_with_allow) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-http"));
  std::string id = S(CreateImage(api, h, {{"name", "m"}}), "id");
  DbSnapshot before = env.Snapshot();
  struct Case {
    std::string method, path;
    std::vector<std::string> allow;
  };
  std::vector<Case> cases = {
      {"DELETE", "/images", {"GET", "POST"}},
      {"PUT", "/images", {"GET", "POST"}},
      {"PATCH", "/images", {"GET", "POST"}},
      {"OPTIONS", "/images", {"GET", "POST"}},
      {"POST", "/images/" + id, {"GET", "PUT", "DELETE"}},
      {"PATCH", "/images/" + id, {"GET", "PUT", "DELETE"}},
      {"OPTIONS", "/images/" + id, {"GET", "PUT", "DELETE"}},
      {"DELETE", "/", {"GET"}},
  };
  for (const auto& c : cases) {
    bool with_body = c.method != "OPTIONS" && c.method != "DELETE";
    Response r = api.Send(c.method, c.path, h, with_body ? "{}" : "", with_body ? "application/json" : "");
    BOOST_TEST(r.status == 405, c.method << " " << c.path << ": " << r.Describe());
    BOOST_TEST(AllowSet(r) == SortedMethods(c.allow), c.method << " " << c.path << " Allow: " << r.Header("Allow"));
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_SUITE_END()
