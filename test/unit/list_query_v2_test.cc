// ParseV2ListQuery and V2ListLink (v2 contract §4.2).
#include <boost/test/unit_test.hpp>

#include "glance/image/list_query.h"

using namespace glance;

namespace {

RequestContext Tenant(const std::string& owner) {
  RequestContext c;
  c.tenant = owner;
  c.owner = owner;
  return c;
}

Status Parse(const std::string& qs, ListQuery* q, ListLimits limits = ListLimits()) {
  QueryParams params;
  Status s = ParseQueryString(qs, &params);
  if (!s.ok()) return s;
  return ParseV2ListQuery(params, Tenant("t1"), limits, q);
}

// The 400 message of a query that must fail.
std::string Refusal(const std::string& qs) {
  ListQuery q;
  Status s = Parse(qs, &q);
  BOOST_TEST(s.HttpStatus() == 400, qs);
  return s.message();
}

using Keys = std::vector<SortKey>;

}  // namespace

BOOST_AUTO_TEST_SUITE(list_query_v2)

BOOST_AUTO_TEST_CASE(defaults) {
  ListQuery q;
  BOOST_TEST(Parse("", &q).ok());
  BOOST_TEST((q.api == ListApi::kV2));
  BOOST_TEST((q.sort == Keys{{"created_at", false}}));
  BOOST_TEST(q.limit == 25);
  BOOST_TEST(!q.marker);
  BOOST_TEST(q.os_hidden.value() == false);  // hidden images are not listed unless asked
  BOOST_TEST((q.v2_visibility == VisibilitySelector::kDefault));
  BOOST_TEST((q.member_status == MemberStatus::kAccepted));
  BOOST_TEST(!q.ShowsDeleted());
  BOOST_TEST(q.equals.empty());
  BOOST_TEST(q.properties.empty());
}

BOOST_AUTO_TEST_CASE(limit_and_marker) {
  ListQuery q;
  ListLimits limits;
  limits.limit_param_default = 7;
  limits.api_limit_max = 50;
  BOOST_TEST(Parse("", &q, limits).ok());
  BOOST_TEST(q.limit == 7);
  BOOST_TEST(Parse("limit=500", &q, limits).ok());
  BOOST_TEST(q.limit == 50);
  BOOST_TEST(Parse("limit=99999999999999999999999", &q, limits).ok());
  BOOST_TEST(q.limit == 50);
  BOOST_TEST(Parse("limit=0", &q).ok());
  BOOST_TEST(q.limit == 0);
  BOOST_TEST(Refusal("limit=ten") == "limit param must be an integer");
  BOOST_TEST(Refusal("limit=1.5") == "limit param must be an integer");
  BOOST_TEST(Refusal("limit=") == "limit param must be an integer");
  BOOST_TEST(Refusal("limit=-1") == "limit param must be positive");
  BOOST_TEST(Parse("marker=0DDF0A3E-6B3B-4B6F-9C8E-1234567890AB", &q).ok());
  BOOST_TEST(q.marker.value() == "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab");
  BOOST_TEST(Refusal("marker=nope") == "Invalid marker format");
}

BOOST_AUTO_TEST_CASE(sort_syntaxes) {
  ListQuery q;
  BOOST_TEST(Parse("sort=name:asc,size", &q).ok());
  BOOST_TEST((q.sort == Keys{{"name", true}, {"size", false}}));
  BOOST_TEST(Parse("sort=%20name%20:%20asc%20,%20status:desc", &q).ok());
  BOOST_TEST((q.sort == Keys{{"name", true}, {"status", false}}));
  BOOST_TEST(Parse("sort=name:", &q).ok());
  BOOST_TEST((q.sort == Keys{{"name", false}}));
  // Classic: no dir is desc; one dir applies to every key; else one each.
  BOOST_TEST(Parse("sort_key=name&sort_key=size", &q).ok());
  BOOST_TEST((q.sort == Keys{{"name", false}, {"size", false}}));
  BOOST_TEST(Parse("sort_key=name&sort_key=size&sort_dir=asc", &q).ok());
  BOOST_TEST((q.sort == Keys{{"name", true}, {"size", true}}));
  BOOST_TEST(Parse("sort_key=name&sort_dir=asc&sort_key=size&sort_dir=desc", &q).ok());
  BOOST_TEST((q.sort == Keys{{"name", true}, {"size", false}}));
  BOOST_TEST(Parse("sort_dir=asc", &q).ok());
  BOOST_TEST((q.sort == Keys{{"created_at", true}}));

  BOOST_TEST(Refusal("sort=name&sort_key=size") == "Old and new sorting syntax cannot be combined");
  BOOST_TEST(Refusal("sort=name&sort_dir=asc") == "Old and new sorting syntax cannot be combined");
  BOOST_TEST(Refusal("sort=min_ram").rfind("Invalid sort key: min_ram. It must be one of", 0) == 0);
  BOOST_TEST(Refusal("sort=").rfind("Invalid sort key: . ", 0) == 0);
  BOOST_TEST(Refusal("sort=name,").rfind("Invalid sort key", 0) == 0);
  BOOST_TEST(Refusal("sort_key=owner").rfind("Invalid sort key: owner", 0) == 0);
  BOOST_TEST(Refusal("sort=name:up") == "Invalid sort direction: up");
  BOOST_TEST(Refusal("sort=name:asc:desc") == "Invalid sort direction: asc:desc");
  BOOST_TEST(Refusal("sort=name:%20,size") == "Invalid sort direction: ");
  BOOST_TEST(Refusal("sort_key=name&sort_dir=sideways") == "Invalid sort direction: sideways");
  BOOST_TEST(Refusal("sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc") ==
             "Number of sort dirs does not match the number of sort keys");
  BOOST_TEST(Refusal("sort_dir=asc&sort_dir=desc") ==
             "Number of sort dirs does not match the number of sort keys");
}

BOOST_AUTO_TEST_CASE(order_keys_add_tie_breakers_in_the_first_direction) {
  BOOST_TEST((OrderKeys({{"created_at", false}}) == Keys{{"created_at", false}, {"id", false}}));
  BOOST_TEST((OrderKeys({{"name", true}}) ==
              Keys{{"name", true}, {"created_at", true}, {"id", true}}));
  BOOST_TEST((OrderKeys({{"name", true}, {"size", false}}) ==
              Keys{{"name", true}, {"size", false}, {"created_at", true}, {"id", true}}));
  BOOST_TEST((OrderKeys({{"size", false}, {"created_at", true}}) ==
              Keys{{"size", false}, {"created_at", true}, {"id", false}}));
  // id is unique: nothing after it orders anything.
  BOOST_TEST((OrderKeys({{"id", true}}) == Keys{{"id", true}}));
  BOOST_TEST((OrderKeys({{"name", false}, {"id", true}, {"size", true}}) ==
              Keys{{"name", false}, {"id", true}}));
  // A repeated key adds nothing (its first direction stands).
  BOOST_TEST((OrderKeys({{"name", true}, {"name", false}}) ==
              Keys{{"name", true}, {"created_at", true}, {"id", true}}));
}

BOOST_AUTO_TEST_CASE(operator_filters) {
  ListQuery q;
  BOOST_TEST(Parse("name=plain&status=eq:active&disk_format=in:raw,qcow2&"
                   "container_format=in:%22a,b%22,c&id=in:",
                   &q)
                 .ok());
  BOOST_TEST(q.equals.at("name") == "plain");
  BOOST_TEST(q.equals.at("status") == "active");
  BOOST_TEST((q.in_lists.at("disk_format") == std::vector<std::string>{"raw", "qcow2"}));
  BOOST_TEST((q.in_lists.at("container_format") == std::vector<std::string>{"a,b", "c"}));
  BOOST_TEST(q.in_lists.at("id").empty());
  // A value with ':' needs eq:, unless the whole value is an ISO time.
  BOOST_TEST(Parse("name=eq:a:b", &q).ok());
  BOOST_TEST(q.equals.at("name") == "a:b");
  BOOST_TEST(Parse("name=2026-01-02T03:04:05Z", &q).ok());
  BOOST_TEST(q.equals.at("name") == "2026-01-02T03:04:05Z");
  BOOST_TEST(Refusal("name=a:b") == "Unable to filter by unknown operator 'a'.");
  BOOST_TEST(Refusal("status=neq:active") == "Unable to filter by unknown operator 'neq'.");
  // in: as upstream's split_filter_value_for_quotes reads it.
  BOOST_TEST(Parse("name=in:a,,b,", &q).ok());
  BOOST_TEST((q.in_lists.at("name") == std::vector<std::string>{"a", "", "b"}));
  BOOST_TEST(Parse("name=in:%22x%5C%22y%22,%22%22", &q).ok());  // "x\"y",""
  BOOST_TEST((q.in_lists.at("name") == std::vector<std::string>{"x\\\"y", ""}));
  BOOST_TEST(Refusal("name=in:a%22b%22").find("no comma before opening quotation mark") !=
             std::string::npos);
  BOOST_TEST(Refusal("name=in:%22a%22b").find("no comma after closing quotation mark") !=
             std::string::npos);
  BOOST_TEST(Refusal("name=in:%22a").find("The quote is not closed") != std::string::npos);
  // The last of a repeated filter wins, in: or not.
  BOOST_TEST(Parse("name=in:a,b&name=c", &q).ok());
  BOOST_TEST(q.equals.at("name") == "c");
  BOOST_TEST(!q.in_lists.count("name"));
  std::string many = "name=in:";
  for (size_t i = 0; i <= kMaxInValues; ++i) many += "v,";
  BOOST_TEST(Refusal(many) == "Too many values in filter name: at most 1000");
}

BOOST_AUTO_TEST_CASE(time_filters) {
  ListQuery q;
  BOOST_TEST(Parse("created_at=gt:2026-01-02T03:04:05Z&updated_at=lte:2026-01-02T05:04:05%2B02:00",
                   &q)
                 .ok());
  BOOST_TEST(q.time_filters.size() == 2u);
  for (const TimeFilter& f : q.time_filters) {
    if (f.column == "created_at") {
      BOOST_TEST((f == TimeFilter{"created_at", CompareOp::kGt, "2026-01-02 03:04:05.000000"}));
    } else {
      BOOST_TEST((f == TimeFilter{"updated_at", CompareOp::kLte, "2026-01-02 03:04:05.000000"}));
    }
  }
  // No operator: eq.
  BOOST_TEST(Parse("created_at=2026-01-02T03:04:05.5Z", &q).ok());
  BOOST_TEST((q.time_filters.at(0) ==
              TimeFilter{"created_at", CompareOp::kEq, "2026-01-02 03:04:05.500000"}));
  for (const char* op : {"eq", "neq", "gt", "gte", "lt", "lte"}) {
    BOOST_TEST(Parse(std::string("updated_at=") + op + ":2026-01-02", &q).ok());
  }
  BOOST_TEST(Refusal("created_at=gt:yesterday") ==
             "Bad \"created_at\" query filter format. Use ISO 8601 DateTime notation.");
  BOOST_TEST(Refusal("updated_at=soon") ==
             "Bad \"updated_at\" query filter format. Use ISO 8601 DateTime notation.");
  BOOST_TEST(Refusal("created_at=after:2026-01-02T03:04:05Z") ==
             "Unable to filter by unknown operator 'after'.");
  BOOST_TEST(Refusal("changes-since=2026-01-01T00:00:00Z") ==
             "The \"changes-since\" filter is no longer available on v2.");
}

BOOST_AUTO_TEST_CASE(visibility_and_member_status) {
  ListQuery q;
  const std::pair<const char*, VisibilitySelector> visibilities[] = {
      {"public", VisibilitySelector::kPublic}, {"private", VisibilitySelector::kPrivate},
      {"shared", VisibilitySelector::kShared}, {"community", VisibilitySelector::kCommunity},
      {"all", VisibilitySelector::kAll}};
  for (const auto& [name, selector] : visibilities) {
    BOOST_TEST(Parse(std::string("visibility=") + name, &q).ok());
    BOOST_TEST((q.v2_visibility == selector));
  }
  const std::pair<const char*, MemberStatus> statuses[] = {
      {"accepted", MemberStatus::kAccepted}, {"pending", MemberStatus::kPending},
      {"rejected", MemberStatus::kRejected}, {"all", MemberStatus::kAll}};
  for (const auto& [name, status] : statuses) {
    BOOST_TEST(Parse(std::string("member_status=") + name, &q).ok());
    BOOST_TEST((q.member_status == status));
  }
  BOOST_TEST(Refusal("visibility=hidden") == "Invalid visibility value: hidden");
  BOOST_TEST(Refusal("visibility=Public") == "Invalid visibility value: Public");
  BOOST_TEST(Refusal("visibility=") == "Invalid visibility value: ");
  BOOST_TEST(Refusal("member_status=maybe") == "Invalid status: maybe");
}

BOOST_AUTO_TEST_CASE(sizes_and_minimums_no_image_can_have_are_400) {
  BOOST_TEST(Refusal("size_max=-3") == "Unable to filter on a range with a non-numeric value.");
  BOOST_TEST(Refusal("size=-1") == "Invalid value for filter size: -1 is out of range.");
  BOOST_TEST(Refusal("min_ram=2147483648") ==
             "Invalid value for filter min_ram: 2147483648 is out of range.");
  BOOST_TEST(Refusal("min_disk=-1") == "Invalid value for filter min_disk: -1 is out of range.");
  ListQuery q;
  BOOST_TEST(Parse("min_ram=2147483647", &q).ok());
}

BOOST_AUTO_TEST_CASE(exact_filters_and_properties) {
  ListQuery q;
  BOOST_TEST(Parse("checksum=abc&os_hash_value=def&os_hash_algo=sha512&owner=p2&min_ram=512&"
                   "min_disk=0&size=10&virtual_size=20&size_min=1&size_max=3&protected=true&"
                   "os_hidden=TRUE&color=red&is_public=true&property-x=y&deleted=true",
                   &q)
                 .ok());
  BOOST_TEST(q.equals.at("checksum") == "abc");
  BOOST_TEST(q.equals.at("os_hash_value") == "def");
  BOOST_TEST(q.equals.at("os_hash_algo") == "sha512");
  BOOST_TEST(q.equals.at("owner") == "p2");
  BOOST_TEST(q.min_ram.value() == 512);
  BOOST_TEST(q.min_disk.value() == 0);
  BOOST_TEST(q.int_equals.at("size") == 10);
  BOOST_TEST(q.int_equals.at("virtual_size") == 20);
  BOOST_TEST(q.size_min.value() == 1);
  BOOST_TEST(q.size_max.value() == 3);
  BOOST_TEST(q.is_protected.value());
  BOOST_TEST(q.os_hidden.value());
  // Any other key is a custom property, v1's names included.
  BOOST_TEST(q.properties.size() == 3u);
  BOOST_TEST(q.properties.at("color") == "red");
  BOOST_TEST(q.properties.at("is_public") == "true");
  BOOST_TEST(q.properties.at("property-x") == "y");
  BOOST_TEST(!q.deleted);  // v2 never lists deleted images
  BOOST_TEST(!q.ShowsDeleted());
  BOOST_TEST(Parse("os_hidden=false&protected=false", &q).ok());
  BOOST_TEST(!q.os_hidden.value());
  BOOST_TEST(!q.is_protected.value());

  BOOST_TEST(Refusal("protected=yes") ==
             "Invalid value 'yes' for 'protected' filter. Valid values are 'true' or 'false'.");
  BOOST_TEST(Refusal("protected=True") ==
             "Invalid value 'True' for 'protected' filter. Valid values are 'true' or 'false'.");
  BOOST_TEST(Refusal("os_hidden=1") ==
             "Invalid value '1' for 'os_hidden' filter. Valid values are 'true' or 'false'.");
  BOOST_TEST(Refusal("size_min=big") == "Unable to filter on a range with a non-numeric value.");
  BOOST_TEST(Refusal("size_max=1.0") == "Unable to filter on a range with a non-numeric value.");
  BOOST_TEST(Refusal("min_ram=lots") ==
             "Invalid value 'lots' for 'min_ram' filter. An integer is required.");
  BOOST_TEST(Refusal("virtual_size=") ==
             "Invalid value '' for 'virtual_size' filter. An integer is required.");
  BOOST_TEST(Refusal("color=%ff") != "");
  BOOST_TEST(Refusal("co%00lor=red") != "");
  BOOST_TEST(Refusal("name=a%01b") != "");
}

BOOST_AUTO_TEST_CASE(tags_and_property_bounds) {
  ListQuery q;
  BOOST_TEST(Parse("tag=x86&tag=%2064bit%20&tag=x86", &q).ok());
  BOOST_TEST((q.tags == std::vector<std::string>{"x86", "64bit"}));
  std::string tags, properties;
  for (size_t i = 0; i <= kMaxTagFilters; ++i) tags += "&tag=t" + std::to_string(i);
  BOOST_TEST(Refusal(tags.substr(1)) == "Too many tag filters: at most 256");
  for (size_t i = 0; i <= kMaxPropertyFilters; ++i) properties += "&k" + std::to_string(i) + "=v";
  BOOST_TEST(Refusal(properties.substr(1)) == "Too many property filters: at most 256");
  BOOST_TEST(Refusal("tag=a%00") != "");
}

BOOST_AUTO_TEST_CASE(links_keep_every_parameter_but_the_marker) {
  QueryParams params;
  BOOST_TEST(ParseQueryString("sort=name:asc&marker=0DDF0A3E-6b3b-4b6f-9c8e-000000000000&"
                              "tag=a&tag=b%20c&limit=2",
                              &params)
                 .ok());
  BOOST_TEST(V2ListLink(params, std::nullopt) ==
             "/v2/images?sort=name%3Aasc&tag=a&tag=b%20c&limit=2");
  BOOST_TEST(V2ListLink(params, std::string("0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab")) ==
             "/v2/images?sort=name%3Aasc&tag=a&tag=b%20c&limit=2&"
             "marker=0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab");
  BOOST_TEST(V2ListLink({}, std::nullopt) == "/v2/images");
  BOOST_TEST(V2ListLink({{"marker", "m0"}}, std::nullopt) == "/v2/images");
  BOOST_TEST(V2ListLink({{"marker", "m0"}}, std::string("m1")) == "/v2/images?marker=m1");
  BOOST_TEST(V2ListLink({{"name", "in:\"a,b\""}, {"k&=", "v&="}}, std::nullopt) ==
             "/v2/images?name=in%3A%22a%2Cb%22&k%26%3D=v%26%3D");
  // What the link says parses back to the same query.
  ListQuery direct, followed;
  BOOST_TEST(ParseV2ListQuery(params, Tenant("t1"), ListLimits(), &direct).ok());
  std::string link = V2ListLink(params, std::nullopt);
  QueryParams again;
  BOOST_TEST(ParseQueryString(link.substr(link.find('?') + 1), &again).ok());
  BOOST_TEST(ParseV2ListQuery(again, Tenant("t1"), ListLimits(), &followed).ok());
  BOOST_TEST((followed.sort == direct.sort));
  BOOST_TEST((followed.tags == direct.tags));
  BOOST_TEST(followed.limit == direct.limit);
}

BOOST_AUTO_TEST_SUITE_END()
