// The scrubber against a FakeStore and an in-process registry stand-in:
// which store entries each pass removes, without files or PostgreSQL (the
// real binary against the real registry is test/integration/scrubber_test).
#include "glance/scrubber/scrubber.h"

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <map>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "fake_store.h"
#include "glance/common/uuid.h"
#include "glance/image/image.h"
#include "glance/image/image_json.h"

using namespace glance;
using nlohmann::json;

namespace {

// Answers the scrubber's three registry calls from `statuses` (id ->
// status; pending_delete images are listed as deleted long ago).  A
// status of "fail" makes the lookup of that image answer 500.
class FakeRegistry {
 public:
  std::map<std::string, std::string> statuses;

  FakeRegistry() {
    server_.Get("/images/detail", [this](const httplib::Request& req, httplib::Response& res) {
      json images = json::array();
      if (!req.has_param("marker")) {
        for (const auto& [id, status] : statuses) {
          if (status != "pending_delete") continue;
          images.push_back({{"id", id}, {"status", status}, {"deleted_at", "2020-01-01T00:00:00"}});
        }
      }
      res.set_content(json{{"images", images}}.dump(), "application/json");
    });
    server_.Get(R"(/images/([0-9a-f-]+))", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
      Answer(req.matches[1], res);
    });
    server_.Put(R"(/images/([0-9a-f-]+))", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
      auto it = statuses.find(req.matches[1]);
      if (it != statuses.end()) it->second = json::parse(req.body)["image"]["status"].get<std::string>();
      Answer(req.matches[1], res);
    });
    // The scrubber's kept connection would hold stop() for the default 5 s.
    server_.set_keep_alive_timeout(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeRegistry() {
    server_.stop();
    thread_.join();
  }

  ScrubberOptions Options(int64_t grace) const {
    ScrubberOptions options;
    options.registry.port = port_;
    options.registry.timeout_seconds = 5;
    options.datadir = "/fake/images";
    options.orphan_grace_seconds = grace;
    return options;
  }

 private:
  void Answer(const std::string& id, httplib::Response& res) {
    auto it = statuses.find(id);
    if (it == statuses.end() || it->second == "fail") {
      res.status = it == statuses.end() ? 404 : 500;
      res.set_content(json{{"message", "no"}}.dump(), "application/json");
      return;
    }
    Image image;
    image.id = id;
    image.status = it->second;
    image.created_at = image.updated_at = "2020-01-01T00:00:00.000000";
    res.set_content(json{{"image", ImageToRegistryJson(image)}}.dump(), "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(scrubber)

BOOST_AUTO_TEST_CASE(removes_through_the_store_what_no_live_image_owns) {
  FakeRegistry registry;
  test::FakeStore store;
  std::time_t now = std::time(nullptr);
  std::string pending = NewUuid(), live = NewUuid(), killed = NewUuid(), no_record = NewUuid(),
              fresh = NewUuid();
  registry.statuses = {{pending, "pending_delete"}, {live, "active"}, {killed, "killed"}};
  for (const std::string& id : {pending, live, killed, no_record}) store.AddImage(id, now - 7200);
  store.AddImage(fresh, now - 60);
  store.AddUpload("stale", now - 7200);
  store.AddUpload("held", now - 7200);
  store.in_use.insert("held");
  store.AddUpload("new", now - 60);

  Scrubber scrubber(registry.Options(3600), store);
  ScrubReport report;
  BOOST_TEST_REQUIRE(scrubber.Run(now, &report).ok());
  BOOST_TEST(report.scrubbed == 1);
  BOOST_TEST(report.orphan_files == 2);
  BOOST_TEST(report.stale_uploads == 1);
  BOOST_TEST(report.errors == 0);
  BOOST_TEST(registry.statuses[pending] == "deleted");
  BOOST_TEST(!store.images.count(pending));
  BOOST_TEST(!store.images.count(killed));
  BOOST_TEST(!store.images.count(no_record));
  BOOST_TEST(store.images.count(live));
  BOOST_TEST(store.images.count(fresh));  // within the grace period
  BOOST_TEST(!store.uploads.count("stale"));
  BOOST_TEST(store.uploads.count("held"));
  BOOST_TEST(store.uploads.count("new"));
  BOOST_TEST(store.discarded == std::vector<std::string>{"stale"});

  // Nothing left to do: a second pass removes nothing.
  store.removed.clear();
  BOOST_TEST_REQUIRE(scrubber.Run(now, &report).ok());
  BOOST_TEST(report.scrubbed + report.orphan_files + report.stale_uploads + report.errors == 0);
  BOOST_TEST(store.removed.empty());
}

BOOST_AUTO_TEST_CASE(a_failed_lookup_or_listing_removes_nothing) {
  FakeRegistry registry;
  test::FakeStore store;
  std::time_t now = std::time(nullptr);
  std::string unsure = NewUuid();
  registry.statuses = {{unsure, "fail"}};
  store.AddImage(unsure, now - 7200);
  store.AddImage(NewUuid(), now - 7200);
  Scrubber scrubber(registry.Options(0), store);
  ScrubReport report;
  BOOST_TEST_REQUIRE(scrubber.Run(now, &report).ok());
  BOOST_TEST(report.errors == 1);  // the orphan scan stopped at the first failed lookup
  BOOST_TEST(store.images.count(unsure));

  test::FakeStore broken;
  broken.fail_listing = Status::Unavailable("cannot read the store");
  Scrubber blind(registry.Options(0), broken);
  BOOST_TEST_REQUIRE(blind.Run(now, &report).ok());
  BOOST_TEST(report.errors == 2);  // the orphan scan and the upload sweep
  BOOST_TEST(broken.removed.empty());
  BOOST_TEST(broken.discarded.empty());
}

BOOST_AUTO_TEST_SUITE_END()
