// Spec §4.2, §6.1, §7: index and detail lists, filters, sorting, limit/marker
// pagination, parameter validation.  noauth is an admin without a tenant, so
// the default list shows public images only (§7.3); every query here is
// narrowed by a property unique to this run.
#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

namespace {

struct ListData {
  std::string tag;
  std::map<std::string, std::string> ids;  // letter → id
  std::string private_id;
  std::string error;
};

const ListData& Data() {
  static ListData data = [] {
    ListData d;
    d.tag = NewRunTag();
    Api api = NoAuthStack().api();
    struct Spec {
      std::string letter, disk, container;
      size_t size;
      Headers extra;
    };
    std::vector<Spec> specs{
        {"a", "raw", "bare", 10, {}},
        {"b", "qcow2", "bare", 30, {}},
        {"c", "qcow2", "ovf", 20, {{"x-image-meta-min_ram", "128"}}},
        {"d", "iso", "bare", 50, {{"x-image-meta-property-color", "red"}}},
        {"e", "raw", "bare", 40, {{"x-image-meta-property-color", "blue"}}},
    };
    for (const Spec& spec : specs) {
      Headers headers{{"x-image-meta-name", "e2e-list-" + d.tag + "-" + spec.letter},
                      {"x-image-meta-disk_format", spec.disk},
                      {"x-image-meta-container_format", spec.container},
                      {"x-image-meta-is_public", "True"},
                      {"x-image-meta-property-e2e_list", d.tag}};
      for (const auto& h : spec.extra) headers.push_back(h);
      Reply reply = api.Post("/v1/images", headers, RandomBytes(spec.size, spec.size));
      if (reply.status != 201) {
        d.error = "creating " + spec.letter + ": " + reply.Describe();
        return d;
      }
      d.ids[spec.letter] = reply.Json()["image"]["id"].get<std::string>();
    }
    Reply queued = api.Post("/v1/images",
                            {{"x-image-meta-name", "e2e-list-" + d.tag + "-queued"},
                             {"x-image-meta-is_public", "True"},
                             {"x-image-meta-property-e2e_list", d.tag}},
                            "", "");
    if (queued.status != 201) {
      d.error = "creating the queued image: " + queued.Describe();
      return d;
    }
    d.ids["queued"] = queued.Json()["image"]["id"].get<std::string>();
    Reply hidden = api.Post("/v1/images",
                            ImageHeaders("e2e-list-" + d.tag + "-private",
                                         {{"x-image-meta-property-e2e_list", d.tag}}),
                            "private");
    if (hidden.status != 201) {
      d.error = "creating the private image: " + hidden.Describe();
      return d;
    }
    d.private_id = hidden.Json()["image"]["id"].get<std::string>();
    return d;
  }();
  if (!data.error.empty()) throw std::runtime_error("list fixture: " + data.error);
  return data;
}

// GET path (plus the run's property filter); returns the images.
json List(const std::string& path, const std::string& query, Reply* out = nullptr) {
  const ListData& d = Data();
  std::string url = path + "?property-e2e_list=" + d.tag + (query.empty() ? "" : "&" + query);
  Reply reply = NoAuthStack().api().Get(url);
  if (out) *out = reply;
  if (reply.status != 200) throw std::runtime_error("GET " + url + ": " + reply.Describe());
  return reply.Json()["images"];
}

// Letters of the listed images, in order ("private" for the private one).
std::vector<std::string> Letters(const json& images) {
  const ListData& d = Data();
  std::vector<std::string> out;
  for (const auto& image : images) {
    std::string id = image["id"].get<std::string>();
    std::string letter = "?";
    for (const auto& [l, i] : d.ids) {
      if (i == id) letter = l;
    }
    if (id == d.private_id) letter = "private";
    out.push_back(letter);
  }
  return out;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

using V = std::vector<std::string>;

void ExpectBadQuery(const std::string& query, const std::string& message) {
  Reply reply = NoAuthStack().api().Get("/v1/images/detail?" + query);
  BOOST_TEST(reply.status == 400, query << ": " << reply.Describe());
  BOOST_TEST(reply.body.find(message) != std::string::npos, query << ": " << reply.body);
  Reply index = NoAuthStack().api().Get("/v1/images?" + query);
  BOOST_TEST(index.status == 400, query << " (index): " << index.Describe());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(list)

BOOST_AUTO_TEST_CASE(index_entries_have_exactly_the_index_fields) {
  Reply reply;
  json images = List("/v1/images", "", &reply);
  BOOST_TEST(reply.Header("Content-Type").find("application/json") != std::string::npos);
  BOOST_TEST_REQUIRE(images.size() == 6u, images.dump());
  for (const auto& image : images) {
    std::set<std::string> keys;
    for (const auto& item : image.items()) keys.insert(item.key());
    std::set<std::string> expected{"id", "name", "size", "disk_format", "container_format", "checksum"};
    BOOST_TEST((keys == expected), image.dump());
  }
}

BOOST_AUTO_TEST_CASE(detail_entries_have_the_detail_fields_and_no_location) {
  json images = List("/v1/images/detail", "");
  BOOST_TEST_REQUIRE(images.size() == 6u, images.dump());
  std::set<std::string> expected{"id",         "name",       "size",       "virtual_size",
                                 "disk_format", "container_format", "checksum", "status",
                                 "is_public",  "protected",  "owner",      "min_disk",
                                 "min_ram",    "created_at", "updated_at", "deleted_at",
                                 "deleted",    "properties"};
  for (const auto& image : images) {
    std::set<std::string> keys;
    for (const auto& item : image.items()) keys.insert(item.key());
    BOOST_TEST((keys == expected), image.dump());
    BOOST_TEST(image["properties"]["e2e_list"] == Data().tag);
    BOOST_TEST(image["is_public"] == true);
  }
}

BOOST_AUTO_TEST_CASE(visibility_selector_for_an_admin) {
  // Default: public only (noauth admin has no tenant); none: all; false: private only.
  BOOST_TEST(List("/v1/images/detail", "").size() == 6u);
  BOOST_TEST(List("/v1/images/detail", "is_public=true").size() == 6u);
  json all = List("/v1/images/detail", "is_public=none");
  BOOST_TEST(all.size() == 7u, all.dump());
  json priv = List("/v1/images/detail", "is_public=false");
  BOOST_TEST(Join(Letters(priv)) == "private");
  ExpectBadQuery("is_public=maybe", "Bad value passed to filter is_public got maybe");
}

BOOST_AUTO_TEST_CASE(filters) {
  auto sorted = [](const std::string& query) {
    V letters = Letters(List("/v1/images/detail", query + "&sort_key=name&sort_dir=asc"));
    return Join(letters);
  };
  BOOST_TEST(sorted("name=e2e-list-" + Data().tag + "-c") == "c");
  BOOST_TEST(sorted("disk_format=qcow2") == "b,c");
  BOOST_TEST(sorted("container_format=ovf") == "c");
  BOOST_TEST(sorted("status=active") == "a,b,c,d,e");
  BOOST_TEST(sorted("status=queued") == "queued");
  BOOST_TEST(sorted("size_min=20&size_max=40") == "b,c,e");
  BOOST_TEST(sorted("size_min=45") == "d");
  BOOST_TEST(sorted("min_ram=128") == "c");
  BOOST_TEST(sorted("property-color=red") == "d");
  BOOST_TEST(sorted("disk_format=raw&property-color=blue") == "e");
  BOOST_TEST(sorted("disk_format=raw&property-color=red") == "");
  BOOST_TEST(sorted("protected=false&status=active") == "a,b,c,d,e");
  BOOST_TEST(sorted("protected=true") == "");
  BOOST_TEST(sorted("unknown_parameter=1&status=active") == "a,b,c,d,e");
  // The index takes the same filters.
  BOOST_TEST(Join(Letters(List("/v1/images", "disk_format=qcow2&sort_key=name&sort_dir=asc"))) == "b,c");
}

BOOST_AUTO_TEST_CASE(sorting) {
  BOOST_TEST(Join(Letters(List("/v1/images/detail", "sort_key=name&sort_dir=asc"))) ==
             "a,b,c,d,e,queued");
  BOOST_TEST(Join(Letters(List("/v1/images/detail", "sort_key=name&sort_dir=desc"))) ==
             "queued,e,d,c,b,a");
  BOOST_TEST(Join(Letters(List("/v1/images/detail", "status=active&sort_key=size&sort_dir=asc"))) ==
             "a,c,b,e,d");
  BOOST_TEST(Join(Letters(List("/v1/images/detail", "status=active&sort_key=size&sort_dir=desc"))) ==
             "d,e,b,c,a");
  // Default: created_at descending (created a..e, then queued).
  BOOST_TEST(Join(Letters(List("/v1/images/detail", ""))) == "queued,e,d,c,b,a");
  BOOST_TEST(Join(Letters(List("/v1/images/detail", "sort_key=created_at&sort_dir=asc"))) ==
             "a,b,c,d,e,queued");
  BOOST_TEST(Join(Letters(List("/v1/images/detail", "status=active&sort_key=disk_format&sort_dir=asc"))) ==
             "d,b,c,a,e");
}

BOOST_AUTO_TEST_CASE(limit_and_marker_pagination) {
  for (const std::string& order : {std::string("sort_key=name&sort_dir=asc"), std::string(""),
                                   std::string("sort_key=size&sort_dir=desc")}) {
    V whole = Letters(List("/v1/images/detail", order));
    BOOST_TEST_REQUIRE(whole.size() == 6u);
    V paged;
    std::vector<size_t> page_sizes;
    std::string marker;
    for (int page = 0; page < 10; ++page) {
      std::string query = order + (order.empty() ? "" : "&") + "limit=4" +
                          (marker.empty() ? "" : "&marker=" + marker);
      json images = List("/v1/images/detail", query);
      page_sizes.push_back(images.size());
      for (const auto& l : Letters(images)) paged.push_back(l);
      if (images.size() < 4u) break;
      marker = images.back()["id"].get<std::string>();
    }
    BOOST_TEST(Join(paged) == Join(whole), "order '" << order << "'");
    BOOST_TEST(page_sizes.size() == 2u);
    BOOST_TEST(page_sizes[0] == 4u);
    // Pages of 2 through the index as well.
    V index_paged;
    marker.clear();
    for (int page = 0; page < 10; ++page) {
      std::string query = order + (order.empty() ? "" : "&") + "limit=2" +
                          (marker.empty() ? "" : "&marker=" + marker);
      json images = List("/v1/images", query);
      for (const auto& l : Letters(images)) index_paged.push_back(l);
      if (images.size() < 2u) break;
      marker = images.back()["id"].get<std::string>();
    }
    BOOST_TEST(Join(index_paged) == Join(whole), "index, order '" << order << "'");
  }
  BOOST_TEST(List("/v1/images/detail", "limit=0").size() == 0u);
  BOOST_TEST(List("/v1/images/detail", "limit=1").size() == 1u);
  BOOST_TEST(List("/v1/images/detail", "limit=5000").size() == 6u);  // clamped, not refused
}

BOOST_AUTO_TEST_CASE(bad_list_parameters_are_400) {
  ExpectBadQuery("sort_key=owner", "Unsupported sort_key");
  ExpectBadQuery("sort_key=bogus", "Unsupported sort_key");
  ExpectBadQuery("sort_dir=sideways", "Unsupported sort_dir");
  ExpectBadQuery("limit=-1", "limit param must be positive");
  ExpectBadQuery("limit=abc", "limit param must be an integer");
  ExpectBadQuery("marker=not-a-uuid", "marker");
  ExpectBadQuery("marker=" + RandomUuid(), "marker");
  // Upstream's API text for a bad filter value (glance/api/v1/images.py _get_filters).
  ExpectBadQuery("is_public=imalittleteapot", "Bad value passed to filter is_public got imalittleteapot");
  ExpectBadQuery("size_min=-1", "Bad value passed to filter size_min got -1");
  ExpectBadQuery("size_max=big", "Bad value passed to filter size_max got big");
  ExpectBadQuery("min_ram=-5", "Bad value passed to filter min_ram got -5");
  ExpectBadQuery("protected=perhaps", "Bad value passed to filter protected got perhaps");
  ExpectBadQuery("protected=none", "protected must be True, or False");
  ExpectBadQuery("changes-since=yesterday", "changes-since");
}

BOOST_AUTO_TEST_CASE(killed_images_are_not_listed) {
  Api api = NoAuthStack().api();
  std::string tag = NewRunTag();
  std::string id = RandomUuid();
  Reply killed = api.Post("/v1/images",
                          ImageHeaders("e2e-list-killed", {{"x-image-meta-id", id},
                                                           {"x-image-meta-is_public", "true"},
                                                           {"x-image-meta-property-e2e_killed", tag},
                                                           {"x-image-meta-size", "2"}}),
                          "abc");
  BOOST_TEST_REQUIRE(killed.status == 400, killed.Describe());
  BOOST_TEST_REQUIRE(HeadStatus(api, id) == "killed");
  Reply list = api.Get("/v1/images/detail?is_public=none&property-e2e_killed=" + tag);
  BOOST_TEST(list.status == 200);
  BOOST_TEST(list.Json()["images"].size() == 0u, list.body);
}

BOOST_AUTO_TEST_SUITE_END()
