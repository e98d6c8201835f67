// The registry's share of issue 10: user_storage_quota reserved when an
// update gives a saving/active image its size (atomically per tenant), the
// storage usage route, and the recovery of uploads nobody keeps alive.
#include <thread>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

std::string Queued(const Api& api, const std::string& tenant) {
  return CreateImage(api, ForTenant(tenant), {{"name", Unique("acct")}, {"status", "queued"}})["id"];
}

Response Reserve(const Api& api, const std::string& tenant, const std::string& id, int64_t size,
                 int64_t quota) {
  return api.PutJson("/images/" + id, ForTenant(tenant),
                     {{"image", {{"status", "saving"}, {"size", size}}},
                      {"from_state", "queued"},
                      {"storage_quota", quota}});
}

int64_t Usage(const Api& api, const std::string& tenant) {
  Response r = api.Get("/storage-usage", ForTenant(tenant));
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  BOOST_TEST(r.Json()["owner"] == tenant);
  return r.Json()["storage_bytes"].get<int64_t>();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_upload_accounting, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(saving_reserves_the_size_against_the_quota) {
  Env& env = Shared();
  Api api = env.api();
  std::string tenant = Unique("t-quota");
  std::string a = Queued(api, tenant), b = Queued(api, tenant);
  BOOST_TEST(Usage(api, tenant) == 0);
  BOOST_TEST(Reserve(api, tenant, a, 600, 1000).status == 200);
  BOOST_TEST(Usage(api, tenant) == 600);
  DbSnapshot before = env.Snapshot();
  Response over = Reserve(api, tenant, b, 401, 1000);
  BOOST_TEST(over.status == 413, over.Describe());
  BOOST_TEST(over.body.find("The size of the data 401 will exceed the limit. 400 bytes remaining.") !=
             std::string::npos, over.body);
  BOOST_TEST(env.Snapshot() == before, "a refused reservation changed a row");
  BOOST_TEST(Reserve(api, tenant, b, 400, 1000).status == 200);
  // Without a quota the same update is not counted.
  std::string c = Queued(api, tenant);
  Response free = api.PutJson("/images/" + c, ForTenant(tenant), {{"image", {{"status", "saving"}, {"size", 5000}}}});
  BOOST_TEST(free.status == 200, free.Describe());
  BOOST_TEST(Usage(api, tenant) == 6000);
  Response bad = api.PutJson("/images/" + c, ForTenant(tenant), {{"image", json::object()}, {"storage_quota", "lots"}});
  BOOST_TEST(bad.status == 400, bad.Describe());
}

BOOST_AUTO_TEST_CASE(concurrent_reservations_admit_exactly_the_quota) {
  Env& env = Shared();
  Api api = env.api();
  std::string tenant = Unique("t-race");
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(Queued(api, tenant));
  std::vector<int> statuses(ids.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] { statuses[i] = Reserve(api, tenant, ids[i], 100, 350).status; });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(std::count(statuses.begin(), statuses.end(), 200) == 3);
  BOOST_TEST(std::count(statuses.begin(), statuses.end(), 413) == 7);
  BOOST_TEST(Usage(api, tenant) == 300);
}

BOOST_AUTO_TEST_CASE(stale_uploads_are_killed_once_and_live_ones_kept) {
  Env& env = Shared();
  Api api = env.api();
  std::string tenant = Unique("t-stale");
  std::string stale = Queued(api, tenant), live = Queued(api, tenant);
  BOOST_TEST(Reserve(api, tenant, stale, 10, 0).status == 200);
  BOOST_TEST(Reserve(api, tenant, live, 10, 0).status == 200);
  env.sql() << "UPDATE images SET updated_at = updated_at - interval '1 hour' WHERE id = '" + stale + "'";
  Response member = api.PostJson("/maintenance/stale-uploads", ForTenant(tenant), {{"stale_seconds", 60}});
  BOOST_TEST(member.status == 403, member.Describe());
  Response bad = api.PostJson("/maintenance/stale-uploads", Admin(), {{"stale_seconds", 0}});
  BOOST_TEST(bad.status == 400, bad.Describe());
  Response first = api.PostJson("/maintenance/stale-uploads", Admin(), {{"stale_seconds", 60}});
  BOOST_TEST_REQUIRE(first.status == 200, first.Describe());
  BOOST_TEST(first.Json()["killed"] == json::array({stale}));
  Response again = api.PostJson("/maintenance/stale-uploads", Admin(), {{"stale_seconds", 60}});
  BOOST_TEST(again.Json()["killed"] == json::array());
  BOOST_TEST(env.Text("SELECT status FROM images WHERE id = :p", stale).value_or("") == "killed");
  BOOST_TEST(env.Text("SELECT status FROM images WHERE id = :p", live).value_or("") == "saving");
  // A heartbeat (an empty update from saving) keeps an upload fresh.
  Response beat = api.PutJson("/images/" + live, Admin(), {{"image", json::object()}, {"from_state", "saving"}});
  BOOST_TEST(beat.status == 200, beat.Describe());
}

BOOST_AUTO_TEST_SUITE_END()
