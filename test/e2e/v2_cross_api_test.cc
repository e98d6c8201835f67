// One image, two APIs (v2 contract §13): what v1 writes, v2 reads, and the
// other way round, on the same rows -- is_public ⇔ visibility, properties,
// members, data and its hashes, tags kept across v1 updates, deletes.
#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

namespace {

std::string V1Id(const Reply& reply) {
  if (reply.status != 201) throw std::runtime_error("v1 create: " + reply.Describe());
  return reply.Json()["image"]["id"].get<std::string>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(v2_cross_api)

BOOST_AUTO_TEST_CASE(a_v1_image_reads_correctly_through_v2) {
  Api api = NoAuthStack().api();
  std::string data = RandomBytes(70001, 51);
  std::string id = V1Id(api.Post("/v1/images",
                                 ImageHeaders("x-v1-public", {{"x-image-meta-is_public", "true"},
                                                              {"x-image-meta-min_ram", "64"},
                                                              {"x-image-meta-min_disk", "2"},
                                                              {"x-image-meta-protected", "true"},
                                                              {"x-image-meta-property-os_distro", "debian"},
                                                              {"x-image-meta-property-city", "caf\xc3\xa9"}}),
                                 data));
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "name") == "x-v1-public");
  BOOST_TEST(S(image, "visibility") == "public");
  BOOST_TEST(S(image, "status") == "active");
  BOOST_TEST(S(image, "size") == "<70001>");
  BOOST_TEST(S(image, "checksum") == Md5Hex(data));
  // A v1 upload fills os_hash_* too, so v2 clients see them.
  BOOST_TEST(S(image, "os_hash_algo") == "sha512");
  BOOST_TEST(S(image, "os_hash_value") == Sha512Hex(data));
  BOOST_TEST(S(image, "disk_format") == "raw");
  BOOST_TEST(S(image, "container_format") == "bare");
  BOOST_TEST(S(image, "min_ram") == "<64>");
  BOOST_TEST(S(image, "min_disk") == "<2>");
  BOOST_TEST(S(image, "protected") == "<true>");
  BOOST_TEST(S(image, "os_hidden") == "<false>");
  BOOST_TEST((image["tags"] == json::array()));
  BOOST_TEST(S(image, "os_distro") == "debian");
  BOOST_TEST(S(image, "city") == "caf\xc3\xa9");
  BOOST_TEST(!image.contains("properties"), "v2 shows properties at the top level: " << image.dump());
  BOOST_TEST(!image.contains("is_public"));
  BOOST_TEST(!image.contains("deleted"));
  BOOST_TEST(LooksLikeV2Time(S(image, "created_at")), S(image, "created_at"));
  for (const std::string& key : V2ImageKeys()) BOOST_TEST(image.contains(key), key);
  // The same moment in both formats: v1's without zone, v2's in seconds with Z.
  Reply head = api.Head("/v1/images/" + id);
  BOOST_TEST(S(image, "created_at") == head.Header("x-image-meta-created_at").substr(0, 19) + "Z");
  Reply download = api.Get("/v2/images/" + id + "/file");
  BOOST_TEST_REQUIRE(download.status == 200, download.Describe());
  BOOST_TEST((download.body == data));
  BOOST_TEST(download.Header("Content-MD5") == Md5Hex(data));

  // is_public false is `shared` in v2; a v1 member is a pending v2 member.
  std::string private_id = V1Id(api.Post("/v1/images", ImageHeaders("x-v1-private"), "v1 private bytes"));
  BOOST_TEST(S(V2Get(api, private_id), "visibility") == "shared");
  const std::string member = "x-member-" + NewRunTag();
  BOOST_TEST_REQUIRE(api.Put("/v1/images/" + private_id + "/members/" + member, {}, "", "").status == 204);
  Reply members = api.Get("/v2/images/" + private_id + "/members");
  BOOST_TEST_REQUIRE(members.status == 200, members.Describe());
  json listed = members.Json()["members"];
  BOOST_TEST_REQUIRE(listed.size() == 1u, members.body);
  BOOST_TEST(S(listed[0], "member_id") == member);
  BOOST_TEST(S(listed[0], "status") == "pending");
  BOOST_TEST(S(listed[0], "image_id") == private_id);
  // A v1 reservation is a queued v2 image without data.
  std::string reserved = V1Id(api.Post("/v1/images", {{"x-image-meta-name", "x-v1-reserved"}}, "", ""));
  json queued = V2Get(api, reserved);
  BOOST_TEST(S(queued, "status") == "queued");
  BOOST_TEST(S(queued, "checksum") == "<null>");
  BOOST_TEST(S(queued, "os_hash_value") == "<null>");
  BOOST_TEST(api.Get("/v2/images/" + reserved + "/file").status == 204);
  // Listed by v2 (noauth lists every image but community ones).
  json page = V2ListPage(api, "/v2/images?os_distro=debian&name=x-v1-public&limit=1000");
  BOOST_TEST(IdSetOf(page["images"]).count(id) == 1u);
}

BOOST_AUTO_TEST_CASE(a_v2_image_reads_correctly_through_v1) {
  Api api = NoAuthStack().api();
  std::string data = RandomBytes(33333, 52);
  std::string id = V2ActiveImage(api,
                                 {{"name", "x-v2-public"}, {"visibility", "public"}, {"min_ram", 128},
                                  {"os_distro", "fedora"}, {"tags", {"web", "db"}}, {"protected", true}},
                                 data);
  Reply head = api.Head("/v1/images/" + id);
  BOOST_TEST_REQUIRE(head.status == 200, head.Describe());
  auto meta = head.MetaHeaders();
  BOOST_TEST(meta["x-image-meta-name"] == "x-v2-public");
  BOOST_TEST(meta["x-image-meta-is_public"] == "True");
  BOOST_TEST(meta["x-image-meta-status"] == "active");
  BOOST_TEST(meta["x-image-meta-size"] == "33333");
  BOOST_TEST(meta["x-image-meta-checksum"] == Md5Hex(data));
  BOOST_TEST(meta["x-image-meta-min_ram"] == "128");
  BOOST_TEST(meta["x-image-meta-protected"] == "True");
  BOOST_TEST(meta["x-image-meta-property-os_distro"] == "fedora");
  BOOST_TEST(head.Header("ETag") == Md5Hex(data));
  // v1 shows neither the tags nor the v2-only fields.
  for (const auto& [name, value] : meta) {
    BOOST_TEST(name.find("tags") == std::string::npos, name);
    BOOST_TEST(name.find("visibility") == std::string::npos, name);
    BOOST_TEST(name.find("os_hidden") == std::string::npos, name);
    BOOST_TEST(name.find("os_hash") == std::string::npos, name);
  }
  Reply get = api.Get("/v1/images/" + id);
  BOOST_TEST_REQUIRE(get.status == 200, get.Describe());
  BOOST_TEST((get.body == data));
  // The v1 detail list has it with is_public true.
  json detail = api.Get("/v1/images/detail?name=x-v2-public&property-os_distro=fedora").Json();
  bool found = false;
  for (const auto& image : detail["images"]) {
    if (image["id"] == id) {
      found = true;
      BOOST_TEST(image["is_public"] == true);
      BOOST_TEST(image["properties"]["os_distro"] == "fedora");
      BOOST_TEST(!image["properties"].contains("tags"), image.dump());
    }
  }
  BOOST_TEST(found, detail.dump().substr(0, 300));

  // private, shared and community are all is_public false in v1.
  for (const char* visibility : {"private", "shared", "community"}) {
    std::string other = V2CreateId(api, {{"name", "x-v2-not-public"}, {"visibility", visibility}});
    BOOST_TEST(api.Head("/v1/images/" + other).Header("x-image-meta-is_public") == "False", visibility);
  }
  // v2 members are v1 members.
  std::string shared = V2CreateId(api, {{"name", "x-v2-shared"}});
  const std::string member = "x-v2-member-" + NewRunTag();
  BOOST_TEST_REQUIRE(V2AddMember(api, shared, member).status == 200);
  BOOST_TEST_REQUIRE(V2SetMember(api, shared, member, "accepted").status == 200);
  Reply v1_members = api.Get("/v1/images/" + shared + "/members");
  BOOST_TEST_REQUIRE(v1_members.status == 200, v1_members.Describe());
  BOOST_TEST((v1_members.Json()["members"] == json::array({{{"member_id", member}, {"can_share", false}}})),
             v1_members.body);
  Reply shared_images = api.Get("/v1/shared-images/" + member);
  BOOST_TEST(shared_images.body.find(shared) != std::string::npos, shared_images.Describe());
}

BOOST_AUTO_TEST_CASE(v1_updates_keep_v2_tags_and_write_is_public_false_as_shared) {
  Api api = NoAuthStack().api();
  std::string id = V2CreateId(api, {{"name", "x-v2-private"}, {"visibility", "private"}, {"tags", {"keep-me"}},
                                    {"color", "red"}});
  // An update that does not name is_public keeps the visibility.
  Reply renamed = api.Put("/v1/images/" + id, {{"x-image-meta-name", "x-renamed-by-v1"},
                                              {"x-image-meta-property-color", "blue"}},
                          "", "");
  BOOST_TEST_REQUIRE(renamed.status == 200, renamed.Describe());
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "name") == "x-renamed-by-v1");
  BOOST_TEST(S(image, "color") == "blue");
  BOOST_TEST(S(image, "visibility") == "private");
  BOOST_TEST((image["tags"] == json::array({"keep-me"})), image.dump());
  // v1 is_public=false makes it shared (glance's write rule).
  Reply unpublic = api.Put("/v1/images/" + id, {{"x-image-meta-is_public", "false"}}, "", "");
  BOOST_TEST_REQUIRE(unpublic.status == 200, unpublic.Describe());
  image = V2Get(api, id);
  BOOST_TEST(S(image, "visibility") == "shared");
  BOOST_TEST((image["tags"] == json::array({"keep-me"})));
  Reply published = api.Put("/v1/images/" + id, {{"x-image-meta-is_public", "true"}}, "", "");
  BOOST_TEST_REQUIRE(published.status == 200, published.Describe());
  BOOST_TEST(S(V2Get(api, id), "visibility") == "public");
  // A v1 update that replaces the properties leaves the tags alone too.
  Reply purged = api.Put("/v1/images/" + id, {{"x-image-meta-property-shape", "round"}}, "", "");
  BOOST_TEST_REQUIRE(purged.status == 200, purged.Describe());
  image = V2Get(api, id);
  BOOST_TEST(!image.contains("color"), image.dump());
  BOOST_TEST(S(image, "shape") == "round");
  BOOST_TEST((image["tags"] == json::array({"keep-me"})));
  // A v2 community image updated by v1 without is_public stays community.
  std::string community = V2CreateId(api, {{"name", "x-v2-community"}, {"visibility", "community"}});
  BOOST_TEST(api.Put("/v1/images/" + community, {{"x-image-meta-min_ram", "1"}}, "", "").status == 200);
  BOOST_TEST(S(V2Get(api, community), "visibility") == "community");
}

BOOST_AUTO_TEST_CASE(data_uploaded_through_one_api_downloads_through_the_other) {
  Api api = NoAuthStack().api();
  // v2 create, v1 upload.
  std::string data = RandomBytes(4096, 53);
  std::string v2_made = V2CreateId(api, {{"name", "x-v2-then-v1"}, {"disk_format", "qcow2"}, {"container_format", "bare"}});
  Reply v1_upload = api.Put("/v1/images/" + v2_made, {}, data);
  BOOST_TEST_REQUIRE(v1_upload.status == 200, v1_upload.Describe());
  json image = V2Get(api, v2_made);
  BOOST_TEST(S(image, "status") == "active");
  BOOST_TEST(S(image, "checksum") == Md5Hex(data));
  BOOST_TEST(S(image, "os_hash_value") == Sha512Hex(data));
  BOOST_TEST((api.Get("/v2/images/" + v2_made + "/file").body == data));
  // v1 reservation, v2 upload.
  std::string v1_made = V1Id(api.Post("/v1/images", ImageHeaders("x-v1-then-v2"), "", ""));
  BOOST_TEST_REQUIRE(V2Upload(api, v1_made, data).status == 204);
  Reply head = api.Head("/v1/images/" + v1_made);
  BOOST_TEST(head.Header("x-image-meta-status") == "active");
  BOOST_TEST(head.Header("x-image-meta-checksum") == Md5Hex(data));
  BOOST_TEST(head.Header("x-image-meta-size") == "4096");
  BOOST_TEST((api.Get("/v1/images/" + v1_made).body == data));
  // Neither API takes a second upload the other made.
  BOOST_TEST(V2Upload(api, v2_made, "again").status == 409);
  BOOST_TEST(api.Put("/v1/images/" + v1_made, {}, "again").status == 409);
}

BOOST_AUTO_TEST_CASE(deleted_through_one_api_is_gone_from_the_other) {
  Stack& stack = TrustedStack();
  Api api = stack.api(ForTenant("x-delete-" + NewRunTag()));
  std::string v1_made = V1Id(api.Post("/v1/images", ImageHeaders("x-deleted-by-v2"), "bytes"));
  BOOST_TEST(api.Delete("/v2/images/" + v1_made).status == 204);
  BOOST_TEST(api.Head("/v1/images/" + v1_made).status == 404);
  BOOST_TEST(api.Get("/v1/images/" + v1_made).status == 404);
  CheckNoDataLeft(stack, v1_made);
  std::string v2_made = V2ActiveImage(api, {{"name", "x-deleted-by-v1"}}, "bytes");
  BOOST_TEST(api.Delete("/v1/images/" + v2_made).status == 200);
  BOOST_TEST(V2Show(api, v2_made).status == 404);
  BOOST_TEST(api.Get("/v2/images/" + v2_made + "/file").status == 404);
  CheckNoDataLeft(stack, v2_made);
}

BOOST_AUTO_TEST_CASE(tenants_see_the_same_images_through_both_apis) {
  Stack& stack = TrustedStack();
  const std::string tag = NewRunTag();
  Api owner = stack.api(ForTenant("x-owner-" + tag)), member = stack.api(ForTenant("x-member-" + tag)),
      other = stack.api(ForTenant("x-other-" + tag));
  // Shared through v1 (a pending v2 member): both APIs let the member see it.
  std::string id = V1Id(owner.Post("/v1/images", ImageHeaders("x-shared-v1", {{"x-image-meta-property-xs", tag}}), "b"));
  BOOST_TEST_REQUIRE(owner.Put("/v1/images/" + id + "/members/x-member-" + tag, {}, "", "").status == 204);
  BOOST_TEST(S(V2Get(owner, id), "owner") == "x-owner-" + tag);
  BOOST_TEST(V2Show(member, id).status == 200);
  BOOST_TEST(member.Head("/v1/images/" + id).status == 200);
  BOOST_TEST(V2Show(other, id).status == 404);
  BOOST_TEST(other.Head("/v1/images/" + id).status == 404);
  // The pending member does not list it in v2 until it accepts.
  BOOST_TEST(IdSetOf(V2ListPage(member, "/v2/images?xs=" + tag)["images"]).count(id) == 0u);
  BOOST_TEST_REQUIRE(V2SetMember(member, id, "x-member-" + tag, "accepted").status == 200);
  BOOST_TEST(IdSetOf(V2ListPage(member, "/v2/images?xs=" + tag)["images"]).count(id) == 1u);
  // Made private through v2: the member loses it in v1 too.
  BOOST_TEST_REQUIRE(
      V2Patch(owner, id, json::array({{{"op", "replace"}, {"path", "/visibility"}, {"value", "private"}}})).status == 200);
  BOOST_TEST(member.Head("/v1/images/" + id).status == 404);
  BOOST_TEST(owner.Head("/v1/images/" + id).Header("x-image-meta-is_public") == "False");
}

BOOST_AUTO_TEST_SUITE_END()
