// Spec §2 (and v2 contract §1): version negotiation and the versions
// document; §3.3 request ids.
#include <map>

#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

namespace {

void CheckVersionsDocument(const Reply& reply, int port) {
  BOOST_TEST(reply.Header("Content-Type").find("application/json") != std::string::npos,
             reply.Describe());
  json body = reply.Json();
  BOOST_TEST_REQUIRE(body.contains("versions"), reply.Describe());
  BOOST_TEST_REQUIRE(body["versions"].is_array());
  std::map<std::string, std::string> status_of;
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  for (const auto& version : body["versions"]) {
    std::string id = version.value("id", "");
    status_of[id] = version.value("status", "");
    BOOST_TEST_REQUIRE(version.contains("links"));
    BOOST_TEST_REQUIRE(version["links"].size() >= 1u);
    std::string href = version["links"][0].value("href", "");
    // v1 entries point at /v1/, v2 ones at /v2/ (v2 contract §1.2).
    BOOST_TEST(href == base + "/" + id.substr(0, 2) + "/", id << " href: " << href);
    BOOST_TEST(version["links"][0].value("rel", "") == "self");
  }
  // Clients (keystoneauth) pick the newest CURRENT v2.x.
  BOOST_TEST(status_of["v2.9"] == "CURRENT");
  for (const char* id : {"v2.7", "v2.6", "v2.5", "v2.4", "v2.3", "v2.2", "v2.1", "v2.0"}) {
    BOOST_TEST(status_of[id] == "SUPPORTED", id);
  }
  BOOST_TEST(status_of["v1.1"] == "DEPRECATED");
  BOOST_TEST(status_of["v1.0"] == "DEPRECATED");
  BOOST_TEST(status_of.size() == 11u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(versions)

BOOST_AUTO_TEST_CASE(root_answers_300_with_the_versions_document) {
  Stack& stack = NoAuthStack();
  Reply reply = stack.api().Get("/");
  BOOST_TEST(reply.status == 300, reply.Describe());
  CheckVersionsDocument(reply, stack.api_port());
  BOOST_TEST(reply.Has("x-openstack-request-id"));
}

BOOST_AUTO_TEST_CASE(versions_path_answers_200) {
  Stack& stack = NoAuthStack();
  Reply reply = stack.api().Get("/versions");
  BOOST_TEST(reply.status == 200, reply.Describe());
  CheckVersionsDocument(reply, stack.api_port());
}

BOOST_AUTO_TEST_CASE(unknown_or_missing_version_answers_300) {
  Api api = NoAuthStack().api();
  for (const char* path : {"/images", "/v9/images", "/v2.99/images", "/foo"}) {
    Reply reply = api.Get(path);
    BOOST_TEST(reply.status == 300, path << ": " << reply.Describe());
    if (reply.status == 300) BOOST_TEST(reply.Json().contains("versions"), path);
  }
}

BOOST_AUTO_TEST_CASE(v1_without_slash_redirects_to_v1_slash) {
  Stack& stack = NoAuthStack();
  Reply reply = stack.api().Get("/v1");
  BOOST_TEST(reply.status == 302, reply.Describe());
  std::string location = reply.Header("Location");
  // Absolute, as Queens (spec §19.12).
  BOOST_TEST(location == "http://127.0.0.1:" + std::to_string(stack.api_port()) + "/v1/", "Location: " << location);
}

BOOST_AUTO_TEST_CASE(v1_slash_is_the_image_index) {
  Api api = NoAuthStack().api();
  Reply reply = api.Get("/v1/");
  BOOST_TEST(reply.status == 200, reply.Describe());
  BOOST_TEST(reply.Json()["images"].is_array(), reply.Describe());
}

BOOST_AUTO_TEST_CASE(version_aliases_route_to_v1) {
  Api api = NoAuthStack().api();
  for (const char* path : {"/v1/images", "/v1.0/images", "/v1.1/images", "/v1/images/detail"}) {
    Reply reply = api.Get(path);
    BOOST_TEST(reply.status == 200, path << ": " << reply.Describe());
    if (reply.status == 200) BOOST_TEST(reply.Json()["images"].is_array(), path);
  }
}

BOOST_AUTO_TEST_CASE(vendor_accept_header_routes_without_version_in_path) {
  Api api = NoAuthStack().api();
  for (const char* accept : {"application/vnd.openstack.images-v1", "application/vnd.openstack.images-v1.1"}) {
    Reply reply = api.Get("/images", {{"Accept", accept}});
    BOOST_TEST(reply.status == 200, accept << ": " << reply.Describe());
    if (reply.status == 200) BOOST_TEST(reply.Json()["images"].is_array(), accept);
    Reply detail = api.Get("/images/detail", {{"Accept", accept}});
    BOOST_TEST(detail.status == 200, accept << ": " << detail.Describe());
  }
  Reply unknown = api.Get("/images", {{"Accept", "application/vnd.openstack.images-v9"}});
  BOOST_TEST(unknown.status == 300, unknown.Describe());
}

BOOST_AUTO_TEST_CASE(request_id_is_returned_and_echoed) {
  Api api = NoAuthStack().api();
  Reply generated = api.Get("/v1/images");
  std::string id = generated.Header("x-openstack-request-id");
  BOOST_TEST(id.rfind("req-", 0) == 0u, "x-openstack-request-id: " << id);
  BOOST_TEST(id.size() > 4u);
  Reply echoed = api.Get("/v1/images", {{"X-Openstack-Request-Id", "e2e-abc123"}});
  BOOST_TEST(echoed.Header("x-openstack-request-id") == "req-e2e-abc123", echoed.Describe());
  Reply prefixed = api.Get("/v1/images", {{"X-Openstack-Request-Id", "req-e2e-xyz"}});
  BOOST_TEST(prefixed.Header("x-openstack-request-id") == "req-e2e-xyz", prefixed.Describe());
  // Error answers carry it too.
  Reply missing = api.Get("/v1/images/00000000-0000-0000-0000-000000000000");
  BOOST_TEST(missing.status == 404, missing.Describe());
  BOOST_TEST(missing.Has("x-openstack-request-id"), missing.Describe());
}

BOOST_AUTO_TEST_SUITE_END()
