// glance-manage (db_sync, db_version) and the command lines of the programs.
#include <algorithm>
#include <filesystem>
#include <regex>

#include <boost/test/unit_test.hpp>
#include <soci/postgresql/soci-postgresql.h>

#include "registry_fixture.h"

using namespace it;

namespace {

std::string Schema(soci::session& sql) {
  std::string out;
  soci::indicator ind = soci::i_null;
  sql << "SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' "
         "ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema = 'public'",
      soci::into(out, ind);
  std::string indexes;
  soci::indicator ind2 = soci::i_null;
  sql << "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'",
      soci::into(indexes, ind2);
  return (ind == soci::i_ok ? out : "") + "|" + (ind2 == soci::i_ok ? indexes : "");
}

bool TableExists(soci::session& sql, const std::string& table) {
  std::string name;
  soci::indicator ind = soci::i_null;
  sql << "SELECT to_regclass(:t)::text", soci::use(table), soci::into(name, ind);
  return ind == soci::i_ok && !name.empty();
}

// The highest NNN of sql/NNN_*.sql, or 0 when the directory is not found.
long LatestMigration() {
  long latest = 0;
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(RequireEnv("GLANCE_SCRIPTS_DIR")) / ".." / "sql";
  static const std::regex re("^([0-9]+)_.*\\.sql$");
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::smatch m;
    std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, re)) latest = std::max(latest, std::stol(m[1].str()));
  }
  return latest;
}

std::string Trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(manage)

BOOST_AUTO_TEST_CASE(db_sync_creates_schema_and_is_idempotent) {
  Database db;
  std::string conf = WriteRegistryConfig(db.Url(), 9191, {});
  ProcessResult first = RunManage(conf, {"db_sync"});
  BOOST_REQUIRE_MESSAGE(first.exited && first.exit_code == 0,
                        "db_sync exit " << first.exit_code << ": " << first.output << first.errors);
  soci::session sql(soci::postgresql, db.SociConnect());
  for (const char* table : {"images", "image_properties", "image_members", "image_locations", "image_tags"}) {
    BOOST_TEST(TableExists(sql, table), "table " << table);
  }
  std::string schema = Schema(sql);

  ProcessResult second = RunManage(conf, {"db_sync"});
  BOOST_TEST((second.exited && second.exit_code == 0),
             "second db_sync exit " << second.exit_code << ": " << second.output << second.errors);
  BOOST_TEST(Schema(sql) == schema);
  ProcessResult third = RunManage(conf, {"db_sync"});
  BOOST_TEST((third.exited && third.exit_code == 0), third.output << third.errors);
  BOOST_TEST(Schema(sql) == schema);
}

BOOST_AUTO_TEST_CASE(db_version_prints_latest_version) {
  Database db;
  std::string conf = WriteRegistryConfig(db.Url(), 9191, {});
  ProcessResult sync = RunManage(conf, {"db_sync"});
  BOOST_REQUIRE_MESSAGE(sync.exited && sync.exit_code == 0, sync.output << sync.errors);
  ProcessResult version = RunManage(conf, {"db_version"});
  BOOST_REQUIRE_MESSAGE(version.exited && version.exit_code == 0,
                        "db_version exit " << version.exit_code << ": " << version.output << version.errors);
  std::string printed = Trimmed(version.output);
  BOOST_REQUIRE_MESSAGE(std::regex_match(printed, std::regex("^[0-9]+$")),
                        "db_version printed '" << printed << "' on stdout");
  long v = std::stol(printed);
  BOOST_TEST(v > 0);
  long latest = LatestMigration();
  if (latest > 0) BOOST_TEST(v == latest);

  // Unchanged by another db_sync.
  BOOST_REQUIRE(RunManage(conf, {"db_sync"}).exit_code == 0);
  BOOST_TEST(Trimmed(RunManage(conf, {"db_version"}).output) == printed);
}

BOOST_AUTO_TEST_CASE(db_sync_keeps_existing_data) {
  Env env;
  Api api = env.api();
  Headers h = ForTenant(Unique("t-manage"));
  std::string id = S(CreateImage(api, h, {{"name", "kept"}, {"properties", {{"k", "v"}}}}), "id");
  BOOST_REQUIRE(api.Put("/images/" + id + "/members/t-m", h).status == 204);
  DbSnapshot before = env.Snapshot();
  ProcessResult sync = RunManage(env.registry().config_path(), {"db_sync"});
  BOOST_TEST((sync.exited && sync.exit_code == 0), sync.output << sync.errors);
  BOOST_TEST(env.Snapshot() == before);
  Response r = api.Get("/images/" + id, h);
  BOOST_TEST(r.status == 200, r.Describe());
}

BOOST_AUTO_TEST_CASE(db_sync_against_missing_database_fails) {
  PgTarget target = PgTarget::FromEnv();
  std::string name = Unique("glance_it_missing");
  std::replace(name.begin(), name.end(), '-', '_');
  std::string url = "postgresql://postgres@/" + name + "?host=" + target.host + "&port=" + target.port;
  std::string conf = WriteRegistryConfig(url, 9191, {});
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = RunManage(conf, {"db_sync"}, 30s);
  BOOST_TEST(!r.timed_out);
  BOOST_TEST(!(r.exited && r.exit_code == 0), "db_sync succeeded against a missing database");
  BOOST_TEST((std::chrono::steady_clock::now() - start < 30s));
  r = RunManage(conf, {"db_version"}, 30s);
  BOOST_TEST(!(r.exited && r.exit_code == 0), "db_version succeeded against a missing database");
}

BOOST_AUTO_TEST_CASE(manage_rejects_bad_usage) {
  std::string bin = RequireEnv("GLANCE_BIN_DIR") + "/glance-manage";
  Database db;
  std::string conf = WriteRegistryConfig(db.Url(), 9191, {});
  ProcessResult r = RunManage(conf, {"no_such_command"}, 30s);
  BOOST_TEST((!r.timed_out && !(r.exited && r.exit_code == 0)), "unknown command accepted");
  r = RunProgram({bin, "--config-file", RequireEnv("GLANCE_TEST_TMPDIR") + "/" + Unique("missing") + ".conf",
                  "db_sync"}, {}, 30s);
  BOOST_TEST((!r.timed_out && !(r.exited && r.exit_code == 0)), "missing config file accepted");
}

BOOST_AUTO_TEST_CASE(registry_command_line) {
  std::string bin = RequireEnv("GLANCE_BIN_DIR") + "/glance-registry";
  ProcessResult help = RunProgram({bin, "--help"}, {}, 10s);
  BOOST_TEST((help.exited && help.exit_code == 0), "--help: " << help.errors);
  BOOST_TEST(!(help.output + help.errors).empty());
  ProcessResult version = RunProgram({bin, "--version"}, {}, 10s);
  BOOST_TEST((version.exited && version.exit_code == 0), "--version: " << version.errors);
  BOOST_TEST(!Trimmed(version.output + version.errors).empty());

  ProcessResult missing = RunProgram(
      {bin, "--config-file", RequireEnv("GLANCE_TEST_TMPDIR") + "/" + Unique("missing") + ".conf"}, {}, 10s);
  BOOST_TEST(!missing.timed_out, "glance-registry kept running without its config file");
  BOOST_TEST(!(missing.exited && missing.exit_code == 0));
}

BOOST_AUTO_TEST_SUITE_END()
