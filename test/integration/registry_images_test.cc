// Registry image CRUD (spec §4, §8, §9, §12, §16): POST/GET/PUT/DELETE of
// /images/{id}, defaults, ownership, purge_props, from_state, soft delete.
// Over 400 lines for a reason: one case per rule of the CRUD routes, over
// the shared registry fixture; splitting by verb would scatter the rules.
#include <thread>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

const std::vector<std::string> kDetailKeys = {
    "checksum", "container_format", "created_at", "deleted", "deleted_at", "disk_format",
    "id", "is_public", "location", "location_data", "min_disk", "min_ram",
    "name", "os_hash_algo", "os_hash_value", "os_hidden", "owner", "properties", "protected",
    "size", "status", "tags", "updated_at", "virtual_size", "visibility"};

const std::vector<std::string> kIndexKeys = {"checksum", "container_format", "disk_format",
                                             "id", "name", "size"};

const Headers kPurge = {{"X-Glance-Registry-Purge-Props", "true"}};

Headers Merge(Headers a, const Headers& b) {
  for (const auto& kv : b) a.push_back(kv);
  return a;
}

json GetImage(const Api& api, const std::string& id, const Headers& headers) {
  Response r = api.Get("/images/" + id, headers);
  BOOST_REQUIRE_MESSAGE(r.status == 200, "GET /images/" << id << " -> " << r.Describe());
  json body = r.Json();
  BOOST_REQUIRE_MESSAGE(body.contains("image") && body["image"].is_object(), r.body);
  return body["image"];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_images, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(create_minimal_applies_defaults) {
  Env& env = Shared();
  Api api = env.api();
  std::string tenant = Unique("t-img");
  std::string name = Unique("minimal");
  json img = CreateImage(api, ForTenant(tenant), {{"name", name}});

  BOOST_TEST(Keys(img) == kDetailKeys, boost::test_tools::per_element());
  BOOST_TEST(LooksLikeUuid(S(img, "id")), "id " << S(img, "id"));
  BOOST_TEST(S(img, "name") == name);
  BOOST_TEST(S(img, "status") == "active");
  BOOST_TEST(S(img, "is_public") == "<false>");
  BOOST_TEST(S(img, "protected") == "<false>");
  BOOST_TEST(S(img, "owner") == tenant);
  BOOST_TEST(S(img, "min_disk") == "<0>");
  BOOST_TEST(S(img, "min_ram") == "<0>");
  BOOST_TEST(S(img, "deleted") == "<false>");
  BOOST_TEST(S(img, "deleted_at") == "<null>");
  BOOST_TEST(S(img, "disk_format") == "<null>");
  BOOST_TEST(S(img, "container_format") == "<null>");
  BOOST_TEST(S(img, "checksum") == "<null>");
  BOOST_TEST(S(img, "properties") == "<{}>");
  BOOST_TEST(S(img, "location") == "<null>");
  BOOST_TEST(S(img, "location_data") == "<[]>");
  BOOST_TEST(LooksLikeTimestamp(S(img, "created_at")), "created_at " << S(img, "created_at"));
  BOOST_TEST(LooksLikeTimestamp(S(img, "updated_at")), "updated_at " << S(img, "updated_at"));

  // The row is in the database.
  BOOST_TEST(env.Count("SELECT count(*) FROM images WHERE id = :p", S(img, "id")) == 1);
  BOOST_TEST(env.Text("SELECT name FROM images WHERE id = :p", S(img, "id")).value_or("<none>") == name);
}

BOOST_AUTO_TEST_CASE(create_with_all_fields_round_trips) {
  Env& env = Shared();
  Api api = env.api();
  std::string tenant = Unique("t-img");
  std::string id = RandomUuid();
  json in = {{"id", id},
             {"name", Unique("full")},
             {"disk_format", "qcow2"},
             {"container_format", "bare"},
             {"size", 123456789012LL},
             {"virtual_size", 987654321098LL},
             {"checksum", "0123456789abcdef0123456789abcdef"},
             {"status", "queued"},
             {"is_public", false},
             {"protected", true},
             {"min_disk", 10},
             {"min_ram", 2048},
             {"properties", {{"arch", "x86_64"}, {"distro", "debian"}}}};
  json img = CreateImage(api, ForTenant(tenant), in);
  BOOST_TEST(S(img, "id") == id);
  for (const char* key : {"name", "disk_format", "container_format", "size", "virtual_size", "checksum",
                          "status", "is_public", "protected", "min_disk", "min_ram", "properties"}) {
    BOOST_TEST(S(img, key) == S(in, key), "field " << key);
  }
  BOOST_TEST(S(img, "owner") == tenant);

  json got = GetImage(api, id, ForTenant(tenant));
  BOOST_TEST(got.dump() == img.dump());

  // Stored values, read directly.
  BOOST_TEST(env.Text("SELECT size::text FROM images WHERE id = :p", id).value_or("") == "123456789012");
  BOOST_TEST(env.Text("SELECT status FROM images WHERE id = :p", id).value_or("") == "queued");
  BOOST_TEST(env.Count("SELECT count(*) FROM image_properties WHERE image_id = :p AND NOT deleted", id) == 2);
  BOOST_TEST(env.Text("SELECT value FROM image_properties WHERE image_id = :p AND name = 'arch'", id)
                 .value_or("") == "x86_64");
}

BOOST_AUTO_TEST_CASE(create_generates_distinct_uuid4_ids) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  std::string a = S(CreateImage(api, h, {{"name", "a"}}), "id");
  std::string b = S(CreateImage(api, h, {{"name", "b"}}), "id");
  BOOST_TEST(LooksLikeUuid(a));
  BOOST_TEST(LooksLikeUuid(b));
  BOOST_TEST(a != b);
  // Version 4: the 13th hex digit is '4'.
  BOOST_TEST(a.substr(14, 1) == "4");
}

BOOST_AUTO_TEST_CASE(create_explicit_status_is_kept) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  for (const char* status : {"queued", "saving", "active", "killed"}) {
    json img = CreateImage(api, h, {{"name", Unique("st")}, {"status", status}});
    BOOST_TEST(S(img, "status") == status);
  }
}

BOOST_AUTO_TEST_CASE(create_with_location_is_returned) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  std::string url = "http://127.0.0.1:1/images/" + Unique("loc") + ".img";
  json img = CreateImage(api, h, {{"name", Unique("loc")}, {"location", url}, {"size", 10}});
  BOOST_TEST(S(img, "location") == url);
  BOOST_REQUIRE(img["location_data"].is_array());
  BOOST_REQUIRE(img["location_data"].size() == 1u);
  const json& loc = img["location_data"][0];
  BOOST_TEST(S(loc, "url") == url);
  BOOST_TEST(S(loc, "status") == "active");
  BOOST_TEST(loc.contains("id"));
  BOOST_TEST(loc.contains("metadata"));
  BOOST_TEST(loc["metadata"].is_object());

  json got = GetImage(api, S(img, "id"), h);
  BOOST_TEST(S(got, "location") == url);
  BOOST_TEST(env.Count("SELECT count(*) FROM image_locations WHERE image_id = :p AND NOT deleted",
                       S(img, "id")) == 1);
}

BOOST_AUTO_TEST_CASE(create_duplicate_id_is_409) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  std::string id = RandomUuid();
  std::string name = Unique("dup");
  CreateImage(api, h, {{"id", id}, {"name", name}});
  DbSnapshot before = env.Snapshot();
  Response r = api.PostJson("/images", h, {{"image", {{"id", id}, {"name", "other"}}}});
  BOOST_TEST(r.status == 409, r.Describe());
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(env.Text("SELECT name FROM images WHERE id = :p", id).value_or("") == name);
  // Also from another tenant (the id space is global).
  r = api.PostJson("/images", ForTenant(Unique("t-img")), {{"image", {{"id", id}}}});
  BOOST_TEST(r.status == 409, r.Describe());
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(create_non_uuid_id_is_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  DbSnapshot before = env.Snapshot();
  for (const char* bad : {"not-a-uuid", "12345", "", "../../etc/passwd",
                          "0123456789abcdef0123456789abcdef",  // no dashes
                          "01234567-89ab-cdef-0123-456789abcdef0"}) {
    Response r = api.PostJson("/images", h, {{"image", {{"id", bad}, {"name", "x"}}}});
    BOOST_TEST(r.status == 400, "id '" << bad << "': " << r.Describe());
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(create_owner_forced_to_tenant_for_non_admin) {
  Api api = Shared().api();
  std::string tenant = Unique("t-img");
  json img = CreateImage(api, ForTenant(tenant), {{"name", "o"}, {"owner", "somebody-else"}});
  BOOST_TEST(S(img, "owner") == tenant);
  img = CreateImage(api, ForTenant(tenant), {{"name", "o"}, {"owner", nullptr}});
  BOOST_TEST(S(img, "owner") == tenant);
}

BOOST_AUTO_TEST_CASE(create_admin_may_choose_owner) {
  Api api = Shared().api();
  std::string admin_tenant = Unique("t-admin");
  std::string target = Unique("t-target");
  json img = CreateImage(api, Admin(admin_tenant), {{"name", "a"}, {"owner", target}});
  BOOST_TEST(S(img, "owner") == target);
  // Without an owner the admin's own tenant owns it.
  img = CreateImage(api, Admin(admin_tenant), {{"name", "b"}});
  BOOST_TEST(S(img, "owner") == admin_tenant);
  // The chosen owner really owns it: visible to that tenant.
  BOOST_TEST(api.Get("/images/" + S(CreateImage(api, Admin(admin_tenant), {{"owner", target}}), "id"),
                     ForTenant(target)).status == 200);
}

BOOST_AUTO_TEST_CASE(create_invalid_status_is_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  DbSnapshot before = env.Snapshot();
  for (const char* bad : {"bogus", "ACTIVE", "deactivated", ""}) {
    Response r = api.PostJson("/images", h, {{"image", {{"name", "x"}, {"status", bad}}}});
    BOOST_TEST(r.status == 400, "status '" << bad << "': " << r.Describe());
    BOOST_TEST(r.body.find("Invalid image status") != std::string::npos, r.body);
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(get_unknown_or_malformed_id_is_404) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  BOOST_TEST(api.Get("/images/" + RandomUuid(), h).status == 404);
  BOOST_TEST(api.Get("/images/not-a-uuid", h).status == 404);
  BOOST_TEST(api.Get("/images/" + UrlEncode("'; DROP TABLE images; --"), h).status == 404);
  BOOST_TEST(api.Get("/images/" + RandomUuid(), Admin()).status == 404);
}

BOOST_AUTO_TEST_CASE(get_returns_same_dict_as_create_and_detail) {
  Api api = Shared().api();
  std::string tenant = Unique("t-img");
  Headers h = ForTenant(tenant);
  std::string tag = Unique("tag");
  json img = CreateImage(api, h, {{"name", "same"}, {"size", 5}, {"properties", {{"tag", tag}}}});
  json got = GetImage(api, S(img, "id"), h);
  BOOST_TEST(got.dump() == img.dump());
  auto listed = ListDetail(api, h, Query({{"property-tag", tag}}));
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].dump() == img.dump());
}

BOOST_AUTO_TEST_CASE(update_merges_properties_by_default) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  json img = CreateImage(api, h, {{"name", "m"}, {"properties", {{"a", "1"}, {"b", "1"}}}});
  std::string id = S(img, "id");
  Response r = api.PutJson("/images/" + id, h, {{"image", {{"properties", {{"b", "2"}, {"c", "3"}}}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  json up = r.Json()["image"];
  BOOST_TEST(up["properties"].dump() == json({{"a", "1"}, {"b", "2"}, {"c", "3"}}).dump());
  BOOST_TEST(GetImage(api, id, h)["properties"].dump() == up["properties"].dump());
  BOOST_TEST(env.Count("SELECT count(*) FROM image_properties WHERE image_id = :p AND NOT deleted", id) == 3);
}

BOOST_AUTO_TEST_CASE(update_with_purge_props_replaces_properties) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  json img = CreateImage(api, h, {{"name", "p"}, {"properties", {{"a", "1"}, {"b", "1"}}}});
  std::string id = S(img, "id");
  Response r = api.PutJson("/images/" + id, Merge(h, kPurge),
                           {{"image", {{"properties", {{"b", "2"}, {"c", "3"}}}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(r.Json()["image"]["properties"].dump() == json({{"b", "2"}, {"c", "3"}}).dump());
  BOOST_TEST(GetImage(api, id, h)["properties"].dump() == json({{"b", "2"}, {"c", "3"}}).dump());
  BOOST_TEST(env.Count("SELECT count(*) FROM image_properties WHERE image_id = :p AND NOT deleted", id) == 2);

  // A purged key can be added again later.
  r = api.PutJson("/images/" + id, h, {{"image", {{"properties", {{"a", "again"}}}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(r.Json()["image"]["properties"].dump() ==
             json({{"a", "again"}, {"b", "2"}, {"c", "3"}}).dump());

  // Purge with an empty set removes everything.
  r = api.PutJson("/images/" + id, Merge(h, kPurge), {{"image", {{"properties", json::object()}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "properties") == "<{}>");
  BOOST_TEST(env.Count("SELECT count(*) FROM image_properties WHERE image_id = :p AND NOT deleted", id) == 0);
}

BOOST_AUTO_TEST_CASE(update_changes_fields_and_updated_at) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  json img = CreateImage(api, h, {{"name", "before"}, {"status", "queued"}});
  std::string id = S(img, "id");
  std::this_thread::sleep_for(20ms);
  Response r = api.PutJson("/images/" + id, h,
                           {{"image",
                             {{"name", "after"},
                              {"disk_format", "raw"},
                              {"container_format", "bare"},
                              {"min_ram", 512},
                              {"min_disk", 3},
                              {"size", 42},
                              {"protected", true}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  json up = r.Json()["image"];
  BOOST_TEST(Keys(up) == kDetailKeys, boost::test_tools::per_element());
  BOOST_TEST(S(up, "name") == "after");
  BOOST_TEST(S(up, "disk_format") == "raw");
  BOOST_TEST(S(up, "container_format") == "bare");
  BOOST_TEST(S(up, "min_ram") == "<512>");
  BOOST_TEST(S(up, "min_disk") == "<3>");
  BOOST_TEST(S(up, "size") == "<42>");
  BOOST_TEST(S(up, "protected") == "<true>");
  BOOST_TEST(S(up, "created_at") == S(img, "created_at"));
  BOOST_TEST(LooksLikeTimestamp(S(up, "updated_at")));
  BOOST_TEST(S(up, "updated_at") > S(img, "updated_at"));
  BOOST_TEST(env.Text("SELECT name FROM images WHERE id = :p", id).value_or("") == "after");
  BOOST_TEST(GetImage(api, id, h).dump() == up.dump());
}

BOOST_AUTO_TEST_CASE(update_from_state_compare_and_set) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  std::string id = S(CreateImage(api, h, {{"name", "cas"}, {"status", "queued"}}), "id");

  DbSnapshot before = env.Snapshot();
  Response r = api.PutJson("/images/" + id, h, {{"image", {{"status", "active"}}}, {"from_state", "saving"}});
  BOOST_TEST(r.status == 409, r.Describe());
  BOOST_TEST(r.body.find("Image operation conflicts") != std::string::npos, r.body);
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(env.Text("SELECT status FROM images WHERE id = :p", id).value_or("") == "queued");

  r = api.PutJson("/images/" + id, h, {{"image", {{"status", "saving"}}}, {"from_state", "queued"}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "status") == "saving");

  r = api.PutJson("/images/" + id, h, {{"image", {{"status", "active"}}}, {"from_state", nullptr}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "status") == "active");
  BOOST_TEST(env.Text("SELECT status FROM images WHERE id = :p", id).value_or("") == "active");
}

BOOST_AUTO_TEST_CASE(update_owner_ignored_for_non_admin_allowed_for_admin) {
  Env& env = Shared();
  Api api = env.api();
  std::string tenant = Unique("t-img");
  Headers h = ForTenant(tenant);
  std::string id = S(CreateImage(api, h, {{"name", "own"}}), "id");
  Response r = api.PutJson("/images/" + id, h, {{"image", {{"owner", "thief"}, {"name", "renamed"}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "owner") == tenant);
  BOOST_TEST(S(r.Json()["image"], "name") == "renamed");
  BOOST_TEST(env.Text("SELECT owner FROM images WHERE id = :p", id).value_or("") == tenant);

  std::string other = Unique("t-new-owner");
  r = api.PutJson("/images/" + id, Admin(), {{"image", {{"owner", other}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "owner") == other);
  BOOST_TEST(env.Text("SELECT owner FROM images WHERE id = :p", id).value_or("") == other);
}

BOOST_AUTO_TEST_CASE(update_without_rights_is_refused) {
  Env& env = Shared();
  Api api = env.api();
  std::string owner = Unique("t-owner");
  std::string stranger = Unique("t-stranger");
  std::string member = Unique("t-member");
  Headers ho = ForTenant(owner);
  std::string priv = S(CreateImage(api, ho, {{"name", "priv"}}), "id");
  std::string pub = S(CreateImage(api, Admin(), {{"name", "pub"}, {"is_public", true}, {"owner", owner}}), "id");
  std::string shared = S(CreateImage(api, ho, {{"name", "shared"}}), "id");
  Response m = api.Put("/images/" + shared + "/members/" + member, ho);
  BOOST_REQUIRE_MESSAGE(m.status == 204, m.Describe());

  DbSnapshot before = env.Snapshot();
  json change = {{"image", {{"name", "hacked"}}}};
  Response r = api.PutJson("/images/" + RandomUuid(), ho, change);
  BOOST_TEST(r.status == 404, "unknown: " << r.Describe());
  r = api.PutJson("/images/" + priv, ForTenant(stranger), change);
  BOOST_TEST(r.status == 404, "private of another tenant: " << r.Describe());
  r = api.PutJson("/images/" + pub, ForTenant(stranger), change);
  BOOST_TEST(r.status == 403, "public of another tenant: " << r.Describe());
  r = api.PutJson("/images/" + shared, ForTenant(member), change);
  BOOST_TEST(r.status == 404, "shared with the caller: " << r.Describe());
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(delete_is_soft_and_returns_deleted_record) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  json img = CreateImage(api, h, {{"name", "del"}, {"properties", {{"k", "v"}}}});
  std::string id = S(img, "id");
  Response r = api.Delete("/images/" + id, h);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  json d = r.Json()["image"];
  BOOST_TEST(S(d, "id") == id);
  BOOST_TEST(S(d, "deleted") == "<true>");
  BOOST_TEST(S(d, "status") == "deleted");
  BOOST_TEST(LooksLikeTimestamp(S(d, "deleted_at")), "deleted_at " << S(d, "deleted_at"));

  // The row stays, flagged.
  BOOST_TEST(env.Count("SELECT count(*) FROM images WHERE id = :p", id) == 1);
  BOOST_TEST(env.Text("SELECT deleted::text FROM images WHERE id = :p", id).value_or("") == "true");
  BOOST_TEST(env.Text("SELECT status FROM images WHERE id = :p", id).value_or("") == "deleted");
  BOOST_TEST(env.Text("SELECT deleted_at::text FROM images WHERE id = :p", id).has_value());
}

BOOST_AUTO_TEST_CASE(deleted_image_hidden_from_owner_visible_to_admin) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  std::string id = S(CreateImage(api, h, {{"name", "gone"}}), "id");
  BOOST_REQUIRE(api.Delete("/images/" + id, h).status == 200);

  BOOST_TEST(api.Get("/images/" + id, h).status == 404);
  Response r = api.Get("/images/" + id, Admin());
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"], "status") == "deleted");
  BOOST_TEST(S(r.Json()["image"], "deleted") == "<true>");
  // Further changes by the owner find nothing.
  BOOST_TEST(api.PutJson("/images/" + id, h, {{"image", {{"name", "x"}}}}).status == 404);
}

BOOST_AUTO_TEST_CASE(delete_twice_is_404) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  std::string id = S(CreateImage(api, h, {{"name", "twice"}}), "id");
  BOOST_REQUIRE(api.Delete("/images/" + id, h).status == 200);
  DbSnapshot before = env.Snapshot();
  Response r = api.Delete("/images/" + id, h);
  BOOST_TEST(r.status == 404, r.Describe());
  BOOST_TEST(env.Snapshot() == before);
  BOOST_TEST(api.Delete("/images/" + RandomUuid(), h).status == 404);
  BOOST_TEST(api.Delete("/images/not-a-uuid", h).status == 404);
}

BOOST_AUTO_TEST_CASE(delete_by_non_owner_is_refused) {
  Env& env = Shared();
  Api api = env.api();
  std::string owner = Unique("t-owner");
  Headers stranger = ForTenant(Unique("t-stranger"));
  std::string member = Unique("t-member");
  std::string priv = S(CreateImage(api, ForTenant(owner), {{"name", "p"}}), "id");
  std::string pub = S(CreateImage(api, Admin(), {{"name", "q"}, {"is_public", true}, {"owner", owner}}), "id");
  BOOST_REQUIRE(api.Put("/images/" + priv + "/members/" + member, ForTenant(owner)).status == 204);

  DbSnapshot before = env.Snapshot();
  BOOST_TEST(api.Delete("/images/" + pub, stranger).status == 403);
  BOOST_TEST(api.Delete("/images/" + priv, stranger).status == 404);
  BOOST_TEST(api.Delete("/images/" + priv, ForTenant(member)).status == 404);
  BOOST_TEST(env.Snapshot() == before);
  // The admin may.
  BOOST_TEST(api.Delete("/images/" + pub, Admin()).status == 200);
}

BOOST_AUTO_TEST_CASE(index_entries_have_exactly_six_fields) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  std::string tag = Unique("idx");
  json img = CreateImage(api, h,
                         {{"name", "idx"}, {"disk_format", "raw"}, {"container_format", "bare"},
                          {"size", 7}, {"checksum", "abc"}, {"properties", {{"tag", tag}}}});
  auto entries = ListIndex(api, h, Query({{"property-tag", tag}}));
  BOOST_REQUIRE(entries.size() == 1u);
  BOOST_TEST(Keys(entries[0]) == kIndexKeys, boost::test_tools::per_element());
  for (const auto& key : kIndexKeys) BOOST_TEST(S(entries[0], key) == S(img, key), key);

  // GET / is the same index.
  Response root = api.Get("/" + Query({{"property-tag", tag}}), h);
  BOOST_REQUIRE_MESSAGE(root.status == 200, root.Describe());
  BOOST_TEST(root.Json()["images"].dump() == json(entries).dump());
}

BOOST_AUTO_TEST_CASE(detail_entries_have_all_fields) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  std::string tag = Unique("det");
  CreateImage(api, h, {{"name", "det"}, {"properties", {{"tag", tag}}}});
  auto entries = ListDetail(api, h, Query({{"property-tag", tag}}));
  BOOST_REQUIRE(entries.size() == 1u);
  BOOST_TEST(Keys(entries[0]) == kDetailKeys, boost::test_tools::per_element());
  BOOST_TEST(S(entries[0]["properties"], "tag") == tag);
}

BOOST_AUTO_TEST_CASE(unicode_text_round_trips) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-img"));
  std::string name = "Ubuntu \xC3\xA9t\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xE2\x82\xAC";  // é, 日本, €
  std::string key = "cl\xC3\xA9";
  std::string value = "\xE5\x80\xA4 value";
  json img = CreateImage(api, h, {{"name", name}, {"properties", {{key, value}}}});
  BOOST_TEST(S(img, "name") == name);
  BOOST_TEST(S(img["properties"], key) == value);
  json got = GetImage(api, S(img, "id"), h);
  BOOST_TEST(S(got, "name") == name);
  BOOST_TEST(S(got["properties"], key) == value);
  BOOST_TEST(env.Text("SELECT name FROM images WHERE id = :p", S(img, "id")).value_or("") == name);
}

BOOST_AUTO_TEST_CASE(name_of_255_characters_is_accepted) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  std::string ascii(255, 'n');
  BOOST_TEST(S(CreateImage(api, h, {{"name", ascii}}), "name") == ascii);
  // Characters, not bytes: 255 two-byte characters fit too.
  std::string wide;
  for (int i = 0; i < 255; ++i) wide += "\xC3\xA9";
  BOOST_TEST(S(CreateImage(api, h, {{"name", wide}}), "name") == wide);
}

BOOST_AUTO_TEST_CASE(min_values_at_upper_bound_are_accepted) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-img"));
  json img = CreateImage(api, h, {{"name", "big"}, {"min_disk", 2147483647}, {"min_ram", 2147483647},
                                  {"size", 9223372036854775807LL}});
  BOOST_TEST(S(img, "min_disk") == "<2147483647>");
  BOOST_TEST(S(img, "min_ram") == "<2147483647>");
  BOOST_TEST(S(img, "size") == "<9223372036854775807>");
}

BOOST_AUTO_TEST_SUITE_END()
