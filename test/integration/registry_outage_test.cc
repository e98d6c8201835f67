// Database outage: a registry on a throwaway PostgreSQL cluster answers 503
// (and stays up) while the cluster is down, and recovers by itself when it
// comes back.  The shared cluster is never touched.
#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <regex>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

struct Call {
  std::string what;
  std::function<Response()> run;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_outage)

BOOST_AUTO_TEST_CASE(database_restart_gives_503_then_recovers) {
  ThrowawayCluster cluster;
  Database db(cluster.target());
  std::string conf = WriteRegistryConfig(db.Url(), 9191, {});
  ProcessResult sync = RunManage(conf, {"db_sync"});
  BOOST_REQUIRE_MESSAGE(sync.exited && sync.exit_code == 0, "db_sync: " << sync.output << sync.errors);
  RegistryProcess registry(db.Url());
  Api api = registry.api();

  Headers h = ForTenant(Unique("t-outage"));
  std::string id = S(CreateImage(api, h, {{"name", "survivor"}, {"properties", {{"k", "v"}}}}), "id");
  std::string victim = S(CreateImage(api, h, {{"name", "victim"}}), "id");
  BOOST_REQUIRE(api.Get("/images/" + id, h).status == 200);
  // Warm every worker's connection so the pool holds connections that die.
  for (int i = 0; i < 16; ++i) BOOST_REQUIRE(api.Get("/images/detail", h).status == 200);

  std::vector<Call> calls = {
      {"GET /images", [&] { return api.Get("/images", h); }},
      {"GET /images/detail", [&] { return api.Get("/images/detail", h); }},
      {"GET /images/{id}", [&] { return api.Get("/images/" + id, h); }},
      {"POST /images", [&] { return api.PostJson("/images", h, {{"image", {{"name", "during"}}}}); }},
      {"PUT /images/{id}", [&] { return api.PutJson("/images/" + id, h, {{"image", {{"name", "renamed"}}}}); }},
      {"DELETE /images/{id}", [&] { return api.Delete("/images/" + victim, h); }},
      {"GET members", [&] { return api.Get("/images/" + id + "/members", h); }},
      {"PUT member", [&] { return api.Put("/images/" + id + "/members/t-x", h); }},
      {"GET shared-images", [&] { return api.Get("/shared-images/t-x", h); }},
  };

  cluster.Stop();
  for (int round = 0; round < 3; ++round) {
    for (const auto& call : calls) {
      auto start = std::chrono::steady_clock::now();
      Response r = call.run();
      auto took = std::chrono::steady_clock::now() - start;
      BOOST_TEST(r.status == 503, "database down, round " << round << ", " << call.what << " -> " << r.Describe());
      BOOST_TEST((took < 10s), call.what << " took "
                                       << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                       << " ms");
      BOOST_REQUIRE_MESSAGE(registry.Alive(), "registry died during the outage; log:\n" << registry.LogTail());
    }
  }
  BOOST_TEST(registry.Alive());

  cluster.Start();
  auto restarted = std::chrono::steady_clock::now();
  auto deadline = restarted + 15s;
  int consecutive = 0;
  std::string last;
  bool first_success_logged = false;
  while (consecutive < 20 && std::chrono::steady_clock::now() < deadline) {
    const auto& call = calls[static_cast<size_t>(consecutive) % 3];  // read-only calls
    Response r = call.run();
    if (r.status == 200) {
      if (!first_success_logged) {
        first_success_logged = true;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted);
        BOOST_TEST_MESSAGE("first success " << ms.count() << " ms after the database came back");
        BOOST_TEST((ms < 10s + 2s), "recovery took " << ms.count() << " ms");
      }
      ++consecutive;
    } else {
      BOOST_TEST((r.status == 503), "during recovery " << call.what << " -> " << r.Describe());
      last = r.Describe();
      consecutive = 0;
      std::this_thread::sleep_for(200ms);
    }
  }
  BOOST_REQUIRE_MESSAGE(consecutive >= 20, "registry did not recover within 15 s of the database restart; last: "
                                               << last << "; log:\n" << registry.LogTail());

  // Everything works again, writes included, and nothing was lost.
  json again = CreateImage(api, h, {{"name", "after"}});
  BOOST_TEST(api.Get("/images/" + S(again, "id"), h).status == 200);
  Response r = api.Get("/images/" + id, h);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(S(r.Json()["image"]["properties"], "k") == "v");
  BOOST_TEST(api.PutJson("/images/" + id, h, {{"image", {{"name", "renamed"}}}}).status == 200);
  BOOST_TEST(api.Put("/images/" + id + "/members/t-x", h).status == 204);
  BOOST_TEST(api.Get("/shared-images/t-x", h).status == 200);
  for (int i = 0; i < 16; ++i) {
    Response d = api.Get("/images/detail", h);
    BOOST_TEST(d.status == 200, "after recovery #" << i << ": " << d.Describe());
  }
  BOOST_TEST(registry.Alive());
  ProcessResult stopped = registry.Stop();
  BOOST_TEST(!stopped.timed_out, "registry needed SIGKILL");
}

BOOST_AUTO_TEST_SUITE_END()
