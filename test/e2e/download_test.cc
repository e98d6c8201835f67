// Spec §5.2, §6.2, §6.3, §11: metadata headers of HEAD and GET, downloads,
// ranges, error bodies (§15).
#include <filesystem>
#include <regex>

#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

BOOST_AUTO_TEST_SUITE(download)

BOOST_AUTO_TEST_CASE(head_and_get_carry_the_same_metadata_headers) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string data = RandomBytes(10000, 21);
  std::string md5 = Md5Hex(data);
  const std::string cafe = "caf\xc3\xa9";  // "café" in UTF-8
  ImageRef image = CreateImage(api, "e2e-headers", data,
                               {{"x-image-meta-property-city", cafe},
                                {"X-Image-Meta-Property-Foo-Bar", "baz"},
                                {"x-image-meta-min_ram", "256"},
                                {"x-image-meta-min_disk", "3"},
                                {"x-image-meta-protected", "false"},
                                {"x-image-meta-is_public", "false"}});
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  json created = image.reply.Json()["image"];
  BOOST_TEST(created["properties"]["city"] == cafe);
  BOOST_TEST(created["properties"]["foo_bar"] == "baz", created.dump());

  Reply head = api.Head("/v1/images/" + image.id);
  Reply get = api.Get("/v1/images/" + image.id);
  BOOST_TEST_REQUIRE(head.status == 200, head.Describe());
  BOOST_TEST_REQUIRE(get.status == 200, get.Describe());
  BOOST_TEST(head.body.empty());
  BOOST_TEST((get.body == data));

  auto head_meta = head.MetaHeaders();
  auto get_meta = get.MetaHeaders();
  BOOST_TEST(head_meta.size() == get_meta.size());
  for (const auto& [name, value] : head_meta) {
    auto it = get_meta.find(name);
    BOOST_TEST((it != get_meta.end()), name << " is on HEAD but not on GET");
    if (it != get_meta.end()) BOOST_TEST(it->second == value, name);
  }
  for (const auto& [name, value] : get_meta) {
    BOOST_TEST(head_meta.count(name) == 1u, name << " is on GET but not on HEAD");
  }
  // The values themselves (spec §5.2).
  BOOST_TEST(head_meta["x-image-meta-id"] == image.id);
  BOOST_TEST(head_meta["x-image-meta-name"] == "e2e-headers");
  BOOST_TEST(head_meta["x-image-meta-status"] == "active");
  BOOST_TEST(head_meta["x-image-meta-size"] == "10000");
  BOOST_TEST(head_meta["x-image-meta-checksum"] == md5);
  BOOST_TEST(head_meta["x-image-meta-disk_format"] == "raw");
  BOOST_TEST(head_meta["x-image-meta-container_format"] == "bare");
  BOOST_TEST(head_meta["x-image-meta-is_public"] == "False");
  BOOST_TEST(head_meta["x-image-meta-protected"] == "False");
  BOOST_TEST(head_meta["x-image-meta-deleted"] == "False");
  BOOST_TEST(head_meta["x-image-meta-min_ram"] == "256");
  BOOST_TEST(head_meta["x-image-meta-min_disk"] == "3");
  BOOST_TEST(head_meta["x-image-meta-property-city"] == cafe);
  BOOST_TEST(get_meta["x-image-meta-property-city"] == cafe);
  BOOST_TEST(head_meta["x-image-meta-property-foo_bar"] == "baz");
  std::regex timestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?)");
  BOOST_TEST(std::regex_match(head_meta["x-image-meta-created_at"], timestamp),
             head_meta["x-image-meta-created_at"]);
  BOOST_TEST(std::regex_match(head_meta["x-image-meta-updated_at"], timestamp));
  // Null fields are omitted; the location never appears.
  BOOST_TEST(head_meta.count("x-image-meta-deleted_at") == 0u);
  BOOST_TEST(head_meta.count("x-image-meta-virtual_size") == 0u);
  BOOST_TEST(head_meta.count("x-image-meta-owner") == 0u);
  BOOST_TEST(head_meta.count("x-image-meta-location") == 0u);
  BOOST_TEST(get_meta.count("x-image-meta-location") == 0u);
  // One of each, ETag the MD5, a request id on both.
  for (const auto& [name, value] : head_meta) BOOST_TEST(head.Count(name) == 1u, name);
  for (const auto& [name, value] : get_meta) BOOST_TEST(get.Count(name) == 1u, name);
  BOOST_TEST(head.Header("ETag") == md5);
  BOOST_TEST(get.Header("ETag") == md5);
  BOOST_TEST(get.Count("ETag") == 1u);
  BOOST_TEST(head.Has("x-openstack-request-id"));
  BOOST_TEST(get.Has("x-openstack-request-id"));
  BOOST_TEST(get.Count("x-openstack-request-id") == 1u);
  BOOST_TEST(get.Header("Content-Type") == "application/octet-stream");
  BOOST_TEST(get.Header("Content-Length") == "10000");
  BOOST_TEST(!get.Has("X-Glance-Image-Headers"));
  BOOST_TEST(!get.Has("X-Accel-Redirect"));
}

BOOST_AUTO_TEST_CASE(get_echoes_the_request_id_on_downloads) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef image = CreateImage(api, "e2e-download-reqid", "abc");
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  Reply get = api.Get("/v1/images/" + image.id, {{"X-Openstack-Request-Id", "e2e-download-1"}});
  BOOST_TEST(get.status == 200);
  BOOST_TEST(get.Header("x-openstack-request-id") == "req-e2e-download-1", get.Describe());
}

BOOST_AUTO_TEST_CASE(range_request_returns_exactly_those_bytes) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string data = RandomBytes(100, 22);
  ImageRef image = CreateImage(api, "e2e-range", data);
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  Reply part = api.Get("/v1/images/" + image.id, {{"Range", "bytes=10-19"}});
  BOOST_TEST_REQUIRE(part.status == 206, part.Describe());
  BOOST_TEST(part.body.size() == 10u);
  BOOST_TEST((part.body == data.substr(10, 10)));
  BOOST_TEST(part.Header("Content-Range") == "bytes 10-19/100");
  BOOST_TEST(part.Header("Content-Length") == "10");
  BOOST_TEST(part.Header("ETag") == Md5Hex(data));
  BOOST_TEST(part.Header("x-image-meta-size") == "100");
  Reply tail = api.Get("/v1/images/" + image.id, {{"Range", "bytes=-5"}});
  BOOST_TEST(tail.status == 206, tail.Describe());
  BOOST_TEST((tail.body == data.substr(95)));
  Reply open_end = api.Get("/v1/images/" + image.id, {{"Range", "bytes=90-"}});
  BOOST_TEST(open_end.status == 206, open_end.Describe());
  BOOST_TEST((open_end.body == data.substr(90)));
}

BOOST_AUTO_TEST_CASE(get_of_non_active_images_is_404_head_is_200) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef queued = ReserveImage(api, "e2e-queued-get");
  BOOST_TEST_REQUIRE(queued.reply.status == 201, queued.reply.Describe());
  Reply head = api.Head("/v1/images/" + queued.id);
  BOOST_TEST(head.status == 200, head.Describe());
  BOOST_TEST(head.Header("x-image-meta-status") == "queued");
  BOOST_TEST(!head.Has("ETag"));
  Reply get = api.Get("/v1/images/" + queued.id);
  BOOST_TEST(get.status == 404, get.Describe());
}

BOOST_AUTO_TEST_CASE(error_bodies_are_text_by_default_and_json_on_request) {
  Api api = NoAuthStack().api();
  std::string path = "/v1/images/" + RandomUuid();
  Reply text = api.Get(path);
  BOOST_TEST(text.status == 404, text.Describe());
  BOOST_TEST(text.Header("Content-Type").find("text/plain") != std::string::npos, text.Describe());
  BOOST_TEST(text.body.find("404") != std::string::npos, text.body);
  BOOST_TEST(text.Has("x-openstack-request-id"));
  Reply js = api.Get(path, {{"Accept", "application/json"}});
  BOOST_TEST(js.status == 404, js.Describe());
  BOOST_TEST(js.Header("Content-Type").find("application/json") != std::string::npos, js.Describe());
  json body = json::parse(js.body, nullptr, false);
  BOOST_TEST_REQUIRE(!body.is_discarded(), js.body);
  BOOST_TEST(body["code"] == "404 Not Found", js.body);
  BOOST_TEST(body["title"] == "Not Found", js.body);
  BOOST_TEST(body.contains("message"), js.body);
  BOOST_TEST(js.Has("x-openstack-request-id"));
  // A 400 in JSON too.
  Reply bad = api.Post("/v1/images", {{"x-image-meta-foo", "1"}, {"Accept", "application/json"}}, "", "");
  BOOST_TEST(bad.status == 400, bad.Describe());
  json bad_body = json::parse(bad.body, nullptr, false);
  BOOST_TEST_REQUIRE(!bad_body.is_discarded(), bad.body);
  BOOST_TEST(bad_body["code"] == "400 Bad Request");
  BOOST_TEST(bad_body["message"].get<std::string>().find("Bad header") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(active_image_whose_store_file_vanished_is_404) {
  // Spec §6.3: if the store no longer has the data → 404.
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef image = CreateImage(api, "e2e-vanished", "some bytes");
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  BOOST_TEST_REQUIRE(RemoveStoredData(stack, image.id));
  Reply get = api.Get("/v1/images/" + image.id);
  BOOST_TEST(get.status == 404, get.Describe());
  BOOST_TEST(get.Has("x-openstack-request-id"), get.Describe());
}

BOOST_AUTO_TEST_SUITE_END()
