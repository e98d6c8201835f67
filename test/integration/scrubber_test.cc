// glance-scrubber as operators run it: the real binary against a real
// glance-registry and PostgreSQL, with a store directory per test (spec §12).
#include <sys/stat.h>
#include <sys/time.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;
namespace fs = std::filesystem;

namespace {

struct Store {
  std::string datadir;
  std::string incoming;
};

Store MakeStore() {
  Store store;
  store.datadir = RequireEnv("GLANCE_TEST_TMPDIR") + "/" + Unique("scrub-store");
  store.incoming = store.datadir + "/_incoming";
  fs::create_directories(store.incoming);
  return store;
}

std::string WriteScrubberConfig(const Store& store, int registry_port, long scrub_time,
                                long grace) {
  std::string path = RequireEnv("GLANCE_TEST_TMPDIR") + "/" + Unique("scrubber") + ".conf";
  std::ofstream out(path);
  out << "[DEFAULT]\nregistry_host = 127.0.0.1\nregistry_port = " << registry_port
      << "\ndelayed_delete = true\nscrub_time = " << scrub_time
      << "\nscrubber_orphan_grace_time = " << grace << "\n[glance_store]\n"
      << "filesystem_store_datadir = " << store.datadir << "\n";
  return path;
}

ProcessResult Scrub(const std::string& config) {
  return RunProgram({RequireEnv("GLANCE_BIN_DIR") + "/glance-scrubber", "--config-file", config},
                    {}, 60s);
}

void WriteFile(const std::string& path, const std::string& data = "image bytes") {
  std::ofstream(path) << data;
}

void Age(const std::string& path, std::chrono::seconds age) {
  timeval times[2];
  gettimeofday(&times[0], nullptr);
  times[0].tv_sec -= age.count();
  times[1] = times[0];
  BOOST_REQUIRE(utimes(path.c_str(), times) == 0);
}

// An active image with data in `store`.
std::string ActiveImage(const Store& store) {
  json image = CreateImage(Shared().api(), Admin(),
                           {{"name", Unique("scrub")}, {"status", "active"}, {"size", 11},
                            {"disk_format", "raw"}, {"container_format", "bare"}});
  std::string id = image["id"];
  WriteFile(store.datadir + "/" + id);
  return id;
}

// What glance-api does on DELETE with delayed_delete: pending_delete, then
// the soft delete (which keeps that status).
std::string PendingDeleteImage(const Store& store) {
  std::string id = ActiveImage(store);
  Api api = Shared().api();
  Response r = api.PutJson("/images/" + id, Admin(), {{"image", {{"status", "pending_delete"}}}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  r = api.Delete("/images/" + id, Admin());
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  return id;
}

std::string StatusOf(const std::string& id) {
  Response r = Shared().api().Get("/images/" + id, Admin());
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.Describe());
  return r.Json()["image"]["status"];
}

bool Exists(const std::string& path) { return fs::exists(path); }

// "N images scrubbed" of the summary line.
int Scrubbed(const ProcessResult& r) {
  std::smatch m;
  std::string all = r.output + r.errors;
  if (!std::regex_search(all, m, std::regex("scrub pass done: ([0-9]+) images scrubbed"))) return -1;
  return std::stoi(m[1]);
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + ": " + Tail(r.output + r.errors, 1500);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scrubber, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(pending_delete_image_loses_its_data_and_becomes_deleted) {
  Store store = MakeStore();
  std::string id = PendingDeleteImage(store);
  std::string config = WriteScrubberConfig(store, Shared().registry().port(), 0, 86400);
  ProcessResult r = Scrub(config);
  BOOST_TEST_REQUIRE((r.exited && r.exit_code == 0), Describe(r));
  BOOST_TEST(!Exists(store.datadir + "/" + id));
  BOOST_TEST(StatusOf(id) == "deleted");
  BOOST_TEST((r.errors.find("image " + id + ": status pending_delete -> deleted, data removed") !=
              std::string::npos), Describe(r));

  // Again: nothing left to do, and that is no error.
  ProcessResult again = Scrub(config);
  BOOST_TEST((again.exited && again.exit_code == 0), Describe(again));
  BOOST_TEST(StatusOf(id) == "deleted");
}

BOOST_AUTO_TEST_CASE(data_stays_until_scrub_time_is_over) {
  Store store = MakeStore();
  std::string id = PendingDeleteImage(store);
  std::string config = WriteScrubberConfig(store, Shared().registry().port(), 3600, 86400);
  ProcessResult r = Scrub(config);
  BOOST_TEST_REQUIRE((r.exited && r.exit_code == 0), Describe(r));
  BOOST_TEST(Exists(store.datadir + "/" + id));
  BOOST_TEST(StatusOf(id) == "pending_delete");

  // Deleted two hours ago: past scrub_time.
  Shared().sql() << "UPDATE images SET deleted_at = now() AT TIME ZONE 'UTC' - interval '2 hours' "
                    "WHERE id = :id", soci::use(id);
  r = Scrub(config);
  BOOST_TEST_REQUIRE((r.exited && r.exit_code == 0), Describe(r));
  BOOST_TEST(!Exists(store.datadir + "/" + id));
  BOOST_TEST(StatusOf(id) == "deleted");
}

BOOST_AUTO_TEST_CASE(scrubbers_running_at_once_scrub_each_image_once) {
  Store store = MakeStore();
  std::vector<std::string> ids;
  for (int i = 0; i < 15; ++i) ids.push_back(PendingDeleteImage(store));
  long long pending = Shared().Count("SELECT count(*) FROM images WHERE status = 'pending_delete' "
                                     "AND deleted_at <= now() AT TIME ZONE 'UTC'");
  std::string config = WriteScrubberConfig(store, Shared().registry().port(), 0, 86400);
  std::vector<pid_t> pids;
  std::vector<std::string> logs;
  for (int i = 0; i < 3; ++i) {
    logs.push_back(RequireEnv("GLANCE_TEST_TMPDIR") + "/" + Unique("scrub-run") + ".log");
    pids.push_back(SpawnProgram(
        {RequireEnv("GLANCE_BIN_DIR") + "/glance-scrubber", "--config-file", config}, logs.back()));
  }
  int total = 0;
  for (size_t i = 0; i < pids.size(); ++i) {
    ProcessResult r = WaitChild(pids[i], 60s);
    r.output = ReadFile(logs[i]);
    BOOST_TEST((r.exited && r.exit_code == 0), Describe(r));
    int n = Scrubbed(r);
    BOOST_TEST(n >= 0, Describe(r));
    total += std::max(n, 0);
  }
  // Exactly one scrubber won each status change; the others were told 409.
  BOOST_TEST(total == pending);
  for (const std::string& id : ids) {
    BOOST_TEST(StatusOf(id) == "deleted");
    BOOST_TEST(!Exists(store.datadir + "/" + id));
  }
}

BOOST_AUTO_TEST_CASE(orphaned_store_files_go_after_the_grace_period) {
  Store store = MakeStore();
  std::string live = ActiveImage(store);
  std::string no_record = RandomUuid();
  WriteFile(store.datadir + "/" + no_record);
  // Deleted at once (no delayed delete) but its file stayed behind, as
  // after a crash between the two steps.
  std::string deleted = ActiveImage(store);
  BOOST_REQUIRE(Shared().api().Delete("/images/" + deleted, Admin()).status == 200);
  WriteFile(store.datadir + "/not-an-image.txt");

  // Fresh files are left alone.
  ProcessResult r = Scrub(WriteScrubberConfig(store, Shared().registry().port(), 0, 3600));
  BOOST_TEST_REQUIRE((r.exited && r.exit_code == 0), Describe(r));
  BOOST_TEST(Exists(store.datadir + "/" + no_record));
  BOOST_TEST(Exists(store.datadir + "/" + deleted));

  r = Scrub(WriteScrubberConfig(store, Shared().registry().port(), 0, 0));
  BOOST_TEST_REQUIRE((r.exited && r.exit_code == 0), Describe(r));
  BOOST_TEST(!Exists(store.datadir + "/" + no_record));
  BOOST_TEST(!Exists(store.datadir + "/" + deleted));
  BOOST_TEST(Exists(store.datadir + "/" + live));
  BOOST_TEST(Exists(store.datadir + "/not-an-image.txt"));
  BOOST_TEST(StatusOf(live) == "active");
  BOOST_TEST((r.errors.find("(no image record)") != std::string::npos), Describe(r));
}

BOOST_AUTO_TEST_CASE(stale_uploads_go_fresh_ones_stay) {
  Store store = MakeStore();
  std::string stale = store.incoming + "/0000000007";
  std::string fresh = store.incoming + "/0000000008";
  WriteFile(stale);
  WriteFile(fresh);
  Age(stale, std::chrono::hours(48));
  ProcessResult r = Scrub(WriteScrubberConfig(store, Shared().registry().port(), 0, 86400));
  BOOST_TEST_REQUIRE((r.exited && r.exit_code == 0), Describe(r));
  BOOST_TEST(!Exists(stale));
  BOOST_TEST(Exists(fresh));
  BOOST_TEST((r.errors.find("removed stale upload " + stale) != std::string::npos), Describe(r));
}

BOOST_AUTO_TEST_CASE(registry_outage_fails_the_pass_and_removes_nothing) {
  Store store = MakeStore();
  std::string orphan = store.datadir + "/" + RandomUuid();
  WriteFile(orphan);
  ProcessResult r = Scrub(WriteScrubberConfig(store, FreePort(), 0, 0));
  BOOST_TEST((r.exited && r.exit_code == 1), Describe(r));
  BOOST_TEST((r.errors.find("cannot list pending_delete images") != std::string::npos), Describe(r));
  BOOST_TEST(Exists(orphan));
}

BOOST_AUTO_TEST_CASE(bad_configuration_is_refused_clearly) {
  Store store = MakeStore();
  ProcessResult r = Scrub(WriteScrubberConfig(store, Shared().registry().port(), -5, 0));
  BOOST_TEST((r.exited && r.exit_code == 2), Describe(r));
  BOOST_TEST((r.errors.find("scrub_time must not be negative") != std::string::npos), Describe(r));
  ProcessResult missing = RunProgram({RequireEnv("GLANCE_BIN_DIR") + "/glance-scrubber",
                                      "--config-file", store.datadir + "/missing.conf"}, {}, 10s);
  BOOST_TEST((missing.exited && missing.exit_code == 2), Describe(missing));
  BOOST_TEST((missing.errors.find("cannot read config file") != std::string::npos));
}

BOOST_AUTO_TEST_SUITE_END()
