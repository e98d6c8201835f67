// Registry membership routes (spec §14, §16, §20.2): listing, replacing,
// adding and removing members, who may do it, bad bodies, shared-images.
// Over 400 lines for a reason: the routes' rules share the membership
// helpers below.
#include <set>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

std::string MembersPath(const std::string& id) { return "/images/" + id + "/members"; }
std::string MemberPath(const std::string& id, const std::string& member) {
  return "/images/" + id + "/members/" + UrlEncode(member);
}

// [{"member_id", "can_share"}] of an image, as "m:true,m2:false".
std::string MemberList(const Api& api, const std::string& id, const Headers& h) {
  Response r = api.Get(MembersPath(id), h);
  if (r.status != 200) return "HTTP " + r.Describe();
  json body = r.Json();
  if (!body.contains("members") || !body["members"].is_array()) return "bad body " + r.body;
  std::string out;
  for (const auto& m : body["members"]) {
    std::vector<std::string> keys = Keys(m);
    // The registry's entry: v1's two keys plus what v2 shows (status, times).
    if (keys != std::vector<std::string>{"can_share", "created_at", "image_id", "member_id",
                                         "status", "updated_at"}) {
      return "bad entry " + m.dump();
    }
    if (S(m, "image_id") != id || S(m, "status") != "pending") return "bad entry " + m.dump();
    if (!out.empty()) out += ",";
    out += S(m, "member_id") + ":" + (m["can_share"].is_boolean() ? (m["can_share"].get<bool>() ? "true" : "false")
                                                                 : "<" + m["can_share"].dump() + ">");
  }
  return out;
}

json Memberships(std::initializer_list<std::pair<std::string, std::optional<bool>>> entries) {
  json list = json::array();
  for (const auto& [member, can_share] : entries) {
    json e = {{"member_id", member}};
    if (can_share) e["can_share"] = *can_share;
    list.push_back(e);
  }
  return {{"memberships", list}};
}

long long LiveMembers(Env& env, const std::string& id) {
  return env.Count("SELECT count(*) FROM image_members WHERE image_id = :p AND NOT deleted", id);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_members, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(new_image_has_no_members) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "m"}}), "id");
  Response r = api.Get(MembersPath(id), h);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(r.Json().dump() == json({{"members", json::array()}}).dump());
}

BOOST_AUTO_TEST_CASE(add_single_member_and_update_can_share) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "m"}}), "id");
  std::string m = Unique("t-m");

  Response r = api.Put(MemberPath(id, m), h);
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(r.body.empty());
  BOOST_TEST(MemberList(api, id, h) == m + ":false");

  // With a body, can_share is updated.
  r = api.PutJson(MemberPath(id, m), h, {{"member", {{"can_share", true}}}});
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == m + ":true");

  // Without a body an existing member keeps its can_share.
  r = api.Put(MemberPath(id, m), h);
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == m + ":true");

  // A body without member.can_share changes nothing.
  r = api.PutJson(MemberPath(id, m), h, {{"member", json::object()}});
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == m + ":true");

  r = api.PutJson(MemberPath(id, m), h, {{"member", {{"can_share", false}}}});
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == m + ":false");
  BOOST_TEST(LiveMembers(env, id) == 1);

  // New member with can_share given.
  std::string m2 = Unique("t-m");
  r = api.PutJson(MemberPath(id, m2), h, {{"member", {{"can_share", true}}}});
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == m + ":false," + m2 + ":true");
}

BOOST_AUTO_TEST_CASE(members_listed_in_insertion_order) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "order"}}), "id");
  std::string base = Unique("m");
  std::vector<std::string> members = {base + "-zulu", base + "-alpha", base + "-mike", base + "-bravo"};
  std::string expected;
  for (const auto& m : members) {
    BOOST_REQUIRE(api.Put(MemberPath(id, m), h).status == 204);
    expected += (expected.empty() ? "" : ",") + m + ":false";
  }
  BOOST_TEST(MemberList(api, id, h) == expected);
}

BOOST_AUTO_TEST_CASE(replace_member_set) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "set"}}), "id");
  std::string a = Unique("t-a"), b = Unique("t-b"), c = Unique("t-c");

  Response r = api.PutJson(MembersPath(id), h, Memberships({{a, true}, {b, std::nullopt}}));
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == a + ":true," + b + ":false");

  // b kept (can_share absent keeps false), a dropped, c added.
  r = api.PutJson(MembersPath(id), h, Memberships({{b, std::nullopt}, {c, true}}));
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == b + ":false," + c + ":true");
  BOOST_TEST(LiveMembers(env, id) == 2);

  // Missing can_share keeps the existing value of c.
  r = api.PutJson(MembersPath(id), h, Memberships({{c, std::nullopt}}));
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == c + ":true");

  // A dropped member can come back.
  r = api.PutJson(MembersPath(id), h, Memberships({{c, false}, {a, std::nullopt}}));
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == c + ":false," + a + ":false");

  // Empty list removes everyone.
  r = api.PutJson(MembersPath(id), h, {{"memberships", json::array()}});
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == "");
  BOOST_TEST(LiveMembers(env, id) == 0);
}

BOOST_AUTO_TEST_CASE(delete_member) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "del"}}), "id");
  std::string a = Unique("t-a"), b = Unique("t-b");
  BOOST_REQUIRE(api.PutJson(MembersPath(id), h, Memberships({{a, false}, {b, true}})).status == 204);

  Response r = api.Delete(MemberPath(id, a), h);
  BOOST_TEST(r.status == 204, r.Describe());
  BOOST_TEST(MemberList(api, id, h) == b + ":true");
  DbSnapshot before = env.Snapshot();
  for (const std::string& gone : {a, Unique("never")}) {
    r = api.Delete(MemberPath(id, gone), h);
    BOOST_TEST(r.status == 404, gone << ": " << r.Describe());
    BOOST_TEST(r.body.find("Membership could not be found.") != std::string::npos, r.body);
  }
  BOOST_TEST(env.Snapshot() == before);
  // Re-adding after a delete works.
  BOOST_TEST(api.Put(MemberPath(id, a), h).status == 204);
  BOOST_TEST(MemberList(api, id, h) == b + ":true," + a + ":false");
}

BOOST_AUTO_TEST_CASE(who_may_manage_members) {
  Env& env = Shared();
  Api api = env.api();
  std::string owner = Unique("t-owner");
  Headers ho = ForTenant(owner);
  std::string plain = Unique("t-plain"), sharer = Unique("t-sharer"), stranger = Unique("t-stranger");
  std::string priv = S(CreateImage(api, ho, {{"name", "priv"}}), "id");
  std::string pub = S(CreateImage(api, Admin(), {{"name", "pub"}, {"owner", owner}, {"is_public", true}}), "id");
  BOOST_REQUIRE(api.PutJson(MembersPath(priv), ho, Memberships({{plain, false}, {sharer, true}})).status == 204);

  DbSnapshot before = env.Snapshot();
  // A member without can_share: 403 on every change.
  Headers hp = ForTenant(plain);
  BOOST_TEST(api.Put(MemberPath(priv, Unique("x")), hp).status == 403);
  BOOST_TEST(api.PutJson(MembersPath(priv), hp, Memberships({{plain, true}})).status == 403);
  BOOST_TEST(api.Delete(MemberPath(priv, sharer), hp).status == 403);
  // A tenant that sees the public image but does not own it: 403.
  Headers hs = ForTenant(stranger);
  BOOST_TEST(api.Put(MemberPath(pub, Unique("x")), hs).status == 403);
  BOOST_TEST(api.PutJson(MembersPath(pub), hs, Memberships({{stranger, true}})).status == 403);
  // A tenant that cannot see the private image at all: 404.
  BOOST_TEST(api.Put(MemberPath(priv, stranger), hs).status == 404);
  BOOST_TEST(api.PutJson(MembersPath(priv), hs, Memberships({{stranger, true}})).status == 404);
  BOOST_TEST(api.Delete(MemberPath(priv, plain), hs).status == 404);
  BOOST_TEST(env.Snapshot() == before);

  // Anyone who sees the image may list its members.
  BOOST_TEST(MemberList(api, priv, hp) == plain + ":false," + sharer + ":true");
  BOOST_TEST(api.Get(MembersPath(priv), hs).status == 404);
  BOOST_TEST(api.Get(MembersPath(pub), hs).status == 200);

  // A member with can_share may add and remove members.
  Headers hsh = ForTenant(sharer);
  std::string extra = Unique("t-extra");
  BOOST_TEST(api.Put(MemberPath(priv, extra), hsh).status == 204);
  BOOST_TEST(api.Delete(MemberPath(priv, plain), hsh).status == 204);
  BOOST_TEST(MemberList(api, priv, ho) == sharer + ":true," + extra + ":false");
  // The admin may too.
  BOOST_TEST(api.Put(MemberPath(priv, plain), Admin()).status == 204);
  BOOST_TEST(api.Delete(MemberPath(priv, extra), Admin()).status == 204);
  BOOST_TEST(MemberList(api, priv, ho) == sharer + ":true," + plain + ":false");
}

BOOST_AUTO_TEST_CASE(context_without_tenant_is_401) {
  Env& env = Shared();
  Api api = env.api();
  std::string owner = Unique("t-owner");
  std::string pub = S(CreateImage(api, Admin(), {{"name", "pub"}, {"owner", owner}, {"is_public", true}}), "id");
  Headers anon = {{"X-Identity-Status", "Confirmed"}, {"X-User-Id", "lonely"}, {"X-Roles", "member"}};
  DbSnapshot before = env.Snapshot();
  // Spec §14.1: 401 "No authenticated user".
  std::vector<std::pair<std::string, Response>> replies = {
      {"PUT member", api.Put(MemberPath(pub, "t-x"), anon)},
      {"PUT members", api.PutJson(MembersPath(pub), anon, Memberships({{"t-x", false}}))},
      {"DELETE member", api.Delete(MemberPath(pub, "t-x"), anon)}};
  for (const auto& [what, r] : replies) {
    BOOST_TEST(r.status == 401, what << ": " << r.Describe());
    BOOST_TEST(r.body.find("No authenticated user") != std::string::npos, what << ": " << r.body);
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(bad_membership_bodies_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "bad"}}), "id");
  std::string keep = Unique("t-keep");
  BOOST_REQUIRE(api.PutJson(MembersPath(id), h, Memberships({{keep, true}})).status == 204);

  std::vector<std::string> bodies = {
      "not json",
      "{\"memberships\": [",
      "",
      "[]",
      "\"memberships\"",
      "42",
      "null",
      "{}",
      "{\"memberships\": null}",
      "{\"memberships\": {}}",
      "{\"memberships\": \"t1\"}",
      "{\"memberships\": [\"t1\"]}",
      "{\"memberships\": [[]]}",
      "{\"memberships\": [{}]}",
      "{\"memberships\": [{\"can_share\": true}]}",
      "{\"memberships\": [{\"member_id\": 5}]}",
      "{\"memberships\": [{\"member_id\": null}]}",
      "{\"memberships\": [{\"member_id\": [\"t1\"]}]}",
      "{\"memberships\": [{\"member_id\": \"t1\", \"can_share\": \"yes\"}]}",
      "{\"memberships\": [{\"member_id\": \"t1\", \"can_share\": 1}]}",
      "{\"memberships\": [{\"member_id\": \"t1\", \"can_share\": {}}]}",
      "{\"memberships\": [{\"member_id\": \"\"}]}",
      "{\"memberships\": [{\"member_id\": \"a/b\"}]}",
      "{\"memberships\": [{\"member_id\": \".\"}]}",
      "{\"memberships\": [{\"member_id\": \"..\"}]}",
      "{\"memberships\": [{\"member_id\": \"a\\u0000b\"}]}",
      "{\"memberships\": [{\"member_id\": \"a\\nb\"}]}",
      "{\"memberships\": [{\"member_id\": \"a\\u007fb\"}]}",
      "{\"memberships\": [{\"member_id\": \"\\ud83d\\ude00\"}]}",
      "{\"memberships\": [{\"member_id\": \"" + std::string(256, 'm') + "\"}]}",
      "{\"memberships\": [{\"member_id\": \"\xff\xfe\"}]}",
      // One good entry followed by a bad one: nothing is applied.
      "{\"memberships\": [{\"member_id\": \"t-good\"}, {\"member_id\": \"..\"}]}",
  };
  DbSnapshot before = env.Snapshot();
  for (const auto& body : bodies) {
    Response r = api.Put(MembersPath(id), h, body);
    BOOST_TEST(r.status == 400, "body " << body.substr(0, 80) << " -> " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(MemberList(api, id, h) == keep + ":true");

  // Member ids of exactly 255 characters are fine.
  std::string longest(255, 'L');
  BOOST_TEST(api.PutJson(MembersPath(id), h, Memberships({{keep, true}, {longest, false}})).status == 204);
}

BOOST_AUTO_TEST_CASE(bad_single_member_requests_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "bad1"}}), "id");
  std::string m = Unique("t-m");
  BOOST_REQUIRE(api.Put(MemberPath(id, m), h).status == 204);

  DbSnapshot before = env.Snapshot();
  for (const std::string body :
       {"not json", "{\"member\": ", "[1]", "{\"member\": {\"can_share\": \"yes\"}}",
        "{\"member\": {\"can_share\": 1}}", "{\"member\": {\"can_share\": []}}", "{\"member\": \"x\"}"}) {
    Response r = api.Put(MemberPath(id, m), h, body);
    BOOST_TEST(r.status == 400, "body " << body << " -> " << r.Describe());
  }
  // Bad member ids in the path.
  for (const std::string& bad : {std::string(256, 'x'), std::string("a\x01" "b"), std::string("a\x7f"),
                                std::string("\xff"), std::string("\xF0\x9F\x98\x80")}) {
    Response r = api.Put("/images/" + id + "/members/" + UrlEncode(bad), h);
    BOOST_TEST(r.status == 400, "member id of " << bad.size() << " bytes -> " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(MemberList(api, id, h) == m + ":false");
}

BOOST_AUTO_TEST_CASE(member_routes_method_not_allowed) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "405"}}), "id");
  std::string m = Unique("t-m");
  BOOST_REQUIRE(api.Put(MemberPath(id, m), h).status == 204);
  DbSnapshot before = env.Snapshot();

  Response r = api.Get(MemberPath(id, m), h);
  BOOST_TEST(r.status == 405, r.Describe());
  BOOST_TEST(AllowSet(r) == SortedMethods({"PUT", "DELETE"}), boost::test_tools::per_element());

  r = api.Post(MemberPath(id, m), h, "{}");
  BOOST_TEST(r.status == 405, r.Describe());
  BOOST_TEST(AllowSet(r) == SortedMethods({"PUT", "DELETE"}), boost::test_tools::per_element());

  // POST is v2's member create.
  r = api.Delete(MembersPath(id), h);
  BOOST_TEST(r.status == 405, r.Describe());
  BOOST_TEST(AllowSet(r) == SortedMethods({"GET", "PUT", "POST"}), boost::test_tools::per_element());
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(deleted_image_member_routes_are_404) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  std::string id = S(CreateImage(api, h, {{"name", "gone"}}), "id");
  std::string m = Unique("t-m");
  BOOST_REQUIRE(api.Put(MemberPath(id, m), h).status == 204);
  BOOST_REQUIRE(api.Delete("/images/" + id, h).status == 200);

  DbSnapshot before = env.Snapshot();
  BOOST_TEST(api.Get(MembersPath(id), h).status == 404);
  BOOST_TEST(api.PutJson(MembersPath(id), h, Memberships({{m, true}})).status == 404);
  BOOST_TEST(api.Put(MemberPath(id, m), h).status == 404);
  BOOST_TEST(api.Put(MemberPath(id, Unique("t-new")), h).status == 404);
  BOOST_TEST(api.Delete(MemberPath(id, m), h).status == 404);
  BOOST_TEST(env.Snapshot() == before);
  // Memberships went with the image.
  BOOST_TEST(LiveMembers(env, id) == 0);
}

BOOST_AUTO_TEST_CASE(unknown_image_member_routes_are_404) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-mem"));
  DbSnapshot before = env.Snapshot();
  for (const std::string& id : {RandomUuid(), std::string("not-a-uuid")}) {
    BOOST_TEST(api.Get(MembersPath(id), h).status == 404);
    BOOST_TEST(api.PutJson(MembersPath(id), h, Memberships({{"t1", true}})).status == 404);
    BOOST_TEST(api.Put(MemberPath(id, "t1"), h).status == 404);
    BOOST_TEST(api.Delete(MemberPath(id, "t1"), h).status == 404);
    BOOST_TEST(api.Put(MemberPath(id, "t1"), Admin()).status == 404);
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(shared_images_of_a_member) {
  Api api = Shared().api();
  std::string owner1 = Unique("t-o1"), owner2 = Unique("t-o2"), member = Unique("t-mbr");
  Headers h1 = ForTenant(owner1), h2 = ForTenant(owner2);
  std::string a = S(CreateImage(api, h1, {{"name", "a"}}), "id");
  std::string b = S(CreateImage(api, h1, {{"name", "b"}}), "id");
  std::string c = S(CreateImage(api, h2, {{"name", "c"}}), "id");
  std::string gone = S(CreateImage(api, h1, {{"name", "gone"}}), "id");
  BOOST_REQUIRE(api.PutJson(MemberPath(a, member), h1, {{"member", {{"can_share", true}}}}).status == 204);
  BOOST_REQUIRE(api.Put(MemberPath(b, member), h1).status == 204);
  BOOST_REQUIRE(api.Put(MemberPath(c, member), h2).status == 204);
  BOOST_REQUIRE(api.Put(MemberPath(gone, member), h1).status == 204);
  BOOST_REQUIRE(api.Delete("/images/" + gone, h1).status == 200);
  // A removed membership does not count.
  std::string removed = S(CreateImage(api, h1, {{"name", "r"}}), "id");
  BOOST_REQUIRE(api.Put(MemberPath(removed, member), h1).status == 204);
  BOOST_REQUIRE(api.Delete(MemberPath(removed, member), h1).status == 204);

  auto shared = [&](const Headers& h) {
    Response r = api.Get("/shared-images/" + UrlEncode(member), h);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
    json body = r.Json();
    BOOST_REQUIRE_MESSAGE(body.contains("shared_images") && body["shared_images"].is_array(), r.body);
    std::set<std::string> out;
    for (const auto& e : body["shared_images"]) {
      BOOST_TEST(Keys(e) == (std::vector<std::string>{"can_share", "image_id"}), boost::test_tools::per_element());
      out.insert(S(e, "image_id") + ":" + S(e, "can_share"));
    }
    return out;
  };
  std::set<std::string> everything = {a + ":<true>", b + ":<false>", c + ":<false>"};
  BOOST_TEST(shared(Admin()) == everything);
  BOOST_TEST(shared(ForTenant(member)) == everything);
  BOOST_TEST(shared(h1) == (std::set<std::string>{a + ":<true>", b + ":<false>"}));
  BOOST_TEST(shared(h2) == (std::set<std::string>{c + ":<false>"}));
  BOOST_TEST(shared(ForTenant(Unique("t-nobody"))).empty());

  Response r = api.Get("/shared-images/" + Unique("t-lonely"), Admin());
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(r.Json().dump() == json({{"shared_images", json::array()}}).dump());
}

BOOST_AUTO_TEST_SUITE_END()
