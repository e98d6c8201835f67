// Spec §3 (trusted-auth), §7.3, §8, §14, §19.1: tenants, visibility,
// sharing, on a stack started with AUTH=trusted-auth.
#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

namespace {

struct Tenants {
  std::string tag = NewRunTag();
  std::string a = "tenant-a-" + tag, b = "tenant-b-" + tag, c = "tenant-c-" + tag;
  Api A() const { return TrustedStack().api(ForTenant(a)); }
  Api B() const { return TrustedStack().api(ForTenant(b)); }
  Api C() const { return TrustedStack().api(ForTenant(c)); }
  Api Admin() const { return TrustedStack().api(ForTenant("admin-" + tag, "admin")); }
};

// Ids of the images `api` lists (detail and index must agree) with the run tag.
std::set<std::string> Listed(const Api& api, const std::string& tag, const std::string& extra = "") {
  std::set<std::string> detail_ids, index_ids;
  for (const char* path : {"/v1/images/detail", "/v1/images"}) {
    Reply reply = api.Get(std::string(path) + "?property-e2e_auth=" + tag + extra);
    if (reply.status != 200) throw std::runtime_error(std::string("GET ") + path + ": " + reply.Describe());
    json body = reply.Json();
    for (const auto& image : body["images"]) {
      (std::string(path) == "/v1/images" ? index_ids : detail_ids).insert(image["id"].get<std::string>());
    }
  }
  BOOST_TEST((detail_ids == index_ids), "index and detail lists differ");
  return detail_ids;
}

std::string CreateFor(const Api& api, const std::string& name, const std::string& tag,
                      const std::string& data, const Headers& extra = {}) {
  Headers headers{{"x-image-meta-property-e2e_auth", tag}};
  for (const auto& h : extra) headers.push_back(h);
  ImageRef image = CreateImage(api, name, data, headers);
  if (image.reply.status != 201) throw std::runtime_error("create " + name + ": " + image.reply.Describe());
  return image.id;
}

// B's attempts on an image it must not see at all.
void ExpectInvisible(const Api& api, const std::string& id, const std::string& who) {
  std::string path = "/v1/images/" + id;
  Reply head = api.Head(path);
  BOOST_TEST(head.status == 404, who << " HEAD: " << head.Describe());
  Reply get = api.Get(path);
  BOOST_TEST(get.status == 404, who << " GET: " << get.Describe());
  Reply put = api.Put(path, {{"x-image-meta-name", "hijacked"}}, "", "");
  BOOST_TEST(put.status == 404, who << " PUT: " << put.Describe());
  Reply upload = api.Put(path, {}, "overwrite");
  BOOST_TEST(upload.status == 404, who << " PUT with body: " << upload.Describe());
  Reply del = api.Delete(path);
  BOOST_TEST(del.status == 404, who << " DELETE: " << del.Describe());
  Reply members = api.Get(path + "/members");
  BOOST_TEST(members.status == 404, who << " GET members: " << members.Describe());
}

// The owner still has the image unchanged.
void ExpectIntact(const Api& owner, const std::string& id, const std::string& name, const std::string& data) {
  Reply get = owner.Get("/v1/images/" + id);
  BOOST_TEST_REQUIRE(get.status == 200, "owner GET: " << get.Describe());
  BOOST_TEST((get.body == data), "image data changed");
  BOOST_TEST(get.Header("x-image-meta-name") == name);
  BOOST_TEST(get.Header("x-image-meta-status") == "active");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trusted_auth)

BOOST_AUTO_TEST_CASE(requests_without_confirmed_identity_are_401) {
  Stack& stack = TrustedStack();
  Tenants t;
  std::string id = CreateFor(t.A(), "e2e-auth-401", t.tag, "data");
  Api anonymous = stack.api();
  std::string path = "/v1/images/" + id;
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/images"}, {"GET", "/v1/images/detail"}, {"HEAD", path}, {"GET", path},
           {"DELETE", path}, {"GET", path + "/members"}, {"GET", "/v1/shared-images/" + t.a}}) {
    Reply reply = anonymous.Send(method, target, {});
    BOOST_TEST(reply.status == 401, method << " " << target << ": " << reply.Describe());
    BOOST_TEST(reply.Has("x-openstack-request-id"), method << " " << target);
  }
  Reply post = anonymous.Post("/v1/images", ImageHeaders("e2e-anon"), "anonymous data");
  BOOST_TEST(post.status == 401, post.Describe());
  Reply put = anonymous.Put(path, {{"x-image-meta-name", "anon"}}, "", "");
  BOOST_TEST(put.status == 401, put.Describe());
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
  // Identity headers without X-Identity-Status: Confirmed.
  Api unconfirmed = stack.api({{"X-Identity-Status", "Invalid"}, {"X-Tenant-Id", t.a}, {"X-Roles", "admin"}});
  BOOST_TEST(unconfirmed.Get("/v1/images").status == 401);
  Api missing = stack.api({{"X-Tenant-Id", t.a}, {"X-User-Id", "u"}, {"X-Roles", "admin"}});
  BOOST_TEST(missing.Head(path).status == 401);
  // The owner is unaffected.
  ExpectIntact(t.A(), id, "e2e-auth-401", "data");
}

// The registry speaks for users only to glance-api: a local process that
// forges identity headers on the registry's port gets 401 without the
// stack's shared secret.
BOOST_AUTO_TEST_CASE(registry_refuses_callers_without_the_shared_secret) {
  Tenants t;
  std::string id = CreateFor(t.A(), "e2e-registry-secret", t.tag, "x");
  Api registry(TrustedStack().registry_port());
  Headers forged = ForTenant("admin-" + t.tag, "admin");
  forged.push_back({"X-Identity-Status", "Confirmed"});
  for (const std::string& path :
       std::vector<std::string>{"/images/detail", "/images/" + id, "/images/" + id + "/members"}) {
    Reply reply = registry.Get(path, forged);
    BOOST_TEST(reply.status == 401, path << ": " << reply.Describe());
  }
  Reply forged_delete = registry.Delete("/images/" + id, forged);
  BOOST_TEST(forged_delete.status == 401, forged_delete.Describe());
  BOOST_TEST(t.A().Head("/v1/images/" + id).status == 200);
  BOOST_TEST(registry.Get("/healthcheck").status == 200);
}

BOOST_AUTO_TEST_CASE(version_documents_need_no_identity) {
  // Version negotiation runs before the context (spec §2.1, upstream pipeline).
  Api anonymous = TrustedStack().api();
  Reply versions = anonymous.Get("/versions");
  BOOST_TEST(versions.status == 200, versions.Describe());
  Reply root = anonymous.Get("/");
  BOOST_TEST(root.status == 300, root.Describe());
}

BOOST_AUTO_TEST_CASE(private_image_is_invisible_to_other_tenants) {
  Tenants t;
  std::string data = RandomBytes(4321, 51);
  std::string id = CreateFor(t.A(), "e2e-auth-private", t.tag, data);
  Reply head = t.A().Head("/v1/images/" + id);
  BOOST_TEST(head.Header("x-image-meta-owner") == t.a, head.Describe());
  BOOST_TEST(head.Header("x-image-meta-is_public") == "False");

  ExpectInvisible(t.B(), id, "tenant B");
  BOOST_TEST(Listed(t.B(), t.tag).count(id) == 0u);
  BOOST_TEST(Listed(t.B(), t.tag, "&is_public=none").count(id) == 0u);
  BOOST_TEST(Listed(t.A(), t.tag).count(id) == 1u);
  // B cannot manage its members either.
  Reply add = t.B().Put("/v1/images/" + id + "/members/" + t.b, {}, "", "");
  BOOST_TEST(add.status == 404, add.Describe());
  ExpectIntact(t.A(), id, "e2e-auth-private", data);
  // An admin sees it.
  Api admin = t.Admin();
  BOOST_TEST(admin.Head("/v1/images/" + id).status == 200);
  BOOST_TEST(Listed(admin, t.tag, "&is_public=none").count(id) == 1u);
}

BOOST_AUTO_TEST_CASE(member_sees_the_shared_image_but_cannot_change_it) {
  Tenants t;
  std::string data = RandomBytes(9876, 52);
  std::string id = CreateFor(t.A(), "e2e-auth-shared", t.tag, data);
  ExpectInvisible(t.B(), id, "tenant B before sharing");

  Reply share = t.A().Put("/v1/images/" + id + "/members/" + t.b, {}, "", "");
  BOOST_TEST_REQUIRE(share.status == 204, share.Describe());

  Api b = t.B();
  Reply head = b.Head("/v1/images/" + id);
  BOOST_TEST(head.status == 200, head.Describe());
  Reply get = b.Get("/v1/images/" + id);
  BOOST_TEST(get.status == 200, get.Describe());
  BOOST_TEST((get.body == data));
  BOOST_TEST(Listed(b, t.tag).count(id) == 1u);
  Reply members = b.Get("/v1/images/" + id + "/members");
  BOOST_TEST(members.status == 200, members.Describe());
  Reply shared = b.Get("/v1/shared-images/" + t.b);
  BOOST_TEST(shared.status == 200, shared.Describe());
  BOOST_TEST(shared.body.find(id) != std::string::npos, shared.body);
  // A member is not the owner: no delete, no update, no upload, no sharing
  // (spec §19.1: upstream 500, recommended 404; never a change).
  Reply del = b.Delete("/v1/images/" + id);
  BOOST_TEST(del.status == 404, "member DELETE: " << del.Describe());
  Reply put = b.Put("/v1/images/" + id, {{"x-image-meta-name", "renamed-by-member"}}, "", "");
  BOOST_TEST(put.status == 404, "member PUT: " << put.Describe());
  Reply upload = b.Put("/v1/images/" + id, {}, "other data");
  // The image is active: an upload is refused before anyone's rights are
  // looked at, as upstream (spec §10.6).
  BOOST_TEST(upload.status == 409, "member PUT with body: " << upload.Describe());
  BOOST_TEST(upload.body.find("Cannot upload to an unqueued image") != std::string::npos, upload.body);
  Reply reshare = b.Put("/v1/images/" + id + "/members/" + t.c, {}, "", "");
  BOOST_TEST(reshare.status == 404, "member without can_share adding a member: " << reshare.Describe());
  Reply unshare = b.Delete("/v1/images/" + id + "/members/" + t.b);
  BOOST_TEST(unshare.status == 404, "member removing itself: " << unshare.Describe());
  ExpectIntact(t.A(), id, "e2e-auth-shared", data);
  ExpectInvisible(t.C(), id, "tenant C");

  // Unshared again: invisible again.
  BOOST_TEST(t.A().Delete("/v1/images/" + id + "/members/" + t.b).status == 204);
  ExpectInvisible(t.B(), id, "tenant B after unsharing");
  ExpectIntact(t.A(), id, "e2e-auth-shared", data);
}

BOOST_AUTO_TEST_CASE(member_with_can_share_may_share_further) {
  Tenants t;
  std::string id = CreateFor(t.A(), "e2e-auth-can-share", t.tag, "share me");
  Reply share = t.A().Put("/v1/images/" + id + "/members/" + t.b, {},
                          R"({"member": {"can_share": true}})", "application/json");
  BOOST_TEST_REQUIRE(share.status == 204, share.Describe());
  Reply further = t.B().Put("/v1/images/" + id + "/members/" + t.c, {}, "", "");
  BOOST_TEST(further.status == 204, further.Describe());
  Reply c_get = t.C().Get("/v1/images/" + id);
  BOOST_TEST(c_get.status == 200, c_get.Describe());
  BOOST_TEST(c_get.body == "share me");
}

BOOST_AUTO_TEST_CASE(public_images_are_readable_but_not_mutable_by_others) {
  Tenants t;
  std::string data = "public bytes";
  // Only an admin may publicize (spec §3.4).
  Reply refused = t.A().Post("/v1/images", ImageHeaders("e2e-auth-publicize", {{"x-image-meta-is_public", "True"}}),
                             data);
  BOOST_TEST(refused.status == 403, refused.Describe());
  BOOST_TEST(WaitIncomingEmpty(TrustedStack()).empty());
  std::string id = CreateFor(t.Admin(), "e2e-auth-public", t.tag, data, {{"x-image-meta-is_public", "True"}});

  Api b = t.B();
  Reply get = b.Get("/v1/images/" + id);
  BOOST_TEST(get.status == 200, get.Describe());
  BOOST_TEST(get.body == data);
  BOOST_TEST(Listed(b, t.tag).count(id) == 1u);
  Reply del = b.Delete("/v1/images/" + id);
  BOOST_TEST(del.status == 403, "non-owner DELETE of a public image: " << del.Describe());
  Reply put = b.Put("/v1/images/" + id, {{"x-image-meta-name", "mine now"}}, "", "");
  BOOST_TEST(put.status == 403, "non-owner PUT of a public image: " << put.Describe());
  Reply after = t.Admin().Get("/v1/images/" + id);
  BOOST_TEST(after.status == 200);
  BOOST_TEST(after.Header("x-image-meta-name") == "e2e-auth-public");
}

BOOST_AUTO_TEST_CASE(owner_is_the_tenant_and_cannot_be_forged) {
  Tenants t;
  Reply created = t.A().Post("/v1/images", ImageHeaders("e2e-auth-owner", {{"x-image-meta-owner", t.b},
                                                                          {"x-image-meta-property-e2e_auth", t.tag}}),
                             "owned");
  BOOST_TEST_REQUIRE(created.status == 201, created.Describe());
  json image = created.Json()["image"];
  BOOST_TEST(image["owner"] == t.a, image.dump());
  ExpectInvisible(t.B(), image["id"].get<std::string>(), "tenant B named as owner");
  // An admin may set the owner.
  Reply by_admin = t.Admin().Post("/v1/images", {{"x-image-meta-name", "e2e-auth-owner-admin"},
                                                 {"x-image-meta-owner", t.b}},
                                  "", "");
  BOOST_TEST_REQUIRE(by_admin.status == 201, by_admin.Describe());
  BOOST_TEST(by_admin.Json()["image"]["owner"] == t.b);
  BOOST_TEST(t.B().Head("/v1/images/" + by_admin.Json()["image"]["id"].get<std::string>()).status == 200);
}

// Some proxies send X-Roles with empty elements ("member,admin,"): read as
// the roles named, as upstream does (spec §3.2), through nginx, glance-api
// and the registry; a role with a control character is still refused.
BOOST_AUTO_TEST_CASE(empty_elements_in_roles_are_ignored) {
  Tenants t;
  Api member = TrustedStack().api(ForTenant(t.a, "member,"));
  Api admin = TrustedStack().api(ForTenant("admin-" + t.tag, ",member,,admin,"));
  ImageRef image = ReserveImage(member, "e2e-auth-roles", {{"x-image-meta-property-e2e_auth", t.tag}});
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  BOOST_TEST(image.reply.Json()["image"]["owner"] == t.a, image.reply.body);
  BOOST_TEST(Listed(member, t.tag).count(image.id) == 1u);
  // "member," is not an admin: publicizing is admin-only (spec §3.4).
  Reply publish = member.Put("/v1/images/" + image.id, {{"x-image-meta-is_public", "true"}}, "", "");
  BOOST_TEST(publish.status == 403, publish.Describe());
  // ",member,,admin," is one.
  Reply published = admin.Put("/v1/images/" + image.id, {{"x-image-meta-is_public", "true"}}, "", "");
  BOOST_TEST(published.status == 200, published.Describe());
  BOOST_TEST(published.Json()["image"]["is_public"] == true, published.body);

  Reply bad = member.Raw("GET /v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                         "X-Identity-Status: Confirmed\r\nX-Tenant-Id: " + t.a +
                         "\r\nX-Roles: member,ad\x01min\r\n\r\n");
  BOOST_TEST(bad.status == 400, bad.Describe());
  BOOST_TEST(bad.body.find("Identity header contains a control character.") != std::string::npos, bad.body);
}

BOOST_AUTO_TEST_SUITE_END()
