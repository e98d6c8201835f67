// Spec §14: image members and shared images through the public API.
#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

namespace {

json Members(const Api& api, const std::string& id) {
  Reply reply = api.Get("/v1/images/" + id + "/members");
  if (reply.status != 200) throw std::runtime_error("GET members: " + reply.Describe());
  return reply.Json()["members"];
}

std::string CreatePrivate(const Api& api, const std::string& name) {
  ImageRef image = CreateImage(api, name, "member data");
  if (image.reply.status != 201) throw std::runtime_error("create: " + image.reply.Describe());
  return image.id;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(members)

BOOST_AUTO_TEST_CASE(add_list_update_and_remove_members) {
  Api api = NoAuthStack().api();
  std::string id = CreatePrivate(api, "e2e-members");
  std::string t1 = "tenant-" + NewRunTag(), t2 = "tenant-" + NewRunTag();
  BOOST_TEST(Members(api, id).size() == 0u);

  Reply add = api.Put("/v1/images/" + id + "/members/" + t1, {}, "", "");
  BOOST_TEST(add.status == 204, add.Describe());
  BOOST_TEST(add.body.empty());
  Reply add_share = api.Put("/v1/images/" + id + "/members/" + t2, {},
                            R"({"member": {"can_share": true}})", "application/json");
  BOOST_TEST(add_share.status == 204, add_share.Describe());
  json members = Members(api, id);
  BOOST_TEST((members == json::array({{{"member_id", t1}, {"can_share", false}},
                                      {{"member_id", t2}, {"can_share", true}}})),
             members.dump());

  // Re-adding without a body keeps can_share; with one, it changes.
  BOOST_TEST(api.Put("/v1/images/" + id + "/members/" + t2, {}, "", "").status == 204);
  BOOST_TEST(Members(api, id)[1]["can_share"] == true);
  Reply unshare = api.Put("/v1/images/" + id + "/members/" + t2, {},
                          R"({"member": {"can_share": false}})", "application/json");
  BOOST_TEST(unshare.status == 204, unshare.Describe());
  BOOST_TEST(Members(api, id)[1]["can_share"] == false, Members(api, id).dump());

  Reply removed = api.Delete("/v1/images/" + id + "/members/" + t1);
  BOOST_TEST(removed.status == 204, removed.Describe());
  members = Members(api, id);
  BOOST_TEST((members == json::array({{{"member_id", t2}, {"can_share", false}}})), members.dump());
  Reply again = api.Delete("/v1/images/" + id + "/members/" + t1);
  BOOST_TEST(again.status == 404, again.Describe());
}

BOOST_AUTO_TEST_CASE(replace_the_member_list) {
  Api api = NoAuthStack().api();
  std::string id = CreatePrivate(api, "e2e-members-replace");
  std::string a = "tenant-a-" + NewRunTag(), b = "tenant-b-" + NewRunTag(), c = "tenant-c-" + NewRunTag();
  BOOST_TEST(api.Put("/v1/images/" + id + "/members/" + a, {}, "", "").status == 204);
  BOOST_TEST(api.Put("/v1/images/" + id + "/members/" + b, {}, "", "").status == 204);
  json body = {{"memberships", json::array({{{"member_id", b}, {"can_share", true}},
                                            {{"member_id", c}}})}};
  Reply replace = api.Put("/v1/images/" + id + "/members", {}, body.dump(), "application/json");
  BOOST_TEST(replace.status == 204, replace.Describe());
  json members = Members(api, id);
  std::map<std::string, bool> got;
  for (const auto& m : members) got[m["member_id"].get<std::string>()] = m["can_share"].get<bool>();
  BOOST_TEST((got == std::map<std::string, bool>{{b, true}, {c, false}}), members.dump());

  Reply empty = api.Put("/v1/images/" + id + "/members", {}, R"({"memberships": []})", "application/json");
  BOOST_TEST(empty.status == 204, empty.Describe());
  BOOST_TEST(Members(api, id).size() == 0u);
}

BOOST_AUTO_TEST_CASE(shared_images_of_a_member) {
  Api api = NoAuthStack().api();
  std::string member = "tenant-shared-" + NewRunTag();
  std::string first = CreatePrivate(api, "e2e-shared-1");
  std::string second = CreatePrivate(api, "e2e-shared-2");
  Reply none = api.Get("/v1/shared-images/" + member);
  BOOST_TEST(none.status == 200, none.Describe());
  BOOST_TEST((none.Json() == json{{"shared_images", json::array()}}), none.body);
  BOOST_TEST(api.Put("/v1/images/" + first + "/members/" + member, {}, "", "").status == 204);
  BOOST_TEST(api.Put("/v1/images/" + second + "/members/" + member, {},
                     R"({"member": {"can_share": true}})", "application/json")
                 .status == 204);
  Reply shared = api.Get("/v1/shared-images/" + member);
  BOOST_TEST_REQUIRE(shared.status == 200, shared.Describe());
  std::map<std::string, bool> got;
  json shared_body = shared.Json();
  for (const auto& s : shared_body["shared_images"]) {
    got[s["image_id"].get<std::string>()] = s["can_share"].get<bool>();
  }
  BOOST_TEST((got == std::map<std::string, bool>{{first, false}, {second, true}}),
             "expected " << first << " (can_share false), " << second << " (true); got " << shared.body);
  // A deleted image's membership is gone from the list.
  BOOST_TEST(api.Delete("/v1/images/" + first).status == 200);
  Reply after = api.Get("/v1/shared-images/" + member);
  BOOST_TEST(after.Json()["shared_images"].size() == 1u, after.body);
}

BOOST_AUTO_TEST_CASE(methods_not_served_answer_405_with_allow) {
  Api api = NoAuthStack().api();
  std::string id = CreatePrivate(api, "e2e-members-405");
  Reply get_member = api.Get("/v1/images/" + id + "/members/some-tenant");
  BOOST_TEST(get_member.status == 405, get_member.Describe());
  std::string allow = get_member.Header("Allow");
  BOOST_TEST(allow.find("PUT") != std::string::npos, "Allow: " << allow);
  BOOST_TEST(allow.find("DELETE") != std::string::npos, "Allow: " << allow);
  Reply post_members = api.Post("/v1/images/" + id + "/members", {}, "{}", "application/json");
  BOOST_TEST(post_members.status == 405, post_members.Describe());
  std::string allow2 = post_members.Header("Allow");
  BOOST_TEST(allow2.find("GET") != std::string::npos, "Allow: " << allow2);
  BOOST_TEST(allow2.find("PUT") != std::string::npos, "Allow: " << allow2);
  BOOST_TEST(allow2.find("POST") == std::string::npos, "Allow: " << allow2);
  Reply delete_members = api.Delete("/v1/images/" + id + "/members");
  BOOST_TEST(delete_members.status == 405, delete_members.Describe());
}

BOOST_AUTO_TEST_CASE(bad_member_requests) {
  Api api = NoAuthStack().api();
  std::string id = CreatePrivate(api, "e2e-members-bad");
  std::string base = "/v1/images/" + id + "/members";
  Reply malformed = api.Put(base, {}, "{not json", "application/json");
  BOOST_TEST(malformed.status == 400, malformed.Describe());
  Reply no_list = api.Put(base, {}, R"({"members": []})", "application/json");
  BOOST_TEST(no_list.status == 400, no_list.Describe());
  Reply no_member_id = api.Put(base, {}, R"({"memberships": [{"can_share": true}]})", "application/json");
  BOOST_TEST(no_member_id.status == 400, no_member_id.Describe());
  Reply scalar = api.Put(base, {}, "42", "application/json");
  BOOST_TEST(scalar.status == 400, scalar.Describe());
  Reply bad_share = api.Put(base + "/tenant-q", {}, R"({"member": {"can_share": "yes please"}})",
                            "application/json");
  BOOST_TEST(bad_share.status == 400, bad_share.Describe());
  BOOST_TEST(Members(api, id).size() == 0u);
  // Unknown and malformed image ids.
  for (const std::string& bad : {RandomUuid(), std::string("not-a-uuid")}) {
    BOOST_TEST(api.Get("/v1/images/" + bad + "/members").status == 404, bad);
    BOOST_TEST(api.Put("/v1/images/" + bad + "/members/t", {}, "", "").status == 404, bad);
    BOOST_TEST(api.Delete("/v1/images/" + bad + "/members/t").status == 404, bad);
    BOOST_TEST(api.Put("/v1/images/" + bad + "/members", {}, R"({"memberships": []})", "application/json")
                       .status == 404,
               bad);
  }
}

BOOST_AUTO_TEST_CASE(member_quota_is_413) {
  // image_member_quota defaults to 128 (spec §1, §14.2).
  Api api = NoAuthStack().api();
  std::string id = CreatePrivate(api, "e2e-members-quota");
  json over = {{"memberships", json::array()}};
  for (int i = 0; i < 129; ++i) over["memberships"].push_back({{"member_id", "q-" + std::to_string(i)}});
  Reply refused = api.Put("/v1/images/" + id + "/members", {}, over.dump(), "application/json");
  BOOST_TEST(refused.status == 413, refused.Describe());
  BOOST_TEST(Members(api, id).size() == 0u);
  over["memberships"].erase(over["memberships"].size() - 1);
  Reply full = api.Put("/v1/images/" + id + "/members", {}, over.dump(), "application/json");
  BOOST_TEST_REQUIRE(full.status == 204, full.Describe());
  BOOST_TEST(Members(api, id).size() == 128u);
  Reply one_more = api.Put("/v1/images/" + id + "/members/q-extra", {}, "", "");
  BOOST_TEST(one_more.status == 413, one_more.Describe());
  // Checked even when re-adding an existing member (spec §14.2).
  Reply again = api.Put("/v1/images/" + id + "/members/q-0", {}, "", "");
  BOOST_TEST(again.status == 413, again.Describe());
}

BOOST_AUTO_TEST_SUITE_END()
