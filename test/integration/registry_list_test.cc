// Registry listing (spec §7, §16): filters, sorting, limit, marker
// pagination, deleted/killed exclusion, changes-since.
// Over 400 lines for a reason: the cases share the ordering and paging
// checks below (ExpectedOrder, Expect400).
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

const std::vector<std::string> kSortKeys = {"name", "status", "container_format", "disk_format",
                                            "size", "id", "created_at", "updated_at"};

std::set<std::string> IdSet(const std::vector<json>& images) {
  auto ids = Ids(images);
  return {ids.begin(), ids.end()};
}

std::set<std::string> SetOf(std::initializer_list<std::string> ids) { return ids; }

// Tagged list of one tenant: every image of the test carries property tag.
std::vector<json> Tagged(const Api& api, const Headers& h, const std::string& tag,
                         std::vector<std::pair<std::string, std::string>> params = {}) {
  params.emplace_back("property-tag", tag);
  params.emplace_back("limit", "1000");
  return ListDetail(api, h, Query(params));
}

// List of one tenant's images with the given (unique) name.
std::vector<json> Named(const Api& api, const Headers& h, const std::string& name,
                        std::vector<std::pair<std::string, std::string>> params = {}) {
  params.emplace_back("name", name);
  params.emplace_back("limit", "1000");
  return ListDetail(api, h, Query(params));
}

// "YYYY-MM-DDTHH:MM:SS.ffffff" shifted to the given UTC offset, written with
// that offset ("...+02:00"), denoting the same instant.
std::string WithOffset(const std::string& ts, int offset_minutes) {
  struct tm tm {};
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  char frac[16] = {0};
  if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%15s", &year, &mon, &day, &hour, &min, &sec, frac) < 6) {
    return ts;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  time_t t = timegm(&tm) + offset_minutes * 60;
  struct tm out {};
  gmtime_r(&t, &out);
  char buf[64];
  int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%s%c%02d:%02d", out.tm_year + 1900,
                out.tm_mon + 1, out.tm_mday, out.tm_hour, out.tm_min, out.tm_sec, frac,
                offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  return buf;
}

// Expected order: (sort_key, created_at, id), all in the same direction.
std::vector<std::string> ExpectedOrder(std::vector<json> images, const std::string& key, bool asc) {
  auto less = [&](const json& a, const json& b) {
    int c = 0;
    if (key == "size") {
      long long x = a["size"].get<long long>(), y = b["size"].get<long long>();
      c = x < y ? -1 : (x > y ? 1 : 0);
    } else {
      c = S(a, key).compare(S(b, key));
    }
    if (c == 0) c = S(a, "created_at").compare(S(b, "created_at"));
    if (c == 0) c = S(a, "id").compare(S(b, "id"));
    return asc ? c < 0 : c > 0;
  };
  std::sort(images.begin(), images.end(), less);
  return Ids(images);
}

Response Expect400(const Api& api, const Headers& h, const std::string& query, const std::string& text) {
  Response r = api.Get("/images/detail" + query, h);
  BOOST_TEST(r.status == 400, query << " -> " << r.Describe());
  if (!text.empty()) BOOST_TEST(r.body.find(text) != std::string::npos, query << ": body " << r.body);
  Response index = api.Get("/images" + query, h);
  BOOST_TEST(index.status == 400, "index " << query << " -> " << index.Describe());
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_list, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(default_order_is_created_at_desc) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    created.push_back(S(CreateImage(api, h, {{"name", "z" + std::to_string(i)}, {"properties", {{"tag", tag}}}}),
                        "id"));
  }
  std::reverse(created.begin(), created.end());
  BOOST_TEST(Ids(ListDetail(api, h, Query({{"property-tag", tag}}))) == created, boost::test_tools::per_element());
  BOOST_TEST(Ids(ListIndex(api, h, Query({{"property-tag", tag}}))) == created, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(marker_pagination_covers_every_sort_key_and_direction) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-page"));
  std::string tag = Unique("tag");
  const char* names[] = {"pg-alpha", "pg-beta", "pg-beta", "pg-gamma", "pg-beta"};
  const char* disks[] = {"raw", "qcow2", "iso"};
  const char* containers[] = {"bare", "ovf"};
  const char* statuses[] = {"active", "queued", "saving"};
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    json image = {{"name", names[i % 5]},
                  {"size", (i % 3) * 100},
                  {"disk_format", disks[(i / 2) % 3]},
                  {"container_format", containers[(i / 3) % 2]},
                  {"status", statuses[(i / 4) % 3]},
                  {"properties", {{"tag", tag}}}};
    ids.push_back(S(CreateImage(api, h, image), "id"));
  }
  // Make updated_at order differ from created_at order.
  for (int i = 0; i < 30; i += 4) {
    Response r = api.PutJson("/images/" + ids[i], h, {{"image", {{"min_ram", i}}}});
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  }

  std::vector<json> all = Tagged(api, h, tag);
  BOOST_REQUIRE_EQUAL(all.size(), 30u);
  BOOST_REQUIRE(IdSet(all).size() == 30u);

  for (const auto& key : kSortKeys) {
    for (bool asc : {true, false}) {
      std::string dir = asc ? "asc" : "desc";
      std::vector<std::string> expected = ExpectedOrder(all, key, asc);
      std::vector<std::string> got;
      std::string marker;
      bool ok = true;
      for (int page = 0; page < 10; ++page) {
        std::vector<std::pair<std::string, std::string>> params = {
            {"property-tag", tag}, {"sort_key", key}, {"sort_dir", dir}, {"limit", "7"}};
        if (!marker.empty()) params.emplace_back("marker", marker);
        Response r = api.Get("/images/detail" + Query(params), h);
        if (r.status != 200) {
          BOOST_ERROR(key << " " << dir << " page " << page << ": " << r.Describe());
          ok = false;
          break;
        }
        auto items = r.Json()["images"].get<std::vector<json>>();
        BOOST_TEST(items.size() <= 7u, key << " " << dir << " page size " << items.size());
        for (const auto& item : items) got.push_back(S(item, "id"));
        if (items.size() < 7u) break;
        marker = S(items.back(), "id");
      }
      if (!ok) continue;
      std::set<std::string> unique(got.begin(), got.end());
      BOOST_TEST(unique.size() == got.size(), key << " " << dir << ": duplicates across pages");
      BOOST_TEST(got.size() == 30u, key << " " << dir << ": got " << got.size() << " items");
      BOOST_TEST(got == expected, key << " " << dir << " order" << boost::test_tools::per_element());

      // The whole list in one request has the same order.
      auto one = Ids(Tagged(api, h, tag, {{"sort_key", key}, {"sort_dir", dir}}));
      BOOST_TEST(one == expected, key << " " << dir << " single page" << boost::test_tools::per_element());
    }
  }

  // The index pages the same way.
  std::vector<std::string> expected = ExpectedOrder(all, "name", true);
  std::vector<std::string> got;
  std::string marker;
  for (int page = 0; page < 10; ++page) {
    std::vector<std::pair<std::string, std::string>> params = {
        {"property-tag", tag}, {"sort_key", "name"}, {"sort_dir", "asc"}, {"limit", "7"}};
    if (!marker.empty()) params.emplace_back("marker", marker);
    auto items = ListIndex(api, h, Query(params));
    for (const auto& item : items) got.push_back(S(item, "id"));
    if (items.size() < 7u) break;
    marker = S(items.back(), "id");
  }
  BOOST_TEST(got == expected, boost::test_tools::per_element());

  // Default sort (created_at desc) equals the independently computed one.
  BOOST_TEST(Ids(Tagged(api, h, tag)) == ExpectedOrder(all, "created_at", false),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pagination_with_null_sort_values_is_consistent) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-null"));
  std::string tag = Unique("tag");
  for (int i = 0; i < 9; ++i) {
    json image = {{"properties", {{"tag", tag}}}};
    if (i % 3 != 0) image["name"] = "n" + std::to_string(i % 2);
    if (i % 2 == 0) image["size"] = i;
    if (i % 4 == 0) image["disk_format"] = "raw";
    if (i % 4 == 1) image["container_format"] = "bare";
    CreateImage(api, h, image);
  }
  for (const char* key : {"name", "size", "disk_format", "container_format"}) {
    for (const char* dir : {"asc", "desc"}) {
      auto whole = Ids(Tagged(api, h, tag, {{"sort_key", key}, {"sort_dir", dir}}));
      BOOST_REQUIRE_EQUAL(whole.size(), 9u);
      std::vector<std::string> paged;
      std::string marker;
      for (int page = 0; page < 12; ++page) {
        std::vector<std::pair<std::string, std::string>> params = {
            {"property-tag", tag}, {"sort_key", key}, {"sort_dir", dir}, {"limit", "2"}};
        if (!marker.empty()) params.emplace_back("marker", marker);
        Response r = api.Get("/images/detail" + Query(params), h);
        if (r.status != 200) {
          BOOST_ERROR(key << " " << dir << " page " << page << ": " << r.Describe());
          break;
        }
        auto items = r.Json()["images"].get<std::vector<json>>();
        for (const auto& item : items) paged.push_back(S(item, "id"));
        if (items.size() < 2u) break;
        marker = S(items.back(), "id");
      }
      BOOST_TEST(paged == whole, key << " " << dir << boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(marker_page_holds_items_strictly_after_marker) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  for (int i = 0; i < 6; ++i) CreateImage(api, h, {{"name", "same"}, {"size", 1}, {"properties", {{"tag", tag}}}});
  auto all = Ids(Tagged(api, h, tag, {{"sort_key", "name"}, {"sort_dir", "asc"}}));
  BOOST_REQUIRE_EQUAL(all.size(), 6u);
  for (size_t i = 0; i < all.size(); ++i) {
    auto after = Ids(Tagged(api, h, tag, {{"sort_key", "name"}, {"sort_dir", "asc"}, {"marker", all[i]}}));
    std::vector<std::string> expected(all.begin() + static_cast<long>(i) + 1, all.end());
    BOOST_TEST(after == expected, "after #" << i << boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(unsupported_sort_key_and_dir_are_400) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-list"));
  DbSnapshot before = env.Snapshot();
  for (const char* key : {"bogus", "owner", "NAME", "name;DROP TABLE images", "properties", ""}) {
    Expect400(api, h, Query({{"sort_key", key}}), "Unsupported sort_key");
  }
  for (const char* dir : {"up", "ASCENDING", "asc;", "", "1"}) {
    Expect400(api, h, Query({{"sort_dir", dir}}), "Unsupported sort_dir");
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(every_sort_key_is_accepted) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  for (const auto& key : kSortKeys) {
    for (const char* dir : {"asc", "desc"}) {
      Response r = api.Get("/images/detail" + Query({{"sort_key", key}, {"sort_dir", dir}}), h);
      BOOST_TEST(r.status == 200, key << " " << dir << ": " << r.Describe());
    }
  }
}

BOOST_AUTO_TEST_CASE(limit_default_zero_and_explicit) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  for (int i = 0; i < 27; ++i) CreateImage(api, h, {{"name", "l"}, {"properties", {{"tag", tag}}}});
  BOOST_TEST(ListDetail(api, h, Query({{"property-tag", tag}})).size() == 25u);
  BOOST_TEST(ListIndex(api, h, Query({{"property-tag", tag}})).size() == 25u);
  BOOST_TEST(ListDetail(api, h, Query({{"property-tag", tag}, {"limit", "0"}})).size() == 0u);
  BOOST_TEST(ListDetail(api, h, Query({{"property-tag", tag}, {"limit", "26"}})).size() == 26u);
  BOOST_TEST(ListDetail(api, h, Query({{"property-tag", tag}, {"limit", "1"}})).size() == 1u);
  BOOST_TEST(ListDetail(api, h, Query({{"property-tag", tag}, {"limit", "5000"}})).size() == 27u);
}

BOOST_AUTO_TEST_CASE(bad_limit_values_are_rejected) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-list"));
  DbSnapshot before = env.Snapshot();
  Expect400(api, h, Query({{"limit", "abc"}}), "limit param must be an integer");
  Expect400(api, h, Query({{"limit", "1.5"}}), "limit param must be an integer");
  Expect400(api, h, Query({{"limit", ""}}), "limit param must be an integer");
  Expect400(api, h, Query({{"limit", "-1"}}), "limit param must be positive");
  Expect400(api, h, Query({{"limit", "-99999999999"}}), "limit param must be positive");
  // Huge but numeric: clamped to api_limit_max (spec §20.5), never refused.
  for (const char* huge : {"99999999999999999999", "9223372036854775807", "9223372036854775808"}) {
    Response r = api.Get("/images/detail" + Query({{"limit", huge}}), h);
    BOOST_TEST(r.status == 200, "limit " << huge << ": " << r.Describe());
    if (r.status == 200) BOOST_TEST(r.Json()["images"].size() <= 1000u);
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(limit_follows_configured_default_and_max) {
  Env& env = Shared();
  RegistryConfig config;
  config.limit_param_default = 3;
  config.api_limit_max = 5;
  Api small = env.Extra("small-limits", config).api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  for (int i = 0; i < 8; ++i) CreateImage(env.api(), h, {{"name", "c"}, {"properties", {{"tag", tag}}}});
  BOOST_TEST(ListDetail(small, h, Query({{"property-tag", tag}})).size() == 3u);
  BOOST_TEST(ListDetail(small, h, Query({{"property-tag", tag}, {"limit", "4"}})).size() == 4u);
  BOOST_TEST(ListDetail(small, h, Query({{"property-tag", tag}, {"limit", "100"}})).size() == 5u);
  BOOST_TEST(ListIndex(small, h, Query({{"property-tag", tag}, {"limit", "100"}})).size() == 5u);
}

BOOST_AUTO_TEST_CASE(bad_markers_are_400) {
  Env& env = Shared();
  Api api = env.api();
  std::string tenant = Unique("t-list");
  Headers h = ForTenant(tenant);
  std::string foreign = S(CreateImage(api, ForTenant(Unique("t-other")), {{"name", "hidden"}}), "id");
  std::string deleted = S(CreateImage(api, h, {{"name", "del"}}), "id");
  BOOST_REQUIRE(api.Delete("/images/" + deleted, h).status == 200);
  DbSnapshot before = env.Snapshot();
  Expect400(api, h, Query({{"marker", "not-a-uuid"}}), "Invalid marker format");
  Expect400(api, h, Query({{"marker", "' OR 1=1 --"}}), "Invalid marker format");
  Expect400(api, h, Query({{"marker", RandomUuid()}}), "Invalid marker. Image could not be found.");
  Expect400(api, h, Query({{"marker", foreign}}), "Invalid marker. Image could not be found.");
  Expect400(api, h, Query({{"marker", deleted}}), "Invalid marker. Image could not be found.");
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(exact_text_filters) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  auto mk = [&](const char* name, const char* status, const char* disk, const char* container) {
    return S(CreateImage(api, h, {{"name", name}, {"status", status}, {"disk_format", disk},
                                  {"container_format", container}, {"properties", {{"tag", tag}}}}),
             "id");
  };
  std::string a = mk("f-one", "active", "raw", "bare");
  std::string b = mk("f-one-more", "queued", "qcow2", "ovf");
  std::string c = mk("F-ONE", "saving", "iso", "bare");
  std::string d = mk("f-one", "queued", "raw", "ovf");

  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"name", "f-one"}})) == SetOf({a, d}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"name", "F-ONE"}})) == SetOf({c}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"name", "f-on"}})).empty());
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"status", "queued"}})) == SetOf({b, d}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"disk_format", "raw"}})) == SetOf({a, d}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"container_format", "bare"}})) == SetOf({a, c}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"name", "f-one"}, {"container_format", "ovf"}})) == SetOf({d}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"name", "f-one"}, {"status", "saving"}})).empty());
  // The index applies the same filters.
  auto index = ListIndex(api, h, Query({{"property-tag", tag}, {"disk_format", "qcow2"}}));
  BOOST_TEST(IdSet(index) == SetOf({b}));
}

BOOST_AUTO_TEST_CASE(size_range_filters) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  std::vector<std::string> id;
  for (int size : {0, 10, 20, 30}) {
    id.push_back(S(CreateImage(api, h, {{"name", "s"}, {"size", size}, {"properties", {{"tag", tag}}}}), "id"));
  }
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"size_min", "10"}})) == SetOf({id[1], id[2], id[3]}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"size_max", "20"}})) == SetOf({id[0], id[1], id[2]}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"size_min", "10"}, {"size_max", "20"}})) == SetOf({id[1], id[2]}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"size_min", "0"}, {"size_max", "0"}})) == SetOf({id[0]}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"size_min", "31"}})).empty());

  DbSnapshot before = env.Snapshot();
  Expect400(api, h, Query({{"size_min", "-1"}}), "Bad value passed to filter size_min got -1");
  Expect400(api, h, Query({{"size_max", "-5"}}), "size_max");
  Expect400(api, h, Query({{"size_min", "abc"}}), "size_min");
  Expect400(api, h, Query({{"size_max", "1e3"}}), "size_max");
  Expect400(api, h, Query({{"size_min", "99999999999999999999"}}), "size_min");
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(min_ram_and_min_disk_filters) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  std::string a = S(CreateImage(api, h, {{"name", "r"}, {"min_ram", 512}, {"min_disk", 1},
                                         {"properties", {{"tag", tag}}}}), "id");
  std::string b = S(CreateImage(api, h, {{"name", "r"}, {"min_ram", 1024}, {"min_disk", 1},
                                         {"properties", {{"tag", tag}}}}), "id");
  std::string c = S(CreateImage(api, h, {{"name", "r"}, {"min_ram", 512}, {"min_disk", 20},
                                         {"properties", {{"tag", tag}}}}), "id");
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"min_ram", "512"}})) == SetOf({a, c}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"min_ram", "1024"}})) == SetOf({b}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"min_disk", "1"}})) == SetOf({a, b}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"min_disk", "20"}, {"min_ram", "512"}})) == SetOf({c}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"min_ram", "513"}})).empty());

  DbSnapshot before = env.Snapshot();
  Expect400(api, h, Query({{"min_ram", "-1"}}), "");
  Expect400(api, h, Query({{"min_ram", "abc"}}), "");
  Expect400(api, h, Query({{"min_disk", "-1"}}), "");
  Expect400(api, h, Query({{"min_disk", "big"}}), "");
  Expect400(api, h, Query({{"min_disk", "1.5"}}), "");
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(protected_filter) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  std::string p = S(CreateImage(api, h, {{"name", "p"}, {"protected", true}, {"properties", {{"tag", tag}}}}), "id");
  std::string u = S(CreateImage(api, h, {{"name", "u"}, {"protected", false}, {"properties", {{"tag", tag}}}}), "id");
  for (const char* t : {"true", "1", "TRUE", "True"}) BOOST_TEST(IdSet(Tagged(api, h, tag, {{"protected", t}})) == SetOf({p}), t);
  for (const char* f : {"false", "0", "FALSE"}) BOOST_TEST(IdSet(Tagged(api, h, tag, {{"protected", f}})) == SetOf({u}), f);
  DbSnapshot before = env.Snapshot();
  for (const char* bad : {"maybe", "yes", "2", ""}) Expect400(api, h, Query({{"protected", bad}}), "");
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(property_filters_are_anded) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  std::string a = S(CreateImage(api, h, {{"name", "a"}, {"properties", {{"tag", tag}, {"os", "linux"}, {"arch", "arm"}}}}), "id");
  std::string b = S(CreateImage(api, h, {{"name", "b"}, {"properties", {{"tag", tag}, {"os", "linux"}, {"arch", "x86"}}}}), "id");
  std::string c = S(CreateImage(api, h, {{"name", "c"}, {"properties", {{"tag", tag}, {"os", "bsd"}}}}), "id");
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"property-os", "linux"}})) == SetOf({a, b}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"property-os", "linux"}, {"property-arch", "x86"}})) == SetOf({b}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"property-os", "bsd"}, {"property-arch", "x86"}})).empty());
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"property-arch", "arm"}, {"name", "a"}})) == SetOf({a}));
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"property-missing", "x"}})).empty());
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"property-os", "LINUX"}})).empty());
  (void)c;

  // A property removed by purge no longer matches.
  Response r = api.PutJson("/images/" + a, With(h, "X-Glance-Registry-Purge-Props", "true"), {{"image", {{"properties", {{"tag", tag}}}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"property-os", "linux"}})) == SetOf({b}));
}

BOOST_AUTO_TEST_CASE(changes_since_includes_deleted_and_is_strict) {
  Env& env = Shared();
  Api api = env.api();
  Headers h = ForTenant(Unique("t-list"));
  // Scoped by a unique name: a deleted image loses its properties, so a
  // property filter would never match it.
  std::string name = Unique("cs");
  std::string first = S(CreateImage(api, h, {{"name", name}}), "id");
  std::string doomed = S(CreateImage(api, h, {{"name", name}}), "id");
  std::this_thread::sleep_for(30ms);
  json mark = CreateImage(api, h, {{"name", name}});
  std::string since = S(mark, "updated_at");
  std::this_thread::sleep_for(30ms);
  std::string later = S(CreateImage(api, h, {{"name", name}}), "id");
  BOOST_REQUIRE(api.Delete("/images/" + doomed, h).status == 200);

  // updated_at > since: `mark` itself is excluded (strict), the deleted one included.
  std::set<std::string> expected = {later, doomed};
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", since}})) == expected);
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", since + "Z"}})) == expected);
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", WithOffset(since, 0)}})) == expected);
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", WithOffset(since, 120)}})) == expected);
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", WithOffset(since, -330)}})) == expected);
  // Far in the past: everything, deleted included.
  std::set<std::string> all = {first, doomed, S(mark, "id"), later};
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", "2000-01-01T00:00:00Z"}})) == all);
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", "2000-01-01"}})) == all);
  // Far in the future: nothing.
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", "2999-01-01T00:00:00"}})).empty());
  // The deleted one is shown as deleted.
  for (const auto& image : Named(api, h, name, {{"changes-since", since}})) {
    if (S(image, "id") != doomed) continue;
    BOOST_TEST(S(image, "deleted") == "<true>");
    BOOST_TEST(S(image, "status") == "deleted");
  }

  DbSnapshot before = env.Snapshot();
  for (const char* bad : {"garbage", "2020-13-45T00:00:00", "yesterday", "", "2020-01-01T25:00:00",
                          "'; DROP TABLE images; --"}) {
    Expect400(api, h, Query({{"changes-since", bad}}), "Unrecognized changes-since value");
  }
  BOOST_TEST(env.Snapshot() == before);
}

BOOST_AUTO_TEST_CASE(deleted_and_killed_excluded_by_default) {
  Api api = Shared().api();
  std::string tenant = Unique("t-list");
  Headers h = ForTenant(tenant);
  std::string name = Unique("dk");  // (see changes_since_includes_deleted_and_is_strict)
  std::string active = S(CreateImage(api, h, {{"name", name}}), "id");
  std::string queued = S(CreateImage(api, h, {{"name", name}, {"status", "queued"}}), "id");
  std::string killed = S(CreateImage(api, h, {{"name", name}, {"status", "killed"}}), "id");
  std::string deleted = S(CreateImage(api, h, {{"name", name}}), "id");
  BOOST_REQUIRE(api.Delete("/images/" + deleted, h).status == 200);

  BOOST_TEST(IdSet(Named(api, h, name)) == SetOf({active, queued}));
  BOOST_TEST(IdSet(ListIndex(api, h, Query({{"name", name}}))) == SetOf({active, queued}));
  BOOST_TEST(IdSet(Named(api, h, name, {{"changes-since", "2000-01-01T00:00:00"}})) ==
             SetOf({active, queued, killed, deleted}));

  // Admin `deleted` filter (the admin's tenant is the owner, so the default
  // visibility covers this tenant's private images).
  Headers admin = Admin(tenant);
  auto only_deleted = IdSet(Named(api, admin, name, {{"deleted", "true"}}));
  BOOST_TEST(only_deleted.count(deleted) == 1u);
  BOOST_TEST(only_deleted.count(active) == 0u);
  auto not_deleted = IdSet(Named(api, admin, name, {{"deleted", "false"}}));
  BOOST_TEST(not_deleted.count(active) == 1u);
  BOOST_TEST(not_deleted.count(deleted) == 0u);
  // A non-admin's `deleted` filter does not reveal deleted images.
  BOOST_TEST(IdSet(Named(api, h, name, {{"deleted", "true"}})).count(deleted) == 0u);
}

BOOST_AUTO_TEST_CASE(index_and_detail_agree) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  for (int i = 0; i < 4; ++i) {
    CreateImage(api, h, {{"name", "x" + std::to_string(i % 2)}, {"size", i}, {"properties", {{"tag", tag}}}});
  }
  for (const char* key : {"name", "size", "created_at"}) {
    auto q = Query({{"property-tag", tag}, {"sort_key", key}});
    BOOST_TEST(Ids(ListIndex(api, h, q)) == Ids(ListDetail(api, h, q)), key << boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(unknown_parameters_are_ignored) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-list"));
  std::string tag = Unique("tag");
  std::string id = S(CreateImage(api, h, {{"name", "u"}, {"properties", {{"tag", tag}}}}), "id");
  BOOST_TEST(IdSet(Tagged(api, h, tag, {{"frobnicate", "1"}, {"owner", "nobody"}})).count(id) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
