// BuildListSql for v2 lists (v2 contract §4.2, §8, §10), and v1's SQL kept
// as it was.
#include <boost/test/unit_test.hpp>

#include <regex>
#include <set>

#include "../../src/db/image_rows.h"
#include "glance/common/text.h"
#include "glance/db/list_sql.h"
#include "glance/image/list_query.h"

using namespace glance;

namespace {

RequestContext Project(const std::string& owner) {
  RequestContext c;
  c.tenant = owner;
  c.owner = owner;
  return c;
}

RequestContext Admin() {
  RequestContext c = Project("admin-p");
  c.is_admin = true;
  return c;
}

RequestContext NoAuth() {
  RequestContext c;
  c.is_admin = true;
  return c;
}

// The SQL with each :pN replaced by «its value», after checking that every
// parameter stands exactly once.
std::string Render(const SqlText& sql) {
  std::string out;
  std::vector<int> seen(sql.params.size(), 0);
  for (size_t at = 0; at < sql.text.size();) {
    if (sql.text.compare(at, 2, ":p") == 0) {
      size_t end = sql.text.find_first_not_of("0123456789", at + 2);
      if (end == std::string::npos) end = sql.text.size();
      size_t index = std::stoul(sql.text.substr(at + 2, end - at - 2));
      BOOST_REQUIRE(index < sql.params.size());
      ++seen[index];
      out += "«" + sql.params[index] + "»";
      at = end;
    } else {
      out += sql.text[at++];
    }
  }
  for (int n : seen) BOOST_TEST(n == 1);
  return out;
}

std::string V2Sql(const std::string& qs, const RequestContext& context) {
  QueryParams params;
  BOOST_REQUIRE(ParseQueryString(qs, &params).ok());
  ListQuery q;
  Status s = ParseV2ListQuery(params, context, ListLimits(), &q);
  BOOST_REQUIRE_MESSAGE(s.ok(), qs + ": " + s.message());
  return Render(BuildListSql(q, context, "i.id"));
}

// The visibility condition: what stands before the deleted filter.
std::string Visibility(const std::string& qs, const RequestContext& context) {
  std::string sql = V2Sql(qs, context);
  size_t where = sql.find(" WHERE ");
  size_t deleted = sql.find("NOT i.deleted AND");
  BOOST_REQUIRE(deleted != std::string::npos);
  if (where + 7 == deleted) return "";
  return sql.substr(where + 7, deleted - where - 7 - 5);  // without " AND "
}

const std::string kTail =
    "NOT i.deleted AND i.status <> 'killed' AND NOT i.os_hidden ORDER BY i.created_at DESC, "
    "i.id DESC LIMIT 25";
const std::string kMember =
    "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = «p1» AND NOT "
    "m.deleted AND m.status = «accepted»)";
const std::string kMarker = "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab";

}  // namespace

BOOST_AUTO_TEST_SUITE(list_sql_v2)

BOOST_AUTO_TEST_CASE(v1_sql_is_unchanged) {
  auto v1 = [](const std::string& qs, const RequestContext& c) {
    QueryParams params;
    BOOST_REQUIRE(ParseQueryString(qs, &params).ok());
    ListQuery q;
    BOOST_REQUIRE(ParseListQuery(params, c, ListLimits(), &q).ok());
    return BuildListSql(q, c, "i.id").text;
  };
  // The text before v2 (commit fde9314), byte for byte.
  BOOST_TEST(v1("", Project("t1")) ==
             "SELECT i.id FROM images i WHERE (i.visibility = 'public' OR i.owner = :p1 OR "
             "(i.visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id "
             "= i.id AND m.member = :p0 AND NOT m.deleted))) AND NOT i.deleted AND i.status <> "
             "'killed' ORDER BY i.created_at DESC, i.id DESC LIMIT 25");
  BOOST_TEST(v1("sort_key=name&sort_dir=asc&marker=" + kMarker, RequestContext()) ==
             "SELECT i.id FROM images i WHERE i.visibility = 'public' AND NOT i.deleted AND "
             "i.status <> 'killed' AND (coalesce(i.name, ''), i.created_at, i.id) > (SELECT "
             "coalesce(mk.name, ''), mk.created_at, mk.id FROM images mk WHERE mk.id = :p0) "
             "ORDER BY coalesce(i.name, '') ASC, i.created_at ASC, i.id ASC LIMIT 25");
  BOOST_TEST(v1("sort_key=id&is_public=none&changes-since=2020-01-01&limit=3", Admin()) ==
             "SELECT i.id FROM images i WHERE i.updated_at > CAST(:p0 AS timestamp) ORDER BY "
             "i.id DESC LIMIT 3");
  const std::string filters = v1("name=n&disk_format=raw&size_min=1&min_ram=2&protected=false",
                                 Project("t1"));
  BOOST_TEST(filters.find(" AND i.disk_format = :p2 AND i.name = :p3 AND i.size >= CAST(:p4 AS "
                          "bigint) AND i.min_ram = CAST(:p5 AS bigint) AND NOT i.protected "
                          "ORDER BY") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(default_list_of_a_project) {
  BOOST_TEST(V2Sql("", Project("p1")) ==
             "SELECT i.id FROM images i WHERE (i.visibility = 'public' OR i.owner = «p1» OR "
             "(i.visibility = 'shared' AND " + kMember + ")) AND " + kTail);
}

BOOST_AUTO_TEST_CASE(visibility_of_a_project) {
  const RequestContext p1 = Project("p1");
  const std::string mine_or_shared =
      "i.owner = «p1» OR (i.visibility = 'shared' AND " + kMember + "))";
  BOOST_TEST(Visibility("visibility=all", p1) ==
             "(i.visibility IN ('public', 'community') OR " + mine_or_shared);
  BOOST_TEST(Visibility("visibility=public", p1) == "i.visibility = 'public'");
  BOOST_TEST(Visibility("visibility=community", p1) == "i.visibility = 'community'");
  BOOST_TEST(Visibility("visibility=private", p1) ==
             "(i.visibility = 'private' AND i.owner = «p1»)");
  BOOST_TEST(Visibility("visibility=shared", p1) ==
             "(i.visibility = 'shared' AND (i.owner = «p1» OR " + kMember + "))");
  // member_status: which memberships count; all = any answer.
  BOOST_TEST(Visibility("member_status=pending", p1).find("m.status = «pending»") !=
             std::string::npos);
  BOOST_TEST(Visibility("member_status=rejected&visibility=shared", p1)
                 .find("m.status = «rejected»") != std::string::npos);
  std::string any = Visibility("member_status=all", p1);
  BOOST_TEST(any.find("m.status") == std::string::npos);
  BOOST_TEST(any.find("m.member = «p1» AND NOT m.deleted)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(visibility_of_an_admin) {
  // No visibility: everything but community images of others.
  BOOST_TEST(Visibility("", Admin()) == "(i.owner = «admin-p» OR i.visibility <> 'community')");
  BOOST_TEST(Visibility("", NoAuth()) == "i.visibility <> 'community'");
  BOOST_TEST(Visibility("visibility=all", Admin()) == "");
  BOOST_TEST(Visibility("visibility=all", NoAuth()) == "");
  for (const char* v : {"public", "private", "shared", "community"}) {
    BOOST_TEST(Visibility(std::string("visibility=") + v, Admin()) ==
               std::string("i.visibility = '") + v + "'");
  }
  // Memberships do not restrict an admin.
  BOOST_TEST(V2Sql("member_status=pending", Admin()).find("image_members") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(visibility_without_a_project) {
  const RequestContext anonymous;
  BOOST_TEST(Visibility("", anonymous) == "i.visibility = 'public'");
  BOOST_TEST(Visibility("visibility=public", anonymous) == "i.visibility = 'public'");
  BOOST_TEST(Visibility("visibility=community", anonymous) == "i.visibility = 'community'");
  BOOST_TEST(Visibility("visibility=all", anonymous) == "i.visibility IN ('public', 'community')");
  BOOST_TEST(Visibility("visibility=private", anonymous) == "false");
  BOOST_TEST(Visibility("visibility=shared", anonymous) == "false");
}

BOOST_AUTO_TEST_CASE(paging_with_one_direction_is_a_row_comparison) {
  std::string sql = V2Sql("marker=" + kMarker, NoAuth());
  BOOST_TEST(sql.find(" AND (i.created_at, i.id) < (SELECT mk.created_at, mk.id FROM images mk "
                      "WHERE mk.id = «" + kMarker + "») ORDER BY i.created_at DESC, i.id DESC") !=
             std::string::npos);
  sql = V2Sql("sort=name:asc,size:asc&marker=" + kMarker, NoAuth());
  BOOST_TEST(sql.find("(coalesce(i.name, ''), coalesce(i.size, 0), i.created_at, i.id) > (SELECT "
                      "coalesce(mk.name, ''), coalesce(mk.size, 0), mk.created_at, mk.id FROM "
                      "images mk WHERE mk.id = «" + kMarker + "») ORDER BY coalesce(i.name, '') "
                      "ASC, coalesce(i.size, 0) ASC, i.created_at ASC, i.id ASC LIMIT 25") !=
             std::string::npos);
  BOOST_TEST(sql.find("CROSS JOIN") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(paging_with_mixed_directions_expands_the_comparison) {
  std::string sql = V2Sql("sort_key=name&sort_dir=asc&sort_key=size&sort_dir=desc&marker=" +
                              kMarker + "&visibility=all",
                          NoAuth());
  BOOST_TEST(sql ==
             "SELECT i.id FROM images i CROSS JOIN (SELECT coalesce(mk.name, '') AS k0, "
             "coalesce(mk.size, 0) AS k1, mk.created_at AS k2, mk.id AS k3 FROM images mk WHERE "
             "mk.id = «" + kMarker + "») AS mv WHERE NOT i.deleted AND i.status <> 'killed' AND "
             "NOT i.os_hidden AND (coalesce(i.name, '') >= (SELECT coalesce(mk.name, '') FROM "
             "images mk WHERE mk.id = «" + kMarker + "») AND "
             "(coalesce(i.name, '') > mv.k0 OR (coalesce(i.name, '') = mv.k0 "
             "AND coalesce(i.size, 0) < mv.k1) OR (coalesce(i.name, '') = mv.k0 AND "
             "coalesce(i.size, 0) = mv.k1 AND i.created_at > mv.k2) OR (coalesce(i.name, '') = "
             "mv.k0 AND coalesce(i.size, 0) = mv.k1 AND i.created_at = mv.k2 AND i.id > mv.k3))) "
             "ORDER BY coalesce(i.name, '') ASC, coalesce(i.size, 0) DESC, i.created_at ASC, "
             "i.id ASC LIMIT 25");
  // Without a marker: only the order.
  sql = V2Sql("sort=status:desc,updated_at:asc", NoAuth());
  BOOST_TEST(sql.find("ORDER BY i.status DESC, i.updated_at ASC, i.created_at DESC, i.id DESC") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(tags_must_all_match) {
  std::string sql = V2Sql("tag=x86&tag=64bit", NoAuth());
  for (const char* tag : {"x86", "64bit"}) {
    BOOST_TEST(sql.find(std::string("EXISTS (SELECT 1 FROM image_tags tf WHERE tf.image_id = i.id "
                                    "AND tf.value = «") +
                        tag + "» AND NOT tf.deleted)") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(times_compare_to_the_second) {
  auto time = [](const std::string& filter) {
    std::string sql = V2Sql(filter, NoAuth());
    size_t start = sql.find("NOT i.os_hidden AND ") + 20;
    return sql.substr(start, sql.find(" ORDER BY") - start);
  };
  const std::string t = "2026-01-02T03:04:05Z", at = "«2026-01-02 03:04:05»",
                    next = "«2026-01-02 03:04:06»";
  auto ts = [](const std::string& v) { return "CAST(" + v + " AS timestamp)"; };
  BOOST_TEST(time("created_at=gt:" + t) == "i.created_at >= " + ts(next));
  BOOST_TEST(time("created_at=gte:" + t) == "i.created_at >= " + ts(at));
  BOOST_TEST(time("created_at=lt:" + t) == "i.created_at < " + ts(at));
  BOOST_TEST(time("created_at=lte:" + t) == "i.created_at < " + ts(next));
  BOOST_TEST(time("updated_at=eq:" + t) ==
             "(i.updated_at >= " + ts(at) + " AND i.updated_at < " + ts(next) + ")");
  BOOST_TEST(time("updated_at=" + t) ==
             "(i.updated_at >= " + ts(at) + " AND i.updated_at < " + ts(next) + ")");
  BOOST_TEST(time("updated_at=neq:" + t) ==
             "(i.updated_at < " + ts(at) + " OR i.updated_at >= " + ts(next) + ")");
  // A threshold between two seconds.
  const std::string half = "2026-01-02T03:04:05.5Z";
  BOOST_TEST(time("created_at=gt:" + half) == "i.created_at >= " + ts(next));
  BOOST_TEST(time("created_at=gte:" + half) == "i.created_at >= " + ts(next));
  BOOST_TEST(time("created_at=lt:" + half) == "i.created_at < " + ts(next));
  BOOST_TEST(time("created_at=lte:" + half) == "i.created_at < " + ts(next));
  BOOST_TEST(time("created_at=eq:" + half) == "false");
  BOOST_TEST(time("created_at=neq:" + half) == "true");
  // Offsets become UTC; a second's end carries over days and years.
  BOOST_TEST(time("created_at=gt:2026-12-31T23:59:59-00:00") ==
             "i.created_at >= CAST(«2027-01-01 00:00:00» AS timestamp)");
  BOOST_TEST(time("created_at=lt:2026-01-01T01:30:00%2B02:00") ==
             "i.created_at < CAST(«2025-12-31 23:30:00» AS timestamp)");
}

BOOST_AUTO_TEST_CASE(value_filters) {
  std::string sql = V2Sql(
      "name=in:a,%22b,c%22&id=in:&status=eq:active&checksum=c1&owner=o1&os_hash_value=h1&size=5&"
      "virtual_size=6&size_min=1&size_max=9&min_ram=2&min_disk=3&protected=true&os_hidden=true&"
      "color=red",
      NoAuth());
  for (const char* part :
       {"i.checksum = «c1»", "false AND i.name IN («a», «b,c»)", "i.os_hash_value = «h1»",
        "i.owner = «o1»", "i.status = «active»", "i.size >= CAST(«1» AS bigint)",
        "i.size <= CAST(«9» AS bigint)", "i.min_ram = CAST(«2» AS bigint)",
        "i.min_disk = CAST(«3» AS bigint)", "i.size = CAST(«5» AS bigint)",
        "i.virtual_size = CAST(«6» AS bigint)", "i.protected AND i.os_hidden",
        "pf.name = «color»", "pf.value = «red»"}) {
    BOOST_TEST(sql.find(part) != std::string::npos, part);
  }
  BOOST_TEST(sql.find("NOT i.os_hidden") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_client_value_is_bound) {
  const std::string evil = "x'%3B DROP TABLE images%3B--";
  QueryParams params;
  BOOST_REQUIRE(ParseQueryString("name=in:" + evil + ",b&id=eq:" + evil + "&tag=" + evil +
                                     "&owner=" + evil + "&" + evil + "=" + evil +
                                     "&checksum=" + evil + "&sort=name:asc,size:desc&marker=" +
                                     kMarker,
                                 &params)
                    .ok());
  RequestContext project = Project("p'1");
  ListQuery q;
  BOOST_REQUIRE(ParseV2ListQuery(params, project, ListLimits(), &q).ok());
  SqlText sql = BuildListSql(q, project, "i.id");
  BOOST_TEST(sql.text.find("DROP") == std::string::npos);
  BOOST_TEST(sql.text.find("p'1") == std::string::npos);
  Render(sql);  // every parameter stands once
  // Only the query's shape makes the text: other values, the same SQL.
  QueryParams other;
  BOOST_REQUIRE(ParseQueryString("name=in:v,w&id=eq:v&tag=v&owner=v&k=v&checksum=v&"
                                 "sort=name:asc,size:desc&marker=" + kMarker,
                                 &other)
                    .ok());
  ListQuery q2;
  BOOST_REQUIRE(ParseV2ListQuery(other, Project("v"), ListLimits(), &q2).ok());
  BOOST_TEST(BuildListSql(q2, Project("v"), "i.id").text == sql.text);
}

// The list entry is the v2 image object of contract §2: exactly these core
// keys over the custom properties (glance::v2::ImageToJson has the same).
BOOST_AUTO_TEST_CASE(v2_json_column_has_the_v2_keys) {
  const std::string column = db::JsonColumn(ListShape::kV2);
  const std::string core = "substr(CAST(json_build_object(";
  size_t at = column.find(core);
  BOOST_REQUIRE(at != std::string::npos);
  std::set<std::string> keys;
  const std::string tail = column.substr(at + core.size());
  std::regex key("'([a-z_]+)', ");
  for (auto it = std::sregex_iterator(tail.begin(), tail.end(), key); it != std::sregex_iterator();
       ++it) {
    BOOST_TEST(keys.insert((*it)[1].str()).second, (*it)[1].str());
  }
  const std::set<std::string> expected = {
      "id", "name", "status", "visibility", "protected", "os_hidden", "checksum", "os_hash_algo",
      "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk", "disk_format",
      "container_format", "created_at", "updated_at", "tags", "self", "file", "schema"};
  BOOST_TEST(keys == expected, std::to_string(keys.size()) + " keys");
  BOOST_TEST(2 * keys.size() <= 100u);  // json_build_object's limit
  // The properties come first, built as text, without those named like a
  // core key (the core key wins) or os_glance_stage_host.
  BOOST_TEST(column.find("string_agg(CAST(to_json(p.name) AS text)") < at);
  BOOST_TEST(column.find("CAST(to_json(coalesce(p.value, '')) AS text)") < at);
  size_t excluded = column.find("p.name NOT IN (");
  BOOST_REQUIRE(excluded < at);
  const std::string left_out = column.substr(excluded, column.find(')', excluded) - excluded);
  for (const std::string& name : expected) {
    BOOST_TEST(left_out.find("'" + name + "'") != std::string::npos, name);
  }
  BOOST_TEST(left_out.find("'os_glance_stage_host'") != std::string::npos);
  BOOST_TEST(column.find("to_char(i.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')") !=
             std::string::npos);
  BOOST_TEST(column.find("'self', '/v2/images/' || i.id, 'file', '/v2/images/' || i.id || "
                         "'/file', 'schema', '/v2/schemas/image'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
