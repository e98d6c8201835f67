// Image API v2 show and list through nginx (contract §4): one image or
// 404, the list's shape, filters, sorting, paging by the next links
// verbatim, bad parameters.  noauth is an admin without a project (§4.2,
// §10): it lists every image but community ones.  Lists are narrowed by a
// custom property unique to the run (`?v2list=<tag>`, §4.2 "any other key").
#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

namespace {

std::string Letters(const json& images, const std::map<std::string, std::string>& ids) {
  std::map<std::string, std::string> letter_of;
  for (const auto& [letter, id] : ids) letter_of[id] = letter;
  std::string out;
  for (const auto& image : images) {
    std::string id = image.value("id", "");
    auto it = letter_of.find(id);
    out += (out.empty() ? "" : ",") + (it == letter_of.end() ? "?" + id : it->second);
  }
  return out;
}

// ---------------------------------------------------------------- list data

struct ListData {
  std::string tag;
  std::map<std::string, std::string> ids;  // letter → id
  std::map<std::string, std::string> data;  // letter → bytes
  std::string error;
};

// Images of one run, created in this order (so the default order,
// created_at desc, is the reverse):
//   a raw/bare 10 B public  tags red,big
//   b qcow2/bare 30 B private tags red, min_ram 128
//   c qcow2/ovf 20 B shared protected, color=red
//   d iso/bare 50 B public tags big, color=blue
//   e raw/bare 40 B shared
//   queued  no data (shared)
//   hidden  os_hidden, 5 B;  community  community, 7 B
//   deleted (deleted);  killed (a v1 upload with the wrong size)
const ListData& Data() {
  static ListData data = [] {
    ListData d;
    d.tag = NewRunTag();
    Api api = NoAuthStack().api();
    try {
      struct Spec {
        std::string letter;
        json body;
        size_t size;
      };
      std::vector<Spec> specs{
          {"a", {{"visibility", "public"}, {"tags", {"red", "big"}}}, 10},
          {"b", {{"disk_format", "qcow2"}, {"visibility", "private"}, {"tags", {"red"}}, {"min_ram", 128}}, 30},
          {"c", {{"disk_format", "qcow2"}, {"container_format", "ovf"}, {"protected", true}, {"color", "red"}}, 20},
          {"d", {{"disk_format", "iso"}, {"visibility", "public"}, {"tags", {"big"}}, {"color", "blue"}}, 50},
          {"e", {{"visibility", "shared"}}, 40},
      };
      for (Spec& spec : specs) {
        spec.body["name"] = "v2l-" + d.tag + "-" + spec.letter;
        spec.body["v2list"] = d.tag;
        d.data[spec.letter] = RandomBytes(spec.size, 200 + spec.size);
        d.ids[spec.letter] = V2ActiveImage(api, spec.body, d.data[spec.letter]);
      }
      d.ids["queued"] = V2CreateId(api, {{"name", "v2l-" + d.tag + "-queued"}, {"v2list", d.tag}});
      d.ids["hidden"] = V2ActiveImage(api, {{"name", "v2l-" + d.tag + "-hidden"}, {"v2list", d.tag}, {"os_hidden", true}},
                                      "hidden");
      d.ids["community"] = V2ActiveImage(
          api, {{"name", "v2l-" + d.tag + "-community"}, {"v2list", d.tag}, {"visibility", "community"}}, "communi");
      d.ids["deleted"] = V2CreateId(api, {{"name", "v2l-" + d.tag + "-deleted"}, {"v2list", d.tag}});
      Reply deleted = api.Delete("/v2/images/" + d.ids["deleted"]);
      if (deleted.status != 204) throw std::runtime_error("delete: " + deleted.Describe());
      std::string killed = RandomUuid();
      Reply kill = api.Post("/v1/images",
                            ImageHeaders("v2l-" + d.tag + "-killed", {{"x-image-meta-id", killed},
                                                                      {"x-image-meta-size", "3"},
                                                                      {"x-image-meta-property-v2list", d.tag}}),
                            "four");
      if (HeadStatus(api, killed) != "killed") throw std::runtime_error("the killed image: " + kill.Describe());
      d.ids["killed"] = killed;
    } catch (const std::exception& e) {
      d.error = e.what();
    }
    return d;
  }();
  if (!data.error.empty()) throw std::runtime_error("v2 list fixture: " + data.error);
  return data;
}

// The letters a list of the run's images gives, in order.
std::string List(const std::string& query) {
  const ListData& d = Data();
  json body = V2ListPage(NoAuthStack().api(), "/v2/images?v2list=" + d.tag + "&limit=100" +
                                                  (query.empty() ? "" : "&" + query));
  return Letters(body["images"], d.ids);
}

// The same letters, sorted, for filters whose order does not matter.
std::string Filtered(const std::string& query) {
  std::string letters = List(query + "&sort=name:asc");
  return letters;
}

}  // namespace

// ---------------------------------------------------------------- §4

BOOST_AUTO_TEST_SUITE(v2_show_list)

BOOST_AUTO_TEST_CASE(show_answers_the_image_or_404) {
  const ListData& d = Data();
  Api api = NoAuthStack().api();
  json a = V2Get(api, d.ids.at("a"));
  BOOST_TEST(S(a, "status") == "active");
  BOOST_TEST(S(a, "size") == "<10>");
  BOOST_TEST(S(a, "checksum") == Md5Hex(d.data.at("a")));
  BOOST_TEST(S(a, "os_hash_algo") == "sha512");
  BOOST_TEST(S(a, "os_hash_value") == Sha512Hex(d.data.at("a")));
  BOOST_TEST(S(a, "v2list") == d.tag);
  // Hidden and community images are shown by id.
  BOOST_TEST(V2Show(api, d.ids.at("hidden")).status == 200);
  BOOST_TEST(V2Show(api, d.ids.at("community")).status == 200);
  for (const std::string& id : {d.ids.at("deleted"), RandomUuid(), std::string("not-a-uuid"),
                                d.ids.at("a").substr(0, 35), d.ids.at("a") + "0"}) {
    ExpectRefusal(V2Show(api, id), 404, "GET /v2/images/" + id);
  }
}

BOOST_AUTO_TEST_CASE(list_shape_and_what_is_never_listed) {
  const ListData& d = Data();
  Api api = NoAuthStack().api();
  json body = V2ListPage(api, "/v2/images?v2list=" + d.tag);
  BOOST_TEST(body.value("schema", "") == "/v2/schemas/images");
  BOOST_TEST(body.value("first", "") == "/v2/images?v2list=" + d.tag, body.value("first", ""));
  BOOST_TEST(!body.contains("next"), "a short page has no next: " << body.value("next", ""));
  for (const auto& image : body["images"]) {
    for (const std::string& key : V2ImageKeys()) BOOST_TEST(image.contains(key), key << " missing in a list entry");
  }
  // Default (created_at desc): hidden, community, deleted and killed images
  // are not listed.
  BOOST_TEST(List("") == "queued,e,d,c,b,a");
  BOOST_TEST(List("sort=created_at:asc") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("os_hidden=true") == "hidden");
  BOOST_TEST(Filtered("os_hidden=false") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("visibility=community") == "community");
  BOOST_TEST(Filtered("visibility=all") == "a,b,c,community,d,e,queued");
  BOOST_TEST(Filtered("status=killed") == "");
  BOOST_TEST(Filtered("status=deleted") == "");
}

BOOST_AUTO_TEST_CASE(filters) {
  const ListData& d = Data();
  const std::string name = "v2l-" + d.tag + "-";
  BOOST_TEST(Filtered("name=" + name + "a") == "a");
  BOOST_TEST(Filtered("name=eq:" + name + "c") == "c");
  BOOST_TEST(Filtered("name=in:" + name + "a," + name + "b") == "a,b");
  BOOST_TEST(Filtered("name=" + UrlEncode("in:\"" + name + "a\",\"" + name + "d\"")) == "a,d");
  BOOST_TEST(Filtered("name=nobody") == "");
  BOOST_TEST(Filtered("id=" + d.ids.at("b")) == "b");
  BOOST_TEST(Filtered("id=in:" + d.ids.at("b") + "," + d.ids.at("e")) == "b,e");
  BOOST_TEST(Filtered("status=queued") == "queued");
  BOOST_TEST(Filtered("status=active") == "a,b,c,d,e");
  BOOST_TEST(Filtered("status=in:active,queued") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("disk_format=qcow2") == "b,c");
  BOOST_TEST(Filtered("disk_format=in:iso,raw") == "a,d,e");
  BOOST_TEST(Filtered("container_format=ovf") == "c");
  BOOST_TEST(Filtered("visibility=public") == "a,d");
  BOOST_TEST(Filtered("visibility=private") == "b");
  BOOST_TEST(Filtered("visibility=shared") == "c,e,queued");
  BOOST_TEST(Filtered("size_min=30") == "b,d,e");
  BOOST_TEST(Filtered("size_max=20") == "a,c");
  BOOST_TEST(Filtered("size_min=20&size_max=40") == "b,c,e");
  BOOST_TEST(Filtered("tag=red") == "a,b");
  BOOST_TEST(Filtered("tag=big") == "a,d");
  BOOST_TEST(Filtered("tag=red&tag=big") == "a");
  BOOST_TEST(Filtered("tag=none") == "");
  BOOST_TEST(Filtered("protected=true") == "c");
  BOOST_TEST(Filtered("protected=false&status=active") == "a,b,d,e");
  BOOST_TEST(Filtered("color=red") == "c");
  BOOST_TEST(Filtered("color=blue") == "d");
  BOOST_TEST(Filtered("color=green") == "");
  BOOST_TEST(Filtered("min_ram=128") == "b");
  BOOST_TEST(Filtered("checksum=" + Md5Hex(d.data.at("d"))) == "d");
  BOOST_TEST(Filtered("os_hash_value=" + Sha512Hex(d.data.at("e"))) == "e");
  BOOST_TEST(Filtered("created_at=gt:2000-01-01T00:00:00Z") == "a,b,c,d,e,queued");
  BOOST_TEST(Filtered("created_at=lt:2000-01-01T00:00:00Z") == "");
  BOOST_TEST(Filtered("updated_at=gte:2000-01-01T00:00:00Z&disk_format=iso") == "d");
  BOOST_TEST(Filtered("updated_at=lte:2000-01-01T00:00:00Z") == "");
  BOOST_TEST(Filtered("disk_format=raw&color=blue") == "");
  BOOST_TEST(Filtered("disk_format=iso&color=blue") == "d");
}

BOOST_AUTO_TEST_CASE(sorting) {
  BOOST_TEST(List("sort=name:asc") == "a,b,c,d,e,queued");
  BOOST_TEST(List("sort=name:desc") == "queued,e,d,c,b,a");
  BOOST_TEST(List("sort=name") == "queued,e,d,c,b,a", "the default direction is desc");
  BOOST_TEST(List("sort_key=name&sort_dir=asc") == "a,b,c,d,e,queued");
  BOOST_TEST(List("sort_key=name") == "queued,e,d,c,b,a");
  BOOST_TEST(List("status=active&sort=size:asc") == "a,c,b,e,d");
  BOOST_TEST(List("status=active&sort=size:desc,name:asc") == "d,e,b,c,a");
  BOOST_TEST(List("status=active&sort=disk_format:asc,size:desc") == "d,b,c,e,a");
  BOOST_TEST(List("status=active&sort_key=disk_format&sort_key=size&sort_dir=asc&sort_dir=desc") == "d,b,c,e,a");
  BOOST_TEST(List("status=active&sort_key=disk_format&sort_key=size&sort_dir=asc") == "d,c,b,a,e",
             "one sort_dir applies to every key");
  BOOST_TEST(List("status=active&sort=container_format:desc,name:asc") == "c,a,b,d,e");
  BOOST_TEST(List("sort=status:asc,name:desc") == "e,d,c,b,a,queued");
  BOOST_TEST(List("sort=id:asc").size() > 0u);
  BOOST_TEST(List("sort=updated_at:asc") == "a,b,c,d,e,queued");
}

BOOST_AUTO_TEST_CASE(paging_follows_next_links_verbatim) {
  const ListData& d = Data();
  Stack& stack = NoAuthStack();
  Api api = VerbatimApi(stack);
  // Full pages have a next link, which keeps every other parameter.
  std::string path = "/v2/images?v2list=" + d.tag + "&limit=2&sort=name:asc";
  std::vector<std::string> pages;
  std::vector<std::string> seen;
  while (true) {
    BOOST_TEST_REQUIRE(pages.size() < 10u, "paging does not end");
    json body = V2ListPage(api, path);
    pages.push_back(Letters(body["images"], d.ids));
    for (const std::string& id : IdsOf(body["images"])) seen.push_back(id);
    BOOST_TEST(body.value("first", "").find("marker=") == std::string::npos, body.value("first", ""));
    BOOST_TEST(body.value("first", "").rfind("/v2/images?", 0) == 0u, body.value("first", ""));
    if (body["images"].size() < 2u) {
      BOOST_TEST(!body.contains("next"), "a short page has a next link: " << body.dump().substr(0, 300));
    } else {
      BOOST_TEST_REQUIRE(body.contains("next"), "a full page lacks next: " << body.dump().substr(0, 300));
    }
    if (!body.contains("next")) break;
    std::string next = body["next"].get<std::string>();
    BOOST_TEST(next.rfind("/v2/images?", 0) == 0u, next);
    BOOST_TEST(next.find("marker=" + body["images"].back()["id"].get<std::string>()) != std::string::npos, next);
    BOOST_TEST(next.find("v2list=" + d.tag) != std::string::npos, next);
    BOOST_TEST(next.find("limit=2") != std::string::npos, next);
    BOOST_TEST((next.find("sort=name%3Aasc") != std::string::npos || next.find("sort=name:asc") != std::string::npos),
               next);
    path = next;
  }
  std::string joined;
  for (const std::string& page : pages) joined += "[" + page + "]";
  BOOST_TEST(joined == "[a,b][c,d][e,queued][]");
  // The default order, four at a time.
  int count = 0;
  std::vector<json> all = V2ListAll(api, "/v2/images?v2list=" + d.tag + "&limit=4", &count);
  BOOST_TEST(Letters(json(all), d.ids) == "queued,e,d,c,b,a");
  BOOST_TEST(count == 2);
  // A marker by hand: the images after it in the same order.
  BOOST_TEST(Letters(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&marker=" + d.ids.at("c"))["images"], d.ids) ==
             "b,a");
  BOOST_TEST(Letters(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&sort=name:asc&marker=" + d.ids.at("c"))["images"],
                     d.ids) == "d,e,queued");
  // limit=0 is an empty page; a huge limit is clamped, not refused.
  BOOST_TEST(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&limit=0")["images"].size() == 0u);
  BOOST_TEST(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&limit=100000")["images"].size() == 6u);
  BOOST_TEST(V2ListPage(api, "/v2/images?v2list=" + d.tag + "&limit=99999999999999999999")["images"].size() == 6u);
}

BOOST_AUTO_TEST_CASE(default_page_is_limit_param_default) {
  // 30 images of one tag: the default page holds 25 (limit_param_default)
  // and says where the rest is.
  Api api = NoAuthStack().api();
  const std::string tag = NewRunTag();
  for (int i = 0; i < 30; ++i) V2CreateId(api, {{"name", "v2-page-" + std::to_string(i)}, {"v2page", tag}});
  json first = V2ListPage(api, "/v2/images?v2page=" + tag);
  BOOST_TEST(first["images"].size() == 25u);
  BOOST_TEST_REQUIRE(first.contains("next"));
  BOOST_TEST(V2ListPage(api, first["next"].get<std::string>())["images"].size() == 5u);
  BOOST_TEST(V2ListAll(api, "/v2/images?v2page=" + tag + "&limit=7").size() == 30u);
}

BOOST_AUTO_TEST_CASE(bad_list_parameters_are_400) {
  const ListData& d = Data();
  Api api = NoAuthStack().api();
  for (const std::string& query : std::vector<std::string>{
           "limit=-1", "limit=abc", "limit=1.5", "limit=", "marker=" + RandomUuid(), "marker=not-a-uuid",
           "marker=" + d.ids.at("deleted"), "sort=name:asc&sort_key=name", "sort_key=min_ram", "sort=min_ram:asc",
           "sort=owner", "sort_dir=up&sort_key=name", "sort=name:up", "sort=name:asc:desc",
           "sort_key=name&sort_key=size&sort_key=id&sort_dir=asc&sort_dir=desc", "visibility=everyone",
           "member_status=maybe", "size_min=x", "size_max=1.5", "size_min=-1", "created_at=gt:yesterday",
           "created_at=xx:2020-01-01T00:00:00Z", "updated_at=2020-13-45T99:00:00Z", "protected=yes",
           "os_hidden=maybe", "changes-since=2020-01-01T00:00:00Z", "name=a:b", "min_ram=lots"}) {
    ExpectRefusal(api.Get("/v2/images?" + query), 400, "GET /v2/images?" + query);
  }
}

BOOST_AUTO_TEST_SUITE_END()
