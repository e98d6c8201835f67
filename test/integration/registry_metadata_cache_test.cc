// The registry's metadata cache (src/db/metadata_cache.h) with two
// registries on one database: each serves what the other changed as soon
// as the change was acknowledged, and what an operator changed with SQL as
// soon as it committed; the epoch moves once per committed transaction.
#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

long long Epoch(const Api& api) {
  Response r = api.Get("/metadata-epoch", ForTenant("t-epoch"));
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  return r.Json()["epoch"].get<long long>();
}

std::string PropertyOf(const Api& api, const std::string& id, const Headers& who) {
  Response r = api.Get("/images/" + id, who);
  if (r.status != 200) return "status " + std::to_string(r.status);
  return r.Json()["image"]["properties"].value("v", "");
}

Response SetProperty(const Api& api, const std::string& id, const Headers& who, int value) {
  return api.PutJson("/images/" + id, who,
                     {{"image", {{"properties", {{"v", std::to_string(value)}}}}}});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_metadata_cache, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(each_registry_serves_what_the_other_changed_at_once) {
  Env& env = Shared();
  Api one = env.api(), two = env.Extra("second", {}).api();
  Headers owner = ForTenant(Unique("t-cache"));
  std::string id = S(CreateImage(one, owner, {{"name", Unique("cached")}, {"properties", {{"v", "0"}}}}), "id");
  int stale = 0;
  for (int i = 1; i <= 100; ++i) {
    const Api& writer = i % 2 ? one : two;
    const Api& reader = i % 2 ? two : one;
    BOOST_TEST_REQUIRE(SetProperty(writer, id, owner, i).status == 200);
    if (PropertyOf(reader, id, owner) != std::to_string(i)) ++stale;
    if (PropertyOf(writer, id, owner) != std::to_string(i)) ++stale;
    Response list = reader.Get("/images/detail?name=" + S(CreateImage(writer, owner, {{"name", Unique("l")}}), "name"), owner);
    if (list.Json()["images"].size() != 1u) ++stale;
  }
  BOOST_TEST(stale == 0);

  BOOST_TEST(one.Delete("/images/" + id, owner).status == 200);
  BOOST_TEST(two.Get("/images/" + id, owner).status == 404);
}

BOOST_AUTO_TEST_CASE(a_revoked_membership_is_not_served_from_the_cache) {
  Env& env = Shared();
  Api one = env.api(), two = env.Extra("second", {}).api();
  std::string member_id = Unique("t-member");
  Headers owner = ForTenant(Unique("t-owner")), member = ForTenant(member_id);
  std::string id = S(CreateImage(one, owner, {{"name", Unique("shared")}}), "id");
  BOOST_TEST_REQUIRE(one.Put("/images/" + id + "/members/" + member_id, owner, "{}").status == 204);
  for (int i = 0; i < 5; ++i) BOOST_TEST_REQUIRE(two.Get("/images/" + id, member).status == 200);
  BOOST_TEST(one.Delete("/images/" + id + "/members/" + member_id, owner).status == 204);
  BOOST_TEST(two.Get("/images/" + id, member).status == 404);
  BOOST_TEST(one.Get("/images/" + id, member).status == 404);
}

BOOST_AUTO_TEST_CASE(a_change_made_with_sql_is_served_once_committed) {
  Env& env = Shared();
  Api api = env.api();
  Headers owner = ForTenant(Unique("t-sql"));
  std::string id = S(CreateImage(api, owner, {{"name", "before"}}), "id");
  for (int i = 0; i < 3; ++i) BOOST_TEST(S(api.Get("/images/" + id, owner).Json()["image"], "name") == "before");
  env.sql() << "UPDATE images SET name = 'after' WHERE id = '" + id + "'";
  BOOST_TEST(S(api.Get("/images/" + id, owner).Json()["image"], "name") == "after");
}

BOOST_AUTO_TEST_CASE(the_epoch_moves_once_per_committed_transaction) {
  Env& env = Shared();
  Api api = env.api();
  Headers owner = ForTenant(Unique("t-epoch"));
  long long before = Epoch(api);
  BOOST_TEST(Epoch(api) == before, "a read moves nothing");
  // Many rows in one transaction (the image and three properties).
  json created = CreateImage(api, owner, {{"name", Unique("epoch")},
                                          {"properties", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}});
  BOOST_TEST(Epoch(api) == before + 1);
  BOOST_TEST(api.Delete("/images/" + S(created, "id"), owner).status == 200);
  BOOST_TEST(Epoch(api) == before + 2);
  BOOST_TEST(api.Get("/images/" + S(created, "id"), owner).status == 404);
  BOOST_TEST(Epoch(api) == before + 2);
  // A refused change commits nothing.
  BOOST_TEST(api.Delete("/images/" + S(created, "id"), owner).status == 404);
  BOOST_TEST(Epoch(api) == before + 2);
}

BOOST_AUTO_TEST_SUITE_END()
