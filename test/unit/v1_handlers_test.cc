// The v1 download and member handlers against a stand-in registry and
// store: what each answers (status, the headers that hand nginx the
// bytes), which registry calls it makes, and what it refuses before any.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "../../src/api/v1_handlers.h"
#include "fake_registry.h"
#include "fake_store.h"

using namespace glance;
using namespace glance::api;
using glance::test::FakeRegistry;
using glance::test::FakeStore;
namespace fs = std::filesystem;

namespace {

constexpr const char* kId = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
constexpr const char* kMember = "tenant-b";

struct Fixture {
  ApiOptions options;
  FakeRegistry registry;
  FakeStore store;
  ExternalSources sources{ExternalSourceOptions{}};
  UploadFlow uploads{options, &registry, &store, &sources};
  ApiServices v1{options, registry, store, sources, uploads};
  HttpRequest request;
  HttpResponse response;
  RequestContext context;
  fs::path body_dir = fs::temp_directory_path() / ("v1-handlers-" + std::to_string(getpid()));

  Fixture() {
    context.tenant = context.owner = "tenant-a";
    context.roles = {"member"};
    context.request_id = "req-test";
    fs::create_directories(body_dir);
  }
  ~Fixture() { fs::remove_all(body_dir); }

  Status Call(V1Handler handler, std::vector<std::string> params) {
    ApiCall call{request, context, std::move(params), &response, {}};
    return handler(v1, call);
  }
  // The request body as nginx hands it over: a file.
  void Body(const std::string& text) {
    request.body_file = (body_dir / "body").string();
    std::ofstream(request.body_file) << text;
    request.content_length = static_cast<long long>(text.size());
  }
  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : response.headers) {
      if (n == name) return v;
    }
    return "";
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(v1_download)

BOOST_AUTO_TEST_CASE(stored_image_is_handed_to_nginx_with_its_headers) {
  Fixture f;
  Image& image = f.registry.AddImage(kId, "active", 5);
  image.checksum = "0123456789abcdef0123456789abcdef";
  f.store.AddImage(kId, 0);
  Status s = f.Call(Download, {kId});
  BOOST_TEST(s.ok(), s.message());
  BOOST_TEST(f.response.status == 200);
  BOOST_TEST(f.Header("X-Accel-Redirect") == std::string("/_fake/") + kId);
  BOOST_TEST(f.Header("X-Fake-Token") == "secret");
  BOOST_TEST(f.response.body.empty());
  // The image's own headers travel to nginx packed, to be sent with the bytes.
  auto packed = nlohmann::json::parse(f.Header("X-Glance-Image-Headers"));
  BOOST_TEST(packed.dump().find(R"(["ETag","0123456789abcdef0123456789abcdef"])") != std::string::npos,
             packed.dump());
  BOOST_TEST(packed.dump().find(R"(["x-openstack-request-id","req-test"])") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(upper_case_id_is_looked_up_lower_case_and_bad_ids_never_reach_the_registry) {
  Fixture f;
  f.registry.AddImage(kId, "active", 5);
  f.store.AddImage(kId, 0);
  std::string upper = kId;
  for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  BOOST_TEST(f.Call(Download, {upper}).ok());
  BOOST_TEST(f.registry.Calls() == std::string("GetImage ") + kId);
  f.registry.calls.clear();
  Status s = f.Call(Download, {"not-a-uuid"});
  BOOST_TEST(s.HttpStatus() == 404);
  BOOST_TEST(s.message() == "No image found with ID not-a-uuid");
  BOOST_TEST(f.registry.calls.empty());
}

BOOST_AUTO_TEST_CASE(only_active_images_have_data) {
  for (const char* status : {"queued", "saving", "killed", "pending_delete"}) {
    Fixture f;
    f.registry.AddImage(kId, status, 5);
    f.store.AddImage(kId, 0);
    Status s = f.Call(Download, {kId});
    BOOST_TEST(s.HttpStatus() == 404, status);
    BOOST_TEST(s.message() == std::string("Image ") + kId + " is not active (status " + status + ").");
    BOOST_TEST(f.Header("X-Accel-Redirect").empty());
  }
}

BOOST_AUTO_TEST_CASE(empty_image_answers_headers_only_without_the_store) {
  Fixture f;
  f.registry.AddImage(kId, "active", 0);
  BOOST_TEST(f.Call(Download, {kId}).ok());
  BOOST_TEST(f.response.status == 200);
  BOOST_TEST(f.Header("Content-Length") == "0");
  BOOST_TEST(f.Header("x-image-meta-size") == "0");
  BOOST_TEST(f.Header("X-Accel-Redirect").empty());
}

BOOST_AUTO_TEST_CASE(active_image_missing_from_the_store_is_404_not_a_redirect) {
  Fixture f;
  f.registry.AddImage(kId, "active", 5);
  Status s = f.Call(Download, {kId});
  BOOST_TEST(s.HttpStatus() == 404);
  BOOST_TEST(s.message() == std::string("Image data for ") + kId + " could not be found in the store.");
  BOOST_TEST(f.Header("X-Accel-Redirect").empty());
}

BOOST_AUTO_TEST_CASE(external_location_is_proxied_to_the_checked_address) {
  Fixture f;
  Image& image = f.registry.AddImage(kId, "active", 5);
  image.locations.push_back({1, "http://127.0.0.1:8080/images/a?x=1", "{}", "active"});
  BOOST_TEST(f.Call(Download, {kId}).ok());
  BOOST_TEST(f.Header("X-Accel-Redirect") == std::string("/_glance_image_source/") + kId);
  BOOST_TEST(f.Header("X-Glance-Source-Addr") == "127.0.0.1:8080");
  BOOST_TEST(f.Header("X-Glance-Source-Uri") == "/images/a?x=1");
  BOOST_TEST(f.Header("X-Glance-Source-Host") == "127.0.0.1:8080");
  // The location is not shown unless show_image_direct_url says so.
  BOOST_TEST(f.Header("X-Glance-Image-Headers").find("x-image-meta-location") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(location_that_became_forbidden_is_503) {
  Fixture f;
  ExternalSourceOptions strict;
  strict.forbidden.push_back(ForbiddenTarget::Parse("local:8080"));
  ExternalSources sources(strict);
  ApiServices v1{f.options, f.registry, f.store, sources, f.uploads};
  Image& image = f.registry.AddImage(kId, "active", 5);
  image.locations.push_back({1, "http://127.0.0.1:8080/a", "{}", "active"});
  ApiCall call{f.request, f.context, {kId}, &f.response, {}};
  Status s = Download(v1, call);
  BOOST_TEST(s.HttpStatus() == 503);
  BOOST_TEST(s.message() == std::string("The data of image ") + kId + " cannot be read from its location now.");
  BOOST_TEST(f.Header("X-Accel-Redirect").empty());
}

BOOST_AUTO_TEST_CASE(list_filters_longer_than_the_registry_takes_are_400_without_asking_it) {
  Fixture f;
  f.request.query_string = "name=" + std::string(7990, 'n');
  BOOST_TEST(f.Call(ListDetail, {}).ok());
  BOOST_TEST(f.registry.calls.size() == 1u);
  f.request.query_string = "name=" + std::string(8000, 'n');
  Status s = f.Call(ListDetail, {});
  BOOST_TEST(s.HttpStatus() == 400);
  BOOST_TEST(s.message() == "The list query is too long: its filters may take at most 8000 bytes.");
  BOOST_TEST(f.registry.calls.size() == 1u);
}

BOOST_AUTO_TEST_CASE(registry_outage_passes_through) {
  Fixture f;
  f.registry.refuse["GetImage"] = Status::Unavailable("registry down");
  BOOST_TEST(f.Call(Download, {kId}).HttpStatus() == 503);
  BOOST_TEST(f.Call(ShowMeta, {kId}).HttpStatus() == 503);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(v1_members)

BOOST_AUTO_TEST_CASE(read_only_context_changes_nothing) {
  Fixture f;
  f.context.read_only = true;
  f.Body(R"({"memberships": []})");
  for (V1Handler handler : {ReplaceMembers, AddMember, RemoveMember}) {
    Status s = f.Call(handler, {kId, kMember});
    BOOST_TEST(s.HttpStatus() == 403);
    BOOST_TEST(s.message() == "Read-only access");
  }
  BOOST_TEST(f.registry.calls.empty());
}

BOOST_AUTO_TEST_CASE(bad_image_and_member_ids_never_reach_the_registry) {
  Fixture f;
  BOOST_TEST(f.Call(AddMember, {"nope", kMember}).HttpStatus() == 404);
  BOOST_TEST(f.Call(RemoveMember, {"nope", kMember}).HttpStatus() == 404);
  BOOST_TEST(f.Call(ListMembers, {"nope"}).HttpStatus() == 404);
  BOOST_TEST(f.Call(AddMember, {kId, std::string(256, 'm')}).HttpStatus() == 400);
  BOOST_TEST(f.Call(SharedImages, {std::string(256, 'm')}).HttpStatus() == 400);
  BOOST_TEST(f.registry.calls.empty(), f.registry.Calls());
}

BOOST_AUTO_TEST_CASE(registry_forbidden_becomes_404_but_read_only_stays_403) {
  Fixture f;
  f.registry.refuse["RemoveMember"] = Status::Forbidden("not yours");
  Status s = f.Call(RemoveMember, {kId, kMember});
  BOOST_TEST(s.HttpStatus() == 404);
  BOOST_TEST(s.message() == "not yours");
  f.registry.refuse["RemoveMember"] = Status::Forbidden("Read-only access");
  BOOST_TEST(f.Call(RemoveMember, {kId, kMember}).HttpStatus() == 403);
}

BOOST_AUTO_TEST_CASE(add_member_reads_can_share_and_counts_the_quota) {
  Fixture f;
  f.options.image_member_quota = 1;
  f.Body(R"({"member": {"can_share": true}})");
  BOOST_TEST(f.Call(AddMember, {kId, kMember}).ok());
  BOOST_TEST(f.response.status == 204);
  BOOST_TEST(f.registry.calls.back() == std::string("AddMember ") + kId + " tenant-b share");
  // A second member would pass the quota of one: refused before the registry changes anything.
  f.registry.calls.clear();
  f.Body("");
  Status s = f.Call(AddMember, {kId, "tenant-c"});
  BOOST_TEST(s.HttpStatus() == 413);
  BOOST_TEST(f.registry.Calls() == std::string("ListMembers ") + kId);
}

BOOST_AUTO_TEST_CASE(empty_body_leaves_can_share_unset) {
  Fixture f;
  BOOST_TEST(f.Call(AddMember, {kId, kMember}).ok());
  BOOST_TEST(f.registry.calls.back() == std::string("AddMember ") + kId + " tenant-b share-unset");
}

BOOST_AUTO_TEST_CASE(replace_members_validates_the_whole_body_first) {
  Fixture f;
  f.options.image_member_quota = 2;
  for (const char* bad : {"not json", R"({"memberships": "x"})", R"({"memberships": [{"can_share": true}]})",
                          R"({"members": []})"}) {
    f.Body(bad);
    BOOST_TEST(f.Call(ReplaceMembers, {kId}).HttpStatus() == 400, bad);
  }
  f.Body(R"({"memberships": [{"member_id": "a"}, {"member_id": "b"}, {"member_id": "c"}]})");
  BOOST_TEST(f.Call(ReplaceMembers, {kId}).HttpStatus() == 413);
  BOOST_TEST(f.registry.calls.empty(), f.registry.Calls());
  f.Body(R"({"memberships": [{"member_id": "a", "can_share": false}, {"member_id": "b"}]})");
  BOOST_TEST(f.Call(ReplaceMembers, {kId}).ok());
  BOOST_TEST(f.response.status == 204);
  BOOST_TEST(f.registry.Calls() == std::string("ReplaceMembers ") + kId + " 2");
}

BOOST_AUTO_TEST_CASE(preflight_refuses_a_declared_oversized_body_and_calls_nothing) {
  Fixture f;
  f.request.preflight = true;
  f.request.content_length = (1 << 20) + 1;
  BOOST_TEST(f.Call(ReplaceMembers, {kId}).HttpStatus() == 413);
  BOOST_TEST(f.Call(AddMember, {kId, kMember}).HttpStatus() == 413);
  f.request.content_length = 100;
  BOOST_TEST(f.Call(AddMember, {kId, kMember}).ok());
  BOOST_TEST(f.registry.calls.empty(), f.registry.Calls());
}

BOOST_AUTO_TEST_CASE(lists_are_answered_in_the_v1_shape) {
  Fixture f;
  f.registry.members[kId] = {{kId, "tenant-b", true, "pending", "", ""}};
  BOOST_TEST(f.Call(ListMembers, {kId}).ok());
  auto body = nlohmann::json::parse(f.response.body);
  BOOST_TEST(body.dump() == R"({"members":[{"can_share":true,"member_id":"tenant-b"}]})");
  f.response = {};
  BOOST_TEST(f.Call(SharedImages, {"tenant-b"}).ok());
  body = nlohmann::json::parse(f.response.body);
  BOOST_TEST(body.dump() == std::string(R"({"shared_images":[{"can_share":true,"image_id":")") + kId + "\"}]}");
}

BOOST_AUTO_TEST_SUITE_END()
