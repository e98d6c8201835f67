// [database] slave_connection against a real streaming replica: lists are
// answered by the replica once it has replayed what the primary had
// committed, never with less (replay paused: the primary answers), and
// from the primary when the replica is gone; after a failover (replica
// promoted, multi-host connection) writes go on.
#include <chrono>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

// Sessions of the registry on `cluster` whose last statement was a list
// (pg_stat_activity keeps the last query of an idle session, its first 1 kB;
// the counters of pg_stat_database are flushed too late to tell).
int ListingSessions(const ThrowawayCluster& cluster, const std::string& db) {
  return std::stoi(cluster.Sql("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db +
                               "' AND query LIKE 'SELECT CAST((jsonb_build_object(%' AND pid <> pg_backend_pid()"));
}

std::set<std::string> ListedNames(const Api& api, const Headers& h) {
  Response r = api.Get("/images/detail?limit=1000", h);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  std::set<std::string> names;
  json body = r.Json();
  for (const json& image : body["images"]) names.insert(image.value("name", ""));
  return names;
}

void WaitForReplay(const ThrowawayCluster& primary, const ThrowawayCluster& replica) {
  std::string lsn = primary.Sql("SELECT pg_current_wal_lsn()");
  for (int i = 0; i < 100; ++i) {
    if (replica.Sql("SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'") == "t") return;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_FAIL("the replica did not catch up in 5 s");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_replica)

BOOST_AUTO_TEST_CASE(lists_from_the_replica_never_miss_an_acknowledged_write) {
  ThrowawayCluster primary;
  Database db(primary.target());
  std::string conf = WriteRegistryConfig(db.Url(), 9191, {});
  ProcessResult sync = RunManage(conf, {"db_sync"});
  BOOST_REQUIRE_MESSAGE(sync.exited && sync.exit_code == 0, "db_sync: " << sync.output << sync.errors);
  ThrowawayCluster replica(&primary);
  BOOST_REQUIRE(replica.Sql("SELECT pg_is_in_recovery()") == "t");
  std::string replica_url = "postgresql://postgres@/" + db.name() + "?host=" + replica.target().host +
                            "&port=" + replica.target().port;
  // The primary named with the replica in one multi-host URL, as a
  // deployment with failover does.
  std::string both = "postgresql://postgres@/" + db.name() + "?host=" + primary.target().host + "," +
                     replica.target().host + "&port=" + primary.target().port + "," +
                     replica.target().port + "&target_session_attrs=read-write&connect_timeout=2";
  RegistryConfig config;
  config.slave_connection = replica_url;
  RegistryProcess registry(both, config);
  Api api = registry.api();
  Headers h = ForTenant(Unique("t-replica"));

  for (int i = 0; i < 5; ++i) CreateImage(api, h, {{"name", "seen-" + std::to_string(i)}});
  WaitForReplay(primary, replica);
  BOOST_TEST(ListingSessions(replica, db.name()) == 0);
  for (int i = 0; i < 10; ++i) BOOST_TEST(ListedNames(api, h).size() == 5u);
  BOOST_TEST(ListingSessions(replica, db.name()) >= 1, "the replica answered the lists");

  // Replay paused: the replica is behind, so the primary answers and the
  // write just acknowledged is listed at once.
  replica.Sql("SELECT pg_wal_replay_pause()");
  CreateImage(api, h, {{"name", "while-paused"}});
  std::set<std::string> names = ListedNames(api, h);
  BOOST_TEST(names.count("while-paused") == 1u);
  BOOST_TEST(names.size() == 6u);
  replica.Sql("SELECT pg_wal_replay_resume()");

  // The replica gone: lists go on from the primary.
  replica.Stop();
  BOOST_TEST(ListedNames(api, h).size() == 6u);
  replica.Start();

  // Failover: the primary dies, the replica is promoted; the multi-host
  // connection finds the new primary.  Writes in flight may be refused
  // (503), never answered 500; then they succeed again.
  WaitForReplay(primary, replica);
  primary.Stop();
  replica.Promote();
  auto deadline = std::chrono::steady_clock::now() + 15s;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    Response r = api.PostJson("/images", h, {{"image", {{"name", "after-failover"}}}});
    status = r.status;
    if (status == 200) break;
    BOOST_TEST(status == 503, "during the failover: " << r.Describe());
    std::this_thread::sleep_for(200ms);
  }
  BOOST_TEST(status == 200, "no write succeeded within 15 s of the promotion; log:\n" << registry.LogTail());
  names = ListedNames(api, h);
  BOOST_TEST(names.size() == 7u);
  BOOST_TEST(names.count("after-failover") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
