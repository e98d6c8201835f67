// Registry listing with many property filters (spec §7.1, issue 10): the
// same "every property with exactly its value" meaning with one filter or
// hundreds, and a 400 beyond the limit.
#include <set>

#include <boost/test/unit_test.hpp>

#include "glance/image/list_query.h"
#include "registry_fixture.h"

using namespace it;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::set<std::string> Listed(const Api& api, const Headers& h, Params params) {
  params.emplace_back("limit", "1000");
  auto ids = Ids(ListDetail(api, h, Query(params)));
  return {ids.begin(), ids.end()};
}

// property-tag=<tag> and property-p0..p<count-1>=v.
Params Filters(const std::string& tag, int count) {
  Params params{{"property-tag", tag}};
  for (int i = 0; i < count; ++i) params.emplace_back("property-p" + std::to_string(i), "v");
  return params;
}

json Props(const std::string& tag, int count) {
  json props = {{"tag", tag}};
  for (int i = 0; i < count; ++i) props["p" + std::to_string(i)] = "v";
  return props;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_property_filters, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(many_filters_mean_every_property_with_its_value) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-pf"));
  std::string tag = Unique("tag");
  auto create = [&](const json& props) {
    return S(CreateImage(api, h, {{"name", "pf"}, {"properties", props}}), "id");
  };
  json other_value = Props(tag, 10);
  other_value["p9"] = "w";
  json extra = Props(tag, 10);
  extra["p10"] = "more";
  std::string all = create(Props(tag, 10));
  std::string differs = create(other_value);
  std::string fewer = create(Props(tag, 9));
  std::string more = create(extra);

  // 11 filters: the counting form (more than 8).
  BOOST_TEST(Listed(api, h, Filters(tag, 10)) == (std::set<std::string>{all, more}));
  Params p9w = Filters(tag, 9);
  p9w.emplace_back("property-p9", "w");
  BOOST_TEST(Listed(api, h, p9w) == std::set<std::string>{differs});
  Params missing = Filters(tag, 10);
  missing.emplace_back("property-nowhere", "v");
  BOOST_TEST(Listed(api, h, missing).empty());
  Params upper = Filters(tag, 9);
  upper.emplace_back("property-p9", "V");
  BOOST_TEST(Listed(api, h, upper).empty());
  // The same key twice is one filter: the last value wins, as upstream.
  Params twice = Filters(tag, 10);
  twice.emplace_back("property-p9", "w");
  BOOST_TEST(Listed(api, h, twice) == std::set<std::string>{differs});
  // Both forms agree: 8 filters are one EXISTS each, 10 are counted.
  BOOST_TEST(Listed(api, h, Filters(tag, 7)) == (std::set<std::string>{all, differs, fewer, more}));
  BOOST_TEST(Listed(api, h, Filters(tag, 9)) == (std::set<std::string>{all, differs, fewer, more}));

  // A property removed by purge no longer matches.
  json kept = Props(tag, 9);
  Response r = api.PutJson("/images/" + all, With(h, "X-Glance-Registry-Purge-Props", "true"), {{"image", {{"properties", kept}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(Listed(api, h, Filters(tag, 10)) == std::set<std::string>{more});
}

BOOST_AUTO_TEST_CASE(long_values_are_matched_exactly) {
  // Longer than a btree entry may be (about 2,700 bytes): the index holds
  // md5(value).  (Not much longer: the registry takes URIs up to 8 KiB.)
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-pf"));
  std::string tag = Unique("tag");
  std::string long_value(5000, 'x');
  json props = Props(tag, 9);
  props["long"] = long_value;
  std::string id = S(CreateImage(api, h, {{"name", "pf-long"}, {"properties", props}}), "id");
  Params params = Filters(tag, 9);
  params.emplace_back("property-long", long_value);
  BOOST_TEST(Listed(api, h, params) == std::set<std::string>{id});
  params.back().second = long_value + "y";
  BOOST_TEST(Listed(api, h, params).empty());
}

BOOST_AUTO_TEST_CASE(more_than_the_limit_is_400) {
  Api api = Shared().api();
  Headers h = ForTenant(Unique("t-pf"));
  std::string tag = Unique("tag");
  std::string id = S(CreateImage(api, h, {{"name", "pf-limit"}, {"properties", Props(tag, 10)}}), "id");
  const int limit = static_cast<int>(glance::kMaxPropertyFilters);
  Params at_limit = Filters(tag, 10);
  for (int i = 0; static_cast<int>(at_limit.size()) < limit; ++i) {
    at_limit.emplace_back("property-absent" + std::to_string(i), "v");
  }
  Response ok = api.Get("/images/detail" + Query(at_limit), h);
  BOOST_TEST(ok.status == 200, ok.Describe());
  BOOST_TEST(Listed(api, h, Filters(tag, 10)) == std::set<std::string>{id});

  Params over = at_limit;
  over.emplace_back("property-one-more", "v");
  for (const char* path : {"/images/detail", "/images"}) {
    Response r = api.Get(path + Query(over), h);
    BOOST_TEST(r.status == 400, path << ": " << r.Describe());
    BOOST_TEST(r.body.find("Too many property filters: at most 256") != std::string::npos, r.body);
  }
}

BOOST_AUTO_TEST_SUITE_END()
