// Who sees which images (spec §7.3, §8): public, own, shared; admin
// is_public selectors; role parsing.
#include <set>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

std::set<std::string> IdSet(const std::vector<json>& images) {
  auto ids = Ids(images);
  return {ids.begin(), ids.end()};
}

// A scenario: owner A with a private, a public, a shared (with B) image, an
// image whose membership for B was removed, and a deleted shared image.
struct World {
  std::string tag, a, b, c;
  std::string priv, pub, shared, unshared, deleted;

  explicit World(const Api& api) {
    tag = Unique("vis");
    a = Unique("t-a");
    b = Unique("t-b");
    c = Unique("t-c");
    Headers ha = ForTenant(a);
    json props = {{"tag", tag}};
    priv = S(CreateImage(api, ha, {{"name", "priv"}, {"properties", props}}), "id");
    pub = S(CreateImage(api, Admin(), {{"name", "pub"}, {"owner", a}, {"is_public", true}, {"properties", props}}),
            "id");
    shared = S(CreateImage(api, ha, {{"name", "shared"}, {"properties", props}}), "id");
    unshared = S(CreateImage(api, ha, {{"name", "unshared"}, {"properties", props}}), "id");
    deleted = S(CreateImage(api, ha, {{"name", "deleted"}, {"properties", props}}), "id");
    BOOST_REQUIRE(api.Put("/images/" + shared + "/members/" + b, ha).status == 204);
    BOOST_REQUIRE(api.Put("/images/" + unshared + "/members/" + b, ha).status == 204);
    BOOST_REQUIRE(api.Delete("/images/" + unshared + "/members/" + b, ha).status == 204);
    BOOST_REQUIRE(api.Put("/images/" + deleted + "/members/" + b, ha).status == 204);
    BOOST_REQUIRE(api.Delete("/images/" + deleted, ha).status == 200);
  }

  std::set<std::string> List(const Api& api, const Headers& h,
                             std::vector<std::pair<std::string, std::string>> params = {}) const {
    params.emplace_back("property-tag", tag);
    params.emplace_back("limit", "1000");
    auto detail = IdSet(ListDetail(api, h, Query(params)));
    auto index = IdSet(ListIndex(api, h, Query(params)));
    BOOST_TEST(detail == index, "index and detail disagree");
    return detail;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_visibility, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(non_admin_lists_public_own_and_shared) {
  Api api = Shared().api();
  World w(api);
  BOOST_TEST(w.List(api, ForTenant(w.a)) == (std::set<std::string>{w.priv, w.pub, w.shared, w.unshared}));
  BOOST_TEST(w.List(api, ForTenant(w.b)) == (std::set<std::string>{w.pub, w.shared}));
  BOOST_TEST(w.List(api, ForTenant(w.c)) == (std::set<std::string>{w.pub}));
}

BOOST_AUTO_TEST_CASE(non_admin_is_public_parameter_is_ignored) {
  Api api = Shared().api();
  World w(api);
  std::set<std::string> for_b = {w.pub, w.shared};
  for (const char* v : {"true", "false", "none", "1", "0"}) {
    BOOST_TEST(w.List(api, ForTenant(w.b), {{"is_public", v}}) == for_b, "is_public=" << v);
  }
  BOOST_TEST(w.List(api, ForTenant(w.c), {{"is_public", "none"}}) == std::set<std::string>{w.pub});
}

BOOST_AUTO_TEST_CASE(non_admin_single_image_visibility) {
  Api api = Shared().api();
  World w(api);
  Headers hb = ForTenant(w.b), hc = ForTenant(w.c), ha = ForTenant(w.a);
  BOOST_TEST(api.Get("/images/" + w.priv, ha).status == 200);
  BOOST_TEST(api.Get("/images/" + w.priv, hb).status == 404);
  BOOST_TEST(api.Get("/images/" + w.pub, hb).status == 200);
  BOOST_TEST(api.Get("/images/" + w.shared, hb).status == 200);
  BOOST_TEST(api.Get("/images/" + w.unshared, hb).status == 404);
  BOOST_TEST(api.Get("/images/" + w.deleted, hb).status == 404);
  BOOST_TEST(api.Get("/images/" + w.deleted, ha).status == 404);
  BOOST_TEST(api.Get("/images/" + w.shared, hc).status == 404);
  BOOST_TEST(api.Get("/images/" + w.pub, hc).status == 200);
}

BOOST_AUTO_TEST_CASE(membership_grants_and_revokes_visibility) {
  Api api = Shared().api();
  std::string owner = Unique("t-o"), member = Unique("t-m");
  std::string tag = Unique("vis");
  std::string id = S(CreateImage(api, ForTenant(owner), {{"name", "g"}, {"properties", {{"tag", tag}}}}), "id");
  auto listed = [&]() {
    return ContainsId(ListDetail(api, ForTenant(member), Query({{"property-tag", tag}})), id);
  };
  BOOST_TEST(!listed());
  BOOST_TEST(api.Get("/images/" + id, ForTenant(member)).status == 404);
  BOOST_REQUIRE(api.Put("/images/" + id + "/members/" + member, ForTenant(owner)).status == 204);
  BOOST_TEST(listed());
  BOOST_TEST(api.Get("/images/" + id, ForTenant(member)).status == 200);
  BOOST_REQUIRE(api.Delete("/images/" + id + "/members/" + member, ForTenant(owner)).status == 204);
  BOOST_TEST(!listed());
  BOOST_TEST(api.Get("/images/" + id, ForTenant(member)).status == 404);
  // Replacing the member set also revokes.
  BOOST_REQUIRE(api.PutJson("/images/" + id + "/members", ForTenant(owner), {{"memberships", {{{"member_id", member}}}}}).status == 204);
  BOOST_TEST(listed());
  BOOST_REQUIRE(api.PutJson("/images/" + id + "/members", ForTenant(owner), {{"memberships", json::array()}})
                    .status == 204);
  BOOST_TEST(!listed());
}

BOOST_AUTO_TEST_CASE(context_without_tenant_sees_only_public_images) {
  Api api = Shared().api();
  World w(api);
  Headers lonely = {{"X-Identity-Status", "Confirmed"}, {"X-User-Id", "u-lonely"}, {"X-Roles", "member"}};
  BOOST_TEST(w.List(api, lonely) == std::set<std::string>{w.pub});
  BOOST_TEST(api.Get("/images/" + w.pub, lonely).status == 200);
  BOOST_TEST(api.Get("/images/" + w.priv, lonely).status == 404);
  BOOST_TEST(api.Get("/images/" + w.shared, lonely).status == 404);
}

BOOST_AUTO_TEST_CASE(admin_is_public_selectors) {
  Api api = Shared().api();
  World w(api);
  Headers admin = Admin(Unique("t-admin"));
  std::set<std::string> undeleted = {w.priv, w.pub, w.shared, w.unshared};
  BOOST_TEST(w.List(api, admin) == std::set<std::string>{w.pub});
  BOOST_TEST(w.List(api, admin, {{"is_public", "true"}}) == std::set<std::string>{w.pub});
  BOOST_TEST(w.List(api, admin, {{"is_public", "none"}}) == undeleted);
  BOOST_TEST(w.List(api, admin, {{"is_public", "false"}}) ==
             (std::set<std::string>{w.priv, w.shared, w.unshared}));
  BOOST_TEST(w.List(api, admin, {{"is_public", "0"}}) ==
             (std::set<std::string>{w.priv, w.shared, w.unshared}));
  // An admin whose tenant is B sees B's view by default.
  BOOST_TEST(w.List(api, Admin(w.b)) == (std::set<std::string>{w.pub, w.shared}));
  // An admin whose tenant is A sees A's images by default.
  BOOST_TEST(w.List(api, Admin(w.a)) == (std::set<std::string>{w.priv, w.pub, w.shared, w.unshared}));
}

BOOST_AUTO_TEST_CASE(admin_bad_is_public_value_is_400) {
  Env& env = Shared();
  Api api = env.api();
  DbSnapshot before = env.Snapshot();
  for (const char* bad : {"maybe", "all", "2"}) {
    Response r = api.Get("/images/detail" + Query({{"is_public", bad}}), Admin());
    BOOST_TEST(r.status == 400, "is_public=" << bad << " -> " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(admin_sees_any_single_image) {
  Api api = Shared().api();
  World w(api);
  Headers admin = Admin(Unique("t-admin"));
  BOOST_TEST(api.Get("/images/" + w.priv, admin).status == 200);
  BOOST_TEST(api.Get("/images/" + w.shared, admin).status == 200);
  Response r = api.Get("/images/" + w.deleted, admin);
  BOOST_TEST(r.status == 200, r.Describe());
}

BOOST_AUTO_TEST_CASE(admin_role_is_case_insensitive) {
  Api api = Shared().api();
  World w(api);
  for (const char* roles : {"admin", "ADMIN", "Admin", "member,admin", "member, Admin", " admin ", "reader,AdMiN"}) {
    Headers h = ForTenant(Unique("t-r"), roles);
    BOOST_TEST(api.Get("/images/" + w.priv, h).status == 200, "roles '" << roles << "'");
    BOOST_TEST(w.List(api, h, {{"is_public", "none"}}).count(w.priv) == 1u, "roles '" << roles << "'");
  }
  for (const char* roles : {"", "member", "administrator", "admins", "_admin", "member;admin", "adm in"}) {
    Headers h = ForTenant(Unique("t-r"), roles);
    BOOST_TEST(api.Get("/images/" + w.priv, h).status == 404, "roles '" << roles << "'");
    BOOST_TEST(w.List(api, h, {{"is_public", "none"}}).count(w.priv) == 0u, "roles '" << roles << "'");
  }
}

BOOST_AUTO_TEST_CASE(image_without_owner_is_visible_but_only_admin_mutable) {
  Env& env = Shared();
  Api api = env.api();
  RegistryConfig noauth;
  noauth.flavor = "";
  Api open = env.Extra("noauth", noauth).api();
  Response r = open.PostJson("/images", {}, {{"image", {{"name", Unique("ownerless")}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  json img = r.Json()["image"];
  BOOST_TEST(S(img, "owner") == "<null>");
  std::string id = S(img, "id");

  Headers h = ForTenant(Unique("t-any"));
  BOOST_TEST(api.Get("/images/" + id, h).status == 200);
  DbSnapshot before = env.Snapshot();
  BOOST_TEST(api.PutJson("/images/" + id, h, {{"image", {{"name", "mine"}}}}).status == 404);
  BOOST_TEST(api.Delete("/images/" + id, h).status == 404);
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(api.PutJson("/images/" + id, Admin(), {{"image", {{"name", "admin-did"}}}}).status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
