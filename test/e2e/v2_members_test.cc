// Image API v2 tags (contract §7) and members (§8) through nginx: the
// routes and their refusals on the noauth stack, then what each project
// sees and may do on the trusted-auth stack (owner, members by status, a
// stranger).
#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

namespace {

std::set<std::string> Tags(const Api& api, const std::string& id) {
  std::set<std::string> tags;
  const json image = V2Get(api, id);  // kept: the loop must not walk a temporary
  for (const auto& tag : image["tags"]) tags.insert(tag.get<std::string>());
  return tags;
}

std::string TagPath(const std::string& id, const std::string& tag) {
  return "/v2/images/" + id + "/tags/" + UrlEncode(tag);
}

// member id → status, of GET .../members as `api` sees it.
std::map<std::string, std::string> Members(const Api& api, const std::string& id) {
  Reply reply = api.Get("/v2/images/" + id + "/members");
  if (reply.status != 200) throw std::runtime_error("GET members: " + reply.Describe());
  json body = reply.Json();
  std::map<std::string, std::string> out;
  for (const auto& member : body["members"]) out[S(member, "member_id")] = S(member, "status");
  return out;
}

void CheckMemberObject(const json& member, const std::string& image, const std::string& id,
                       const std::string& status) {
  BOOST_TEST(S(member, "member_id") == id, member.dump());
  BOOST_TEST(S(member, "image_id") == image, member.dump());
  BOOST_TEST(S(member, "status") == status, member.dump());
  BOOST_TEST(S(member, "schema") == "/v2/schemas/member", member.dump());
  BOOST_TEST(LooksLikeV2Time(S(member, "created_at")), member.dump());
  BOOST_TEST(LooksLikeV2Time(S(member, "updated_at")), member.dump());
}

// Whether `api` finds `id` in its list with the given extra query.
bool Listed(const Api& api, const std::string& tag, const std::string& id, const std::string& query = "") {
  json body = V2ListPage(api, "/v2/images?v2share=" + tag + "&limit=1000" + (query.empty() ? "" : "&" + query));
  return IdSetOf(body["images"]).count(id) == 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(v2_tags)

BOOST_AUTO_TEST_CASE(add_and_remove_tags) {
  Api api = NoAuthStack().api();
  std::string id = V2CreateId(api, {{"name", "v2-tags"}, {"tags", {"first"}}, {"disk_format", "raw"},
                                    {"container_format", "bare"}});
  const std::string cafe = "caf\xc3\xa9 au lait";
  for (const std::string& tag : {std::string("second"), cafe, std::string("with.dots-and_under"), std::string(255, 't')}) {
    Reply added = api.Put(TagPath(id, tag), {}, "", "");
    BOOST_TEST(added.status == 204, tag << ": " << added.Describe());
    BOOST_TEST(added.body.empty());
  }
  BOOST_TEST((Tags(api, id) == std::set<std::string>{"first", "second", cafe, "with.dots-and_under", std::string(255, 't')}));
  // Idempotent.
  BOOST_TEST(api.Put(TagPath(id, "second"), {}, "", "").status == 204);
  BOOST_TEST(V2Get(api, id)["tags"].size() == 5u);
  Reply removed = api.Delete(TagPath(id, "second"));
  BOOST_TEST(removed.status == 204, removed.Describe());
  BOOST_TEST(removed.body.empty());
  BOOST_TEST(Tags(api, id).count("second") == 0u);
  ExpectRefusal(api.Delete(TagPath(id, "second")), 404, "removing an absent tag");
  ExpectRefusal(api.Put(TagPath(id, std::string(256, 't')), {}, "", ""), 400, "a 256-character tag");
  // Tags work in any status: active too.
  BOOST_TEST(V2Upload(api, id, "data").status == 204);
  BOOST_TEST(api.Put(TagPath(id, "after-upload"), {}, "", "").status == 204);
  BOOST_TEST(Tags(api, id).count("after-upload") == 1u);
  // Listed by tag.
  json listed = V2ListPage(api, "/v2/images?tag=" + UrlEncode(cafe) + "&tag=after-upload");
  BOOST_TEST((IdSetOf(listed["images"]) == std::set<std::string>{id}), listed.dump().substr(0, 300));
  // Unknown and deleted images.
  std::string gone = V2CreateId(api, {{"name", "v2-tags-gone"}});
  BOOST_TEST_REQUIRE(api.Delete("/v2/images/" + gone).status == 204);
  for (const std::string& image : {gone, RandomUuid(), std::string("not-a-uuid")}) {
    ExpectRefusal(api.Put(TagPath(image, "t"), {}, "", ""), 404, "tag PUT on " + image);
    ExpectRefusal(api.Delete(TagPath(image, "t")), 404, "tag DELETE on " + image);
  }
}

BOOST_AUTO_TEST_CASE(the_tag_quota_is_413) {
  Api api = NoAuthStack().api();
  json tags = json::array();
  for (int i = 0; i < 128; ++i) tags.push_back("q" + std::to_string(i));
  std::string id = V2CreateId(api, {{"name", "v2-tag-quota"}, {"tags", tags}});
  ExpectRefusal(api.Put(TagPath(id, "one-more"), {}, "", ""), 413, "the 129th tag");
  BOOST_TEST(Tags(api, id).count("one-more") == 0u);
  // An existing one is no new tag.
  BOOST_TEST(api.Put(TagPath(id, "q5"), {}, "", "").status == 204);
  ExpectRefusal(V2Patch(api, id, json::array({{{"op", "add"}, {"path", "/tags"},
                                               {"value", [] {
                                                  json many = json::array();
                                                  for (int i = 0; i < 129; ++i) many.push_back("p" + std::to_string(i));
                                                  return many;
                                                }()}}})),
                413, "129 tags by PATCH");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(v2_members)

BOOST_AUTO_TEST_CASE(add_show_update_list_and_remove_a_member) {
  Api api = NoAuthStack().api();
  std::string id = V2CreateId(api, {{"name", "v2-members"}});  // shared by default
  const std::string member = "v2m-" + NewRunTag();
  const std::string base = "/v2/images/" + id + "/members";
  Reply empty = api.Get(base);
  BOOST_TEST_REQUIRE(empty.status == 200, empty.Describe());
  BOOST_TEST((empty.Json() == json{{"members", json::array()}, {"schema", "/v2/schemas/members"}}), empty.body);

  Reply added = V2AddMember(api, id, member);
  BOOST_TEST_REQUIRE(added.status == 200, added.Describe());
  BOOST_TEST(added.Header("Content-Type").find("application/json") != std::string::npos);
  CheckMemberObject(added.Json(), id, member, "pending");
  Reply shown = api.Get(base + "/" + member);
  BOOST_TEST_REQUIRE(shown.status == 200, shown.Describe());
  BOOST_TEST((shown.Json() == added.Json()), shown.body);
  Reply listed = api.Get(base);
  BOOST_TEST_REQUIRE(listed.status == 200, listed.Describe());
  json list = listed.Json();
  BOOST_TEST(S(list, "schema") == "/v2/schemas/members");
  BOOST_TEST_REQUIRE(list["members"].size() == 1u, listed.body);
  CheckMemberObject(list["members"][0], id, member, "pending");

  for (const char* status : {"accepted", "rejected", "pending", "accepted"}) {
    Reply updated = V2SetMember(api, id, member, status);
    BOOST_TEST_REQUIRE(updated.status == 200, status << ": " << updated.Describe());
    CheckMemberObject(updated.Json(), id, member, status);
    BOOST_TEST(Members(api, id)[member] == status);
  }
  ExpectRefusal(V2AddMember(api, id, member), 409, "the same member again");
  Reply removed = api.Delete(base + "/" + member);
  BOOST_TEST(removed.status == 204, removed.Describe());
  BOOST_TEST(removed.body.empty());
  ExpectRefusal(api.Get(base + "/" + member), 404, "GET of a removed member");
  ExpectRefusal(api.Delete(base + "/" + member), 404, "DELETE of a removed member");
  ExpectRefusal(V2SetMember(api, id, member, "accepted"), 404, "PUT of a removed member");
  BOOST_TEST(Members(api, id).empty());
  // Added again: pending again.
  Reply again = V2AddMember(api, id, member);
  BOOST_TEST_REQUIRE(again.status == 200, again.Describe());
  BOOST_TEST(S(again.Json(), "status") == "pending");
}

BOOST_AUTO_TEST_CASE(bad_member_requests_are_400) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = V2CreateId(api, {{"name", "v2-members-bad"}});
  const std::string member = "v2m-bad-" + NewRunTag();
  BOOST_TEST_REQUIRE(V2AddMember(api, id, member).status == 200);
  const std::string base = "/v2/images/" + id + "/members";
  for (const std::string& body : std::vector<std::string>{
           "", "{", "[]", "42", "\"m\"", "{}", R"({"member": ""})", R"({"member": 5})", R"({"member": null})",
           R"({"member": ["a"]})", R"({"member_id": "x"})", R"({"member": ".."})", R"({"member": "."})",
           R"({"member": "a/b"})", R"({"member": "a\u0001b"})", "{\"member\": \"" + std::string(256, 'm') + "\"}"}) {
    std::string before = stack.Fingerprint();
    ExpectRefusal(api.Send("POST", base, {}, body, "application/json"), 400, "POST members " + body.substr(0, 40));
    BOOST_TEST(stack.Fingerprint() == before, body.substr(0, 40) << ": the catalogue changed");
  }
  for (const std::string& body : std::vector<std::string>{
           "", "{", "[]", "{}", R"({"status": "maybe"})", R"({"status": ""})", R"({"status": 1})",
           R"({"status": null})", R"({"status": "ACCEPTED"})", R"({"state": "accepted"})"}) {
    std::string before = stack.Fingerprint();
    ExpectRefusal(api.Send("PUT", base + "/" + member, {}, body, "application/json"), 400,
                  "PUT member " + body);
    BOOST_TEST(stack.Fingerprint() == before, body << ": the catalogue changed");
  }
  BOOST_TEST(Members(api, id)[member] == "pending");
  ExpectRefusal(api.Get(base + "/nobody-" + NewRunTag()), 404, "GET of an unknown member");
  ExpectRefusal(V2SetMember(api, id, "nobody-" + NewRunTag(), "accepted"), 404, "PUT of an unknown member");
  // Unknown, malformed and deleted images.
  std::string gone = V2CreateId(api, {{"name", "v2-members-gone"}});
  BOOST_TEST_REQUIRE(api.Delete("/v2/images/" + gone).status == 204);
  for (const std::string& image : {gone, RandomUuid(), std::string("not-a-uuid")}) {
    ExpectRefusal(api.Get("/v2/images/" + image + "/members"), 404, "GET members of " + image);
    ExpectRefusal(V2AddMember(api, image, member), 404, "POST members of " + image);
    ExpectRefusal(api.Get("/v2/images/" + image + "/members/" + member), 404, "GET member of " + image);
    ExpectRefusal(V2SetMember(api, image, member, "accepted"), 404, "PUT member of " + image);
    ExpectRefusal(api.Delete("/v2/images/" + image + "/members/" + member), 404, "DELETE member of " + image);
  }
}

BOOST_AUTO_TEST_CASE(only_shared_images_have_members) {
  Api api = NoAuthStack().api();
  const std::string member = "v2m-vis-" + NewRunTag();
  for (const char* visibility : {"private", "public", "community"}) {
    std::string id = V2CreateId(api, {{"name", "v2-members-not-shared"}, {"visibility", visibility}});
    ExpectRefusal(V2AddMember(api, id, member), 403, std::string("POST members of a ") + visibility + " image");
    ExpectRefusal(api.Get("/v2/images/" + id + "/members"), 403, std::string("GET members of a ") + visibility + " image");
  }
  // The rows outlive a change of visibility and come back with `shared`.
  std::string id = V2CreateId(api, {{"name", "v2-members-back"}});
  BOOST_TEST_REQUIRE(V2AddMember(api, id, member).status == 200);
  BOOST_TEST_REQUIRE(V2SetMember(api, id, member, "accepted").status == 200);
  auto visibility = [&](const char* value) {
    Reply r = V2Patch(api, id, json::array({{{"op", "replace"}, {"path", "/visibility"}, {"value", value}}}));
    BOOST_TEST_REQUIRE(r.status == 200, r.Describe());
  };
  visibility("private");
  ExpectRefusal(api.Get("/v2/images/" + id + "/members"), 403, "members of the image made private");
  ExpectRefusal(api.Get("/v2/images/" + id + "/members/" + member), 403, "a member of the image made private");
  visibility("shared");
  BOOST_TEST((Members(api, id) == std::map<std::string, std::string>{{member, "accepted"}}));
}

BOOST_AUTO_TEST_CASE(the_member_quota_is_413) {
  Api api = NoAuthStack().api();
  std::string id = V2CreateId(api, {{"name", "v2-member-quota"}});
  for (int i = 0; i < 128; ++i) {
    Reply added = V2AddMember(api, id, "q-" + std::to_string(i));
    BOOST_TEST_REQUIRE(added.status == 200, i << ": " << added.Describe());
  }
  ExpectRefusal(V2AddMember(api, id, "q-extra"), 413, "the 129th member");
  BOOST_TEST(Members(api, id).size() == 128u);
  BOOST_TEST(api.Delete("/v2/images/" + id + "/members/q-0").status == 204);
  BOOST_TEST(V2AddMember(api, id, "q-extra").status == 200);
}

// What each project sees and may do (trusted-auth; v2 contract §8, §10).
BOOST_AUTO_TEST_CASE(each_project_sees_its_own_view) {
  Stack& stack = TrustedStack();
  const std::string tag = NewRunTag();
  const std::string owner = "v2m-owner-" + tag, a = "v2m-a-" + tag, b = "v2m-b-" + tag, other = "v2m-other-" + tag;
  Api as_owner = stack.api(ForTenant(owner)), as_a = stack.api(ForTenant(a)), as_b = stack.api(ForTenant(b)),
      as_other = stack.api(ForTenant(other)), as_admin = stack.api(ForTenant("v2m-admin-" + tag, "admin"));
  std::string id = V2ActiveImage(as_owner, {{"name", "v2-member-views"}, {"v2share", tag}}, "shared bytes");
  const std::string base = "/v2/images/" + id + "/members";
  BOOST_TEST(S(V2Get(as_owner, id), "owner") == owner);
  BOOST_TEST_REQUIRE(V2AddMember(as_owner, id, a).status == 200);
  BOOST_TEST_REQUIRE(V2AddMember(as_owner, id, b).status == 200);

  // The owner and the admin see every member; a member only itself; a
  // stranger not even the image.
  auto both = std::map<std::string, std::string>{{a, "pending"}, {b, "pending"}};
  BOOST_TEST((Members(as_owner, id) == both));
  BOOST_TEST((Members(as_admin, id) == both));
  BOOST_TEST((Members(as_a, id) == std::map<std::string, std::string>{{a, "pending"}}));
  BOOST_TEST((Members(as_b, id) == std::map<std::string, std::string>{{b, "pending"}}));
  ExpectRefusal(as_other.Get(base), 404, "a stranger lists members");
  BOOST_TEST(as_a.Get(base + "/" + a).status == 200);
  Reply a_reads_b = as_a.Get(base + "/" + b);
  BOOST_TEST((a_reads_b.status == 403 || a_reads_b.status == 404), "a reads b's membership: " << a_reads_b.Describe());
  ExpectRefusal(as_other.Get(base + "/" + a), 404, "a stranger reads a membership");

  // Pending: a member sees the image by id, downloads it, but does not
  // list it unless it asks for pending ones.
  BOOST_TEST(V2Show(as_a, id).status == 200);
  BOOST_TEST(as_a.Get("/v2/images/" + id + "/file").body == "shared bytes");
  BOOST_TEST(!Listed(as_a, tag, id));
  BOOST_TEST(Listed(as_a, tag, id, "member_status=pending"));
  BOOST_TEST(Listed(as_a, tag, id, "member_status=all"));
  BOOST_TEST(!Listed(as_a, tag, id, "member_status=accepted"));
  BOOST_TEST(!Listed(as_a, tag, id, "member_status=rejected"));
  BOOST_TEST(Listed(as_owner, tag, id), "the owner lists its own image whatever its members say");
  BOOST_TEST(!Listed(as_other, tag, id));
  ExpectRefusal(V2Show(as_other, id), 404, "a stranger shows the image");

  // Only the member itself (or an admin) answers; the owner may not.
  ExpectRefusal(V2SetMember(as_owner, id, a, "accepted"), 403, "the owner accepts for a");
  Reply b_for_a = V2SetMember(as_b, id, a, "accepted");
  BOOST_TEST((b_for_a.status == 403 || b_for_a.status == 404), "b accepts for a: " << b_for_a.Describe());
  ExpectRefusal(V2SetMember(as_other, id, a, "accepted"), 404, "a stranger accepts for a");
  BOOST_TEST((Members(as_owner, id) == both));
  Reply accepted = V2SetMember(as_a, id, a, "accepted");
  BOOST_TEST_REQUIRE(accepted.status == 200, accepted.Describe());
  CheckMemberObject(accepted.Json(), id, a, "accepted");
  BOOST_TEST(Listed(as_a, tag, id));
  BOOST_TEST(Listed(as_a, tag, id, "member_status=accepted"));
  BOOST_TEST(!Listed(as_a, tag, id, "member_status=pending"));
  BOOST_TEST(!Listed(as_b, tag, id));

  // Rejected: gone from the default list, still shown and downloadable.
  BOOST_TEST_REQUIRE(V2SetMember(as_b, id, b, "rejected").status == 200);
  BOOST_TEST(!Listed(as_b, tag, id));
  BOOST_TEST(Listed(as_b, tag, id, "member_status=rejected"));
  BOOST_TEST(V2Show(as_b, id).status == 200);
  BOOST_TEST(as_b.Get("/v2/images/" + id + "/file").status == 200);
  // An admin may answer for a member.
  Reply by_admin = V2SetMember(as_admin, id, b, "pending");
  BOOST_TEST(by_admin.status == 200, by_admin.Describe());

  // Members may read but not change the image, and not share it further.
  json ops = json::array({{{"op", "replace"}, {"path", "/name"}, {"value", "taken"}}});
  ExpectRefusal(V2Patch(as_a, id, ops), 403, "a member patches");
  ExpectRefusal(as_a.Delete("/v2/images/" + id), 403, "a member deletes");
  ExpectRefusal(as_a.Put(TagPath(id, "mine"), {}, "", ""), 403, "a member tags");
  ExpectRefusal(V2AddMember(as_a, id, other), 403, "a member shares further");
  ExpectRefusal(as_a.Delete(base + "/" + a), 403, "a member removes itself");
  ExpectRefusal(as_a.Delete(base + "/" + b), 403, "a member removes another");
  ExpectRefusal(V2AddMember(as_other, id, other), 404, "a stranger shares");
  ExpectRefusal(as_other.Delete(base + "/" + a), 404, "a stranger removes a member");
  BOOST_TEST(S(V2Get(as_owner, id), "name") == "v2-member-views");

  // The owner removes a member: it no longer sees the image.
  BOOST_TEST(as_owner.Delete(base + "/" + a).status == 204);
  ExpectRefusal(V2Show(as_a, id), 404, "a removed member shows the image");
  ExpectRefusal(as_a.Get("/v2/images/" + id + "/file"), 404, "a removed member downloads");
  BOOST_TEST(!Listed(as_a, tag, id, "member_status=all"));
  // Made private, the image is the owner's alone, members or not.
  Reply made_private = V2Patch(as_owner, id, json::array({{{"op", "replace"}, {"path", "/visibility"}, {"value", "private"}}}));
  BOOST_TEST_REQUIRE(made_private.status == 200, made_private.Describe());
  ExpectRefusal(V2Show(as_b, id), 404, "a member of an image made private");
}

BOOST_AUTO_TEST_SUITE_END()
