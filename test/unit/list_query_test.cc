#include "glance/image/list_query.h"

#include <boost/test/unit_test.hpp>

#include "glance/db/list_sql.h"

using namespace glance;

namespace {

RequestContext Tenant(const std::string& owner) {
  RequestContext c;
  c.tenant = owner;
  c.owner = owner;
  return c;
}

RequestContext Admin() {
  RequestContext c = Tenant("admin-tenant");
  c.is_admin = true;
  return c;
}

Status Parse(const std::string& qs, const RequestContext& c, ListQuery* q) {
  QueryParams params;
  Status s = ParseQueryString(qs, &params);
  if (!s.ok()) return s;
  return ParseListQuery(params, c, ListLimits(), q);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(list_query)

BOOST_AUTO_TEST_CASE(defaults) {
  ListQuery q;
  BOOST_TEST(Parse("", Tenant("t1"), &q).ok());
  BOOST_TEST((q.sort == std::vector<SortKey>{{"created_at", false}}));
  BOOST_TEST(q.limit == 25);
  BOOST_TEST(!q.marker);
  BOOST_TEST(!q.ShowsDeleted());
}

BOOST_AUTO_TEST_CASE(filters_are_parsed) {
  ListQuery q;
  BOOST_TEST(Parse("name=a+b&status=active&disk_format=raw&container_format=bare&size_min=1&"
                   "size_max=10&min_ram=2&min_disk=3&protected=TRUE&property-os_distro=ubuntu&"
                   "property-x%20y=%27z&changes-since=2026-01-01T00:00:00Z&unknown=1",
                   Tenant("t1"), &q)
                 .ok());
  BOOST_TEST(q.equals.at("name") == "a b");
  BOOST_TEST(q.equals.at("status") == "active");
  BOOST_TEST(q.size_min.value() == 1);
  BOOST_TEST(q.size_max.value() == 10);
  BOOST_TEST(q.min_ram.value() == 2);
  BOOST_TEST(q.min_disk.value() == 3);
  BOOST_TEST(q.is_protected.value());
  BOOST_TEST(q.properties.at("os_distro") == "ubuntu");
  BOOST_TEST(q.properties.at("x y") == "'z");
  BOOST_TEST(q.changes_since.value() == "2026-01-01 00:00:00.000000");
  BOOST_TEST(q.ShowsDeleted());
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused_with_spec_messages) {
  ListQuery q;
  auto message = [&](const std::string& qs) {
    Status s = Parse(qs, Tenant("t1"), &q);
    BOOST_TEST(s.HttpStatus() == 400);
    return s.message();
  };
  BOOST_TEST(message("size_min=-1") == "Bad value passed to filter size_min got -1");
  BOOST_TEST(message("size_max=abc") == "Bad value passed to filter size_max got abc");
  BOOST_TEST(message("min_disk=x") == "Bad value passed to filter min_disk got x");
  BOOST_TEST(message("min_ram=-5") == "Bad value passed to filter min_ram got -5");
  // Upstream's API text for booleans, for every caller (glance/api/v1/filters.py).
  BOOST_TEST(message("protected=maybe") == "Bad value passed to filter protected got maybe");
  BOOST_TEST(message("is_public=imalittleteapot") ==
             "Bad value passed to filter is_public got imalittleteapot");
  BOOST_TEST(message("is_public=") == "Bad value passed to filter is_public got ");
  // "none" passes upstream's API, then its registry refuses it.
  BOOST_TEST(message("protected=None") == "protected must be True, or False");
  BOOST_TEST(message("changes-since=soon") == "Unrecognized changes-since value");
  BOOST_TEST(message("sort_key=owner").rfind("Unsupported sort_key", 0) == 0);
  BOOST_TEST(message("sort_dir=up").rfind("Unsupported sort_dir", 0) == 0);
  BOOST_TEST(message("limit=ten") == "limit param must be an integer");
  BOOST_TEST(message("limit=-1") == "limit param must be positive");
  BOOST_TEST(message("marker=1") == "Invalid marker format");
  BOOST_TEST(message("name=%ff") != "");
  BOOST_TEST(message("name=a%00b") != "");
  BOOST_TEST(message("name=%zz") == "Malformed query string.");
}

BOOST_AUTO_TEST_CASE(limits_are_clamped) {
  ListQuery q;
  BOOST_TEST(Parse("limit=5000", Tenant("t1"), &q).ok());
  BOOST_TEST(q.limit == 1000);
  BOOST_TEST(Parse("limit=99999999999999999999999", Tenant("t1"), &q).ok());
  BOOST_TEST(q.limit == 1000);
  BOOST_TEST(Parse("limit=0", Tenant("t1"), &q).ok());
  BOOST_TEST(q.limit == 0);
}

BOOST_AUTO_TEST_CASE(is_public_and_deleted_are_admin_only) {
  ListQuery q;
  BOOST_TEST(Parse("is_public=none&deleted=true", Tenant("t1"), &q).ok());
  BOOST_TEST((q.visibility == PublicSelector::kVisibleToOwner));
  BOOST_TEST(!q.deleted);
  BOOST_TEST(Parse("is_public=none&deleted=true", Admin(), &q).ok());
  BOOST_TEST((q.visibility == PublicSelector::kAll));
  BOOST_TEST(q.deleted.value());
  BOOST_TEST(Parse("is_public=False", Admin(), &q).ok());
  BOOST_TEST((q.visibility == PublicSelector::kPrivateOnly));
  BOOST_TEST(Parse("is_public=bogus", Admin(), &q).message() ==
             "Bad value passed to filter is_public got bogus");
  BOOST_TEST(Parse("is_public=NONE", Tenant("t1"), &q).ok());
}

namespace {

std::string PropertyFilters(size_t count, size_t first = 0) {
  std::string qs;
  for (size_t i = first; i < first + count; ++i) {
    qs += (qs.empty() ? "" : "&") + std::string("property-k") + std::to_string(i) + "=v";
  }
  return qs;
}

}  // namespace

BOOST_AUTO_TEST_CASE(property_filters_are_bounded) {
  ListQuery q;
  BOOST_TEST(Parse(PropertyFilters(kMaxPropertyFilters), Tenant("t1"), &q).ok());
  BOOST_TEST(q.properties.size() == kMaxPropertyFilters);
  Status s = Parse(PropertyFilters(kMaxPropertyFilters + 1), Tenant("t1"), &q);
  BOOST_TEST(s.HttpStatus() == 400);
  BOOST_TEST(s.message() == "Too many property filters: at most 256");
  // The same key again is the same filter (the last value wins), not one more.
  BOOST_TEST(Parse(PropertyFilters(kMaxPropertyFilters) + "&property-k0=w", Tenant("t1"), &q).ok());
  BOOST_TEST(q.properties.at("k0") == "w");
}

BOOST_AUTO_TEST_CASE(sql_of_property_filters) {
  ListQuery q;
  // A few: one EXISTS each.
  BOOST_TEST(Parse(PropertyFilters(8), Tenant("t1"), &q).ok());
  SqlText few = BuildListSql(q, Tenant("t1"), "i.id");
  BOOST_TEST(few.params.size() == 2u + 16u);
  size_t exists = 0;
  for (size_t at = few.text.find("image_properties pf"); at != std::string::npos;
       at = few.text.find("image_properties pf", at + 1)) {
    ++exists;
  }
  BOOST_TEST(exists == 8u);
  // More: one subquery counting the matching pairs, whatever their number.
  for (size_t n : {9u, 200u, 256u}) {
    BOOST_TEST(Parse(PropertyFilters(n), Tenant("t1"), &q).ok());
    SqlText many = BuildListSql(q, Tenant("t1"), "i.id");
    BOOST_TEST(many.params.size() == 2u + 2 * n);
    BOOST_TEST(many.text.find("image_properties pf") == many.text.rfind("image_properties pf"));
    BOOST_TEST(many.text.find("md5(pf.value) = md5(f.value) AND pf.value = f.value") !=
               std::string::npos);
    BOOST_TEST(many.text.find("HAVING count(*) = " + std::to_string(n) + ")") !=
               std::string::npos);
    BOOST_TEST(many.text.find("=v") == std::string::npos);
    // Only the number of filters shapes the text, never their keys or values.
    ListQuery other;
    BOOST_TEST(Parse(PropertyFilters(n, 1000), Tenant("t1"), &other).ok());
    BOOST_TEST(BuildListSql(other, Tenant("t1"), "i.id").text == many.text);
  }
}

BOOST_AUTO_TEST_CASE(sql_binds_every_client_value) {
  ListQuery q;
  BOOST_TEST(Parse("name=x';DROP TABLE images;--&property-k%27=v%25&sort_key=name&sort_dir=asc&"
                   "marker=0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab&limit=7",
                   Tenant("t'1"), &q)
                 .ok());
  SqlText sql = BuildListSql(q, Tenant("t'1"), "i.id");
  BOOST_TEST(sql.text.find("DROP") == std::string::npos);
  BOOST_TEST(sql.text.find("t'1") == std::string::npos);
  BOOST_TEST(sql.text.find("v%") == std::string::npos);
  BOOST_TEST(sql.text.find(" LIKE ") == std::string::npos);
  BOOST_TEST(sql.params.size() == 6u);  // owner x2, name, property key+value, marker
  BOOST_TEST(sql.params.at(2) == "x';DROP TABLE images;--");
  BOOST_TEST(sql.text.find("ORDER BY coalesce(i.name, '') ASC, i.created_at ASC, i.id ASC") !=
             std::string::npos);
  BOOST_TEST(sql.text.find("(coalesce(i.name, ''), i.created_at, i.id) > (SELECT "
                           "coalesce(mk.name, ''), mk.created_at, mk.id FROM images mk WHERE "
                           "mk.id = :p5)") != std::string::npos);
  BOOST_TEST(sql.text.find("LIMIT 7") != std::string::npos);
  BOOST_TEST(sql.text.find("NOT i.deleted") != std::string::npos);
  BOOST_TEST(sql.text.find("i.status <> 'killed'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sql_visibility_by_context) {
  ListQuery q;
  RequestContext anonymous;
  BOOST_TEST(BuildListSql(q, anonymous, "i.id").text.find("WHERE i.visibility = 'public' AND") !=
             std::string::npos);
  q.visibility = PublicSelector::kAll;
  BOOST_TEST(BuildListSql(q, Admin(), "i.id").text.find("visibility") == std::string::npos);
  q.visibility = PublicSelector::kPrivateOnly;
  BOOST_TEST(BuildListSql(q, Admin(), "i.id").text.find("i.visibility <> 'public'") !=
             std::string::npos);
  q.visibility = PublicSelector::kVisibleToOwner;
  q.sort = {{"created_at", false}};
  SqlText own = BuildListSql(q, Tenant("t1"), "i.id");
  BOOST_TEST(own.text.find("image_members") != std::string::npos);
  BOOST_TEST(own.text.find("ORDER BY i.created_at DESC, i.id DESC") != std::string::npos);
  q.changes_since = "2026-01-01 00:00:00.000000";
  SqlText changed = BuildListSql(q, Tenant("t1"), "i.id");
  BOOST_TEST(changed.text.find("NOT i.deleted") == std::string::npos);
  BOOST_TEST(changed.text.find("updated_at >") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
