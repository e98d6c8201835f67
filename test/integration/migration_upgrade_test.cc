// The schema upgrade for Image API v2 (sql/004_image_api_v2.sql; v2
// contract §13) on a database that has lived at schema version 2 and
// holds images: the real `glance-manage db_sync` must add what v2 needs --
// visibility in place of is_public, os_hidden, one live row per tag, the
// member status check -- without losing or changing a row, and the real
// registry must then serve every image as before.
#include <set>

#include <boost/test/unit_test.hpp>
#include <soci/postgresql/soci-postgresql.h>

#include "glance/db/migrations.h"
#include "registry_fixture.h"

using namespace it;

namespace {

// Runs a script of several statements (the way glance-manage does).
void Script(soci::session& sql, const std::string& text) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  PGresult* result = PQexec(backend->conn_, text.c_str());
  ExecStatusType status = PQresultStatus(result);
  std::string error = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw std::runtime_error("SQL: " + error);
}

// The schema exactly as db_sync left it at `version`: the embedded
// migrations up to it, recorded in migrate_version as SyncSchema records
// them.
void SyncUpTo(soci::session& sql, int version) {
  Script(sql,
         "CREATE TABLE migrate_version (version integer PRIMARY KEY, name text NOT NULL,"
         " applied_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))");
  for (const glance::db::Migration& migration : glance::db::EmbeddedMigrations()) {
    if (migration.version > version) break;
    Script(sql, migration.sql);
    int number = migration.version;
    std::string name = migration.name;
    sql << "INSERT INTO migrate_version (version, name) VALUES (:v, :n)", soci::use(number), soci::use(name);
  }
}

std::string One(soci::session& sql, const std::string& query) {
  std::string value;
  soci::indicator ind = soci::i_null;
  sql << query, soci::into(value, ind);
  return ind == soci::i_ok ? value : "<null>";
}

// Count and digest of a table's rows over the given columns.
std::string Digest(soci::session& sql, const std::string& table, const std::string& columns) {
  return One(sql, "SELECT count(*)::text || ':' || coalesce(md5(string_agg(row(" + columns + ")::text, '|' ORDER BY " +
                      "row(" + columns + ")::text)), '') FROM " + table + " t");
}

// Every column of images that the upgrade keeps as it is.
const char* const kKeptImageColumns =
    "id, name, disk_format, container_format, size, virtual_size, status, checksum, os_hash_algo, os_hash_value,"
    " min_disk, min_ram, owner, protected, created_at, updated_at, deleted_at, deleted";

std::set<std::string> Column(soci::session& sql, const std::string& query) {
  std::vector<std::string> values(100000);
  sql << query, soci::into(values);
  return {values.begin(), values.end()};
}

bool HasColumn(soci::session& sql, const std::string& table, const std::string& column) {
  return One(sql, "SELECT count(*)::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '" +
                      table + "' AND column_name = '" + column + "'") == "1";
}

bool Fails(soci::session& sql, const std::string& statement) {
  try {
    soci::transaction tx(sql);
    Script(sql, statement);
    tx.rollback();
    return false;
  } catch (const std::exception&) {
    return true;  // the transaction rolled back as it went out of scope
  }
}

// Images a v1 deployment holds at schema version 2: public and private
// ones with data, properties (one NULL, one deleted), members (pending,
// accepted, rejected, one removed), locations, a queued, a killed, a
// deleted and a protected image, tags a foreign tool wrote twice, and 600
// more images alternately public and private.
struct OldCatalogue {
  std::string pub = "11111111-1111-4111-8111-111111111111", priv = "22222222-2222-4222-8222-222222222222",
              queued = "33333333-3333-4333-8333-333333333333", deleted = "44444444-4444-4444-8444-444444444444",
              killed = "55555555-5555-4555-8555-555555555555", prot = "66666666-6666-4666-8666-666666666666";
  std::string owner = "tenant-a", member = "tenant-b", accepted = "tenant-c";

  void Fill(soci::session& sql) const {
    Script(sql, R"SQL(
INSERT INTO images (id, name, disk_format, container_format, size, virtual_size, status, is_public, checksum,
                    os_hash_algo, os_hash_value, min_disk, min_ram, owner, protected, created_at, updated_at,
                    deleted_at, deleted) VALUES
  (')SQL" + pub + R"SQL(', 'old-public', 'qcow2', 'bare', 100, 300, 'active', true, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
   'sha512', repeat('b', 128), 1, 64, 'tenant-a', false, '2020-01-02 03:04:05.123456', '2020-01-03 00:00:00', NULL, false),
  (')SQL" + priv + R"SQL(', 'old-private', 'raw', 'bare', 5, NULL, 'active', false, 'cccccccccccccccccccccccccccccccc',
   NULL, NULL, 0, 0, 'tenant-a', false, '2020-01-02 03:04:05.654321', '2020-01-02 03:04:06', NULL, false),
  (')SQL" + queued + R"SQL(', 'old-queued', NULL, NULL, NULL, NULL, 'queued', false, NULL,
   NULL, NULL, 0, 0, 'tenant-b', false, '2020-02-01 00:00:00', '2020-02-01 00:00:00', NULL, false),
  (')SQL" + deleted + R"SQL(', 'old-deleted', 'raw', 'bare', 7, NULL, 'deleted', true, 'dddddddddddddddddddddddddddddddd',
   NULL, NULL, 0, 0, 'tenant-a', false, '2020-03-01 00:00:00', '2020-03-02 00:00:00', '2020-03-02 00:00:00', true),
  (')SQL" + killed + R"SQL(', 'old-killed', 'raw', 'bare', NULL, NULL, 'killed', false, NULL,
   NULL, NULL, 0, 0, 'tenant-a', false, '2020-04-01 00:00:00', '2020-04-01 00:00:00', NULL, false),
  (')SQL" + prot + R"SQL(', NULL, 'iso', 'bare', 9, NULL, 'active', true, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
   NULL, NULL, 20, 512, NULL, true, '2020-05-01 00:00:00', '2020-05-01 00:00:00', NULL, false);
INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted_at, deleted) VALUES
  (')SQL" + pub + R"SQL(', 'os_distro', 'debian', '2020-01-02', '2020-01-02', NULL, false),
  (')SQL" + pub + R"SQL(', 'empty', NULL, '2020-01-02', '2020-01-02', NULL, false),
  (')SQL" + pub + R"SQL(', 'gone', 'x', '2020-01-02', '2020-01-03', '2020-01-03', true),
  (')SQL" + priv + R"SQL(', 'hw_disk_bus', 'virtio', '2020-01-02', '2020-01-02', NULL, false),
  (')SQL" + deleted + R"SQL(', 'os_distro', 'fedora', '2020-03-01', '2020-03-02', '2020-03-02', true);
INSERT INTO image_members (image_id, member, can_share, status, created_at, updated_at, deleted_at, deleted) VALUES
  (')SQL" + priv + R"SQL(', 'tenant-b', false, 'pending', '2020-01-05', '2020-01-05', NULL, false),
  (')SQL" + priv + R"SQL(', 'tenant-c', true, 'accepted', '2020-01-05', '2020-01-06', NULL, false),
  (')SQL" + priv + R"SQL(', 'tenant-e', false, 'rejected', '2020-01-05', '2020-01-06', NULL, false),
  (')SQL" + priv + R"SQL(', 'tenant-d', false, 'pending', '2020-01-05', '2020-01-07', '2020-01-07', true),
  (')SQL" + deleted + R"SQL(', 'tenant-b', false, 'pending', '2020-03-01', '2020-03-02', '2020-03-02', true);
INSERT INTO image_locations (image_id, value, meta_data, status, created_at, updated_at, deleted_at, deleted) VALUES
  (')SQL" + pub + R"SQL(', 'file:///var/lib/glance/images/)SQL" + pub + R"SQL(', '{}', 'active', '2020-01-02', '2020-01-02', NULL, false),
  (')SQL" + deleted + R"SQL(', 'file:///var/lib/glance/images/)SQL" + deleted + R"SQL(', '{}', 'deleted', '2020-03-01', '2020-03-02', '2020-03-02', true);
INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted_at, deleted) VALUES
  (')SQL" + pub + R"SQL(', 'dup', '2020-01-02', '2020-01-02', NULL, false),
  (')SQL" + pub + R"SQL(', 'dup', '2020-01-03', '2020-01-03', NULL, false),
  (')SQL" + pub + R"SQL(', 'dup', '2020-01-04', '2020-01-04', NULL, false),
  (')SQL" + pub + R"SQL(', 'single', '2020-01-02', '2020-01-02', NULL, false),
  (')SQL" + pub + R"SQL(', 'old', '2020-01-02', '2020-01-03', '2020-01-03', true),
  (')SQL" + priv + R"SQL(', 'dup', '2020-01-02', '2020-01-02', NULL, false);
INSERT INTO images (id, name, disk_format, container_format, size, status, is_public, checksum, min_disk, min_ram,
                    owner, protected, created_at, updated_at, deleted)
  SELECT md5('bulk' || n)::uuid::text, 'bulk-' || n, 'raw', 'bare', n, 'active', n % 2 = 0, md5('data' || n), 0, 0,
         'tenant-bulk', false, timestamp '2021-01-01' + n * interval '1 second', timestamp '2021-01-01', false
    FROM generate_series(1, 600) AS n;
INSERT INTO image_properties (image_id, name, value, created_at, updated_at, deleted)
  SELECT md5('bulk' || n)::uuid::text, 'n', n::text, timestamp '2021-01-01', timestamp '2021-01-01', false
    FROM generate_series(1, 600) AS n;
INSERT INTO image_members (image_id, member, created_at, updated_at, deleted)
  SELECT md5('bulk' || n)::uuid::text, 'tenant-b', timestamp '2021-01-01', timestamp '2021-01-01', false
    FROM generate_series(1, 600, 3) AS n;
)SQL");
  }
};

struct Before {
  std::string images, properties, members, locations, tags_all;
  std::set<std::string> public_ids, private_ids;
};

Before Record(soci::session& sql) {
  Before b;
  b.images = Digest(sql, "images", kKeptImageColumns);
  b.properties = Digest(sql, "image_properties", "id, image_id, name, value, created_at, updated_at, deleted_at, deleted");
  b.members = Digest(sql, "image_members",
                     "id, image_id, member, can_share, status, created_at, updated_at, deleted_at, deleted");
  b.locations = Digest(sql, "image_locations", "id, image_id, value, meta_data, status, created_at, updated_at, deleted_at, deleted");
  b.tags_all = Digest(sql, "image_tags", "id, image_id, value, created_at");
  b.public_ids = Column(sql, "SELECT id FROM images WHERE is_public");
  b.private_ids = Column(sql, "SELECT id FROM images WHERE NOT is_public");
  return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(migration_upgrade)

BOOST_AUTO_TEST_CASE(an_image_database_at_version_2_upgrades_without_losing_a_row) {
  Database db;
  soci::session sql(soci::postgresql, db.SociConnect());
  sql << "SET client_min_messages = warning";
  SyncUpTo(sql, 2);
  BOOST_TEST_REQUIRE(HasColumn(sql, "images", "is_public"));
  BOOST_TEST_REQUIRE(!HasColumn(sql, "images", "visibility"));
  OldCatalogue old;
  old.Fill(sql);
  const Before before = Record(sql);
  BOOST_TEST_REQUIRE(before.public_ids.size() == 303u);
  BOOST_TEST_REQUIRE(before.private_ids.size() == 303u);

  std::string conf = WriteRegistryConfig(db.Url(), 9191, {});
  ProcessResult version = RunManage(conf, {"db_version"});
  BOOST_TEST(Trim(version.output) == "2", version.output << version.errors);
  ProcessResult sync = RunManage(conf, {"db_sync"});
  BOOST_TEST_REQUIRE((sync.exited && sync.exit_code == 0), "db_sync exit " << sync.exit_code << ": " << sync.output
                                                                            << sync.errors);
  version = RunManage(conf, {"db_version"});
  const int latest = glance::db::EmbeddedMigrations().back().version;
  BOOST_TEST(Trim(version.output) == std::to_string(latest), version.output << version.errors);
  BOOST_TEST(latest >= 4);

  // What v2 needs is there; is_public is gone (v1 derives it).
  BOOST_TEST(HasColumn(sql, "images", "visibility"));
  BOOST_TEST(HasColumn(sql, "images", "os_hidden"));
  BOOST_TEST(!HasColumn(sql, "images", "is_public"));
  // Not a row lost or changed.
  BOOST_TEST(Digest(sql, "images", kKeptImageColumns) == before.images);
  BOOST_TEST(Digest(sql, "image_properties", "id, image_id, name, value, created_at, updated_at, deleted_at, deleted") ==
             before.properties);
  BOOST_TEST(Digest(sql, "image_members",
                    "id, image_id, member, can_share, status, created_at, updated_at, deleted_at, deleted") ==
             before.members);
  BOOST_TEST(Digest(sql, "image_locations",
                    "id, image_id, value, meta_data, status, created_at, updated_at, deleted_at, deleted") ==
             before.locations);
  BOOST_TEST(Digest(sql, "image_tags", "id, image_id, value, created_at") == before.tags_all, "a tag row was lost");
  // is_public true → public, false → shared; nobody hidden.
  BOOST_TEST((Column(sql, "SELECT id FROM images WHERE visibility = 'public'") == before.public_ids));
  BOOST_TEST((Column(sql, "SELECT id FROM images WHERE visibility = 'shared'") == before.private_ids));
  BOOST_TEST(One(sql, "SELECT count(*)::text FROM images WHERE visibility NOT IN ('public', 'shared')") == "0");
  BOOST_TEST(One(sql, "SELECT count(*)::text FROM images WHERE os_hidden") == "0");
  // Sub-second creation times survive (v2's default order needs them).
  BOOST_TEST(One(sql, "SELECT created_at::text FROM images WHERE id = '" + old.pub + "'") == "2020-01-02 03:04:05.123456");
  // Tags became a set: the oldest live row of each (image, value) stays.
  BOOST_TEST(One(sql, "SELECT string_agg(value || '@' || created_at::date::text, ',' ORDER BY value) FROM image_tags "
                      "WHERE NOT deleted AND image_id = '" + old.pub + "'") == "dup@2020-01-02,single@2020-01-02");
  BOOST_TEST(One(sql, "SELECT count(*)::text FROM image_tags WHERE NOT deleted AND image_id = '" + old.priv + "'") == "1");
  BOOST_TEST(One(sql, "SELECT count(*)::text FROM image_tags WHERE deleted") == "3");

  // The new rules hold from now on.
  BOOST_TEST(Fails(sql, "UPDATE images SET visibility = 'everyone' WHERE id = '" + old.pub + "'"));
  BOOST_TEST(Fails(sql, "UPDATE image_members SET status = 'maybe' WHERE member = 'tenant-b'"));
  BOOST_TEST(Fails(sql, "INSERT INTO image_tags (image_id, value, created_at, updated_at) VALUES ('" + old.pub +
                            "', 'single', now(), now())"));
  BOOST_TEST(!Fails(sql, "INSERT INTO image_tags (image_id, value, created_at, updated_at, deleted) VALUES ('" +
                             old.pub + "', 'single', now(), now(), true)"),
             "a deleted duplicate is history, not a conflict");
  BOOST_TEST(One(sql, "SELECT column_default FROM information_schema.columns WHERE table_name = 'images' AND "
                      "column_name = 'visibility'").find("shared") != std::string::npos);

  // A second db_sync changes nothing.
  const std::string images_after = Digest(sql, "images", "t.*");
  ProcessResult again = RunManage(conf, {"db_sync"});
  BOOST_TEST((again.exited && again.exit_code == 0), again.output << again.errors);
  BOOST_TEST(Digest(sql, "images", "t.*") == images_after);
}

BOOST_AUTO_TEST_CASE(the_registry_serves_the_upgraded_images) {
  Database db;
  {
    soci::session sql(soci::postgresql, db.SociConnect());
    sql << "SET client_min_messages = warning";
    SyncUpTo(sql, 2);
    OldCatalogue().Fill(sql);
  }
  ProcessResult sync = RunManage(WriteRegistryConfig(db.Url(), 9191, {}), {"db_sync"});
  BOOST_TEST_REQUIRE((sync.exited && sync.exit_code == 0), sync.output << sync.errors);
  RegistryProcess registry(db.Url());
  Api api = registry.api();
  OldCatalogue old;
  Headers owner = ForTenant(old.owner), member = ForTenant(old.member), accepted = ForTenant(old.accepted),
          stranger = ForTenant("tenant-z"), admin = Admin();

  Response pub = api.Get("/images/" + old.pub, stranger);
  BOOST_TEST_REQUIRE(pub.status == 200, pub.Describe());
  json image = pub.Json()["image"];
  BOOST_TEST(image["is_public"] == true, image.dump());
  BOOST_TEST(S(image, "visibility") == "public");
  BOOST_TEST(image["os_hidden"] == false);
  BOOST_TEST(S(image, "name") == "old-public");
  BOOST_TEST(S(image, "checksum") == std::string(32, 'a'));
  BOOST_TEST(S(image, "os_hash_value") == std::string(128, 'b'));
  BOOST_TEST(image["size"] == 100);
  BOOST_TEST(image["min_ram"] == 64);
  BOOST_TEST(S(image["properties"], "os_distro") == "debian", image.dump());
  BOOST_TEST(image["properties"].contains("empty"), image.dump());
  BOOST_TEST(!image["properties"].contains("gone"), image.dump());
  std::set<std::string> tags;
  for (const auto& tag : image["tags"]) tags.insert(tag.get<std::string>());
  BOOST_TEST((tags == std::set<std::string>{"dup", "single"}), image.dump());
  BOOST_TEST(S(image, "created_at").rfind("2020-01-02T03:04:05.123456", 0) == 0u, S(image, "created_at"));

  // The private image: its owner and its members see it, nobody else.
  Response priv = api.Get("/images/" + old.priv, owner);
  BOOST_TEST_REQUIRE(priv.status == 200, priv.Describe());
  BOOST_TEST(priv.Json()["image"]["is_public"] == false);
  BOOST_TEST(S(priv.Json()["image"], "visibility") == "shared");
  BOOST_TEST(S(priv.Json()["image"]["properties"], "hw_disk_bus") == "virtio");
  BOOST_TEST(api.Get("/images/" + old.priv, member).status == 200);
  BOOST_TEST(api.Get("/images/" + old.priv, accepted).status == 200);
  BOOST_TEST(api.Get("/images/" + old.priv, ForTenant("tenant-d")).status == 404, "a removed member");
  BOOST_TEST(api.Get("/images/" + old.priv, stranger).status == 404);
  Response members = api.Get("/images/" + old.priv + "/members", owner);
  BOOST_TEST_REQUIRE(members.status == 200, members.Describe());
  std::map<std::string, std::string> got;
  const json listed = members.Json();  // kept: the loop must not walk a temporary
  for (const auto& m : listed["members"]) {
    got[S(m, "member_id")] = S(m, "status") + (m["can_share"] == true ? "+share" : "");
  }
  BOOST_TEST((got == std::map<std::string, std::string>{
                         {"tenant-b", "pending"}, {"tenant-c", "accepted+share"}, {"tenant-e", "rejected"}}),
             members.body);

  // The others, and the deleted one stays deleted.
  BOOST_TEST(api.Get("/images/" + old.queued, ForTenant("tenant-b")).status == 200);
  BOOST_TEST(api.Get("/images/" + old.deleted, owner).status == 404);
  Response prot = api.Get("/images/" + old.prot, stranger);
  BOOST_TEST_REQUIRE(prot.status == 200, prot.Describe());
  BOOST_TEST(prot.Json()["image"]["protected"] == true);
  BOOST_TEST(prot.Json()["image"]["min_ram"] == 512);

  // Lists: every bulk image is there, public ones for everybody, the
  // shared ones for their member.
  std::vector<json> bulk = ListDetail(api, admin, Query({{"is_public", "none"}, {"limit", "1000"}}));
  int bulk_count = 0;
  for (const json& one : bulk) bulk_count += S(one, "name").rfind("bulk-", 0) == 0;
  BOOST_TEST(bulk_count == 600);
  std::vector<json> seen = ListDetail(api, stranger, Query({{"limit", "1000"}}));
  int public_bulk = 0;
  for (const json& one : seen) public_bulk += S(one, "name").rfind("bulk-", 0) == 0;
  BOOST_TEST(public_bulk == 300);
  // bulk-7 is private and shared with tenant-b (pending, as every v1
  // member); bulk-5 is private and shared with nobody.
  BOOST_TEST(ListDetail(api, member, Query({{"property-n", "7"}})).size() == 1u,
             "a v1 member still lists what was shared with it");
  BOOST_TEST(ListDetail(api, member, Query({{"property-n", "5"}})).size() == 0u);
  BOOST_TEST(ListDetail(api, owner, Query({{"property-n", "7"}})).size() == 0u, "tenant-a owns no bulk image");

  // And it takes new work on the upgraded rows.
  Response renamed = api.PutJson("/images/" + old.priv, owner, {{"image", {{"name", "renamed"}}}});
  BOOST_TEST(renamed.status == 200, renamed.Describe());
  json created = CreateImage(api, owner, {{"name", "after-upgrade"}, {"properties", {{"k", "v"}}}});
  BOOST_TEST(S(created, "visibility") == "shared");
  BOOST_TEST(created["is_public"] == false);
}

BOOST_AUTO_TEST_SUITE_END()
