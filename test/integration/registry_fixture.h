// Integration-test fixture: a private database, glance-manage db_sync, a
// glance-registry process on a free 127.0.0.1 port and direct SQL helpers
// for "nothing changed in the database" assertions.  The HTTP client,
// processes and small helpers are test/support's.
//
// Environment (exported by scripts/run-tests):
//   GLANCE_BIN_DIR, GLANCE_TEST_PG_HOST, GLANCE_TEST_PG_PORT,
//   GLANCE_SCRIPTS_DIR, GLANCE_TEST_TMPDIR.
//
// Each test suite that talks to a registry is declared with the
// `SuiteScope` decorator; its test cases call `it::Shared()`, which starts
// (once per suite, lazily) a fresh database plus a trusted-auth registry.
// A start-up failure therefore fails each test case with a clear message
// instead of silently skipping the suite.
#ifndef GLANCE_TEST_INTEGRATION_REGISTRY_FIXTURE_H_
#define GLANCE_TEST_INTEGRATION_REGISTRY_FIXTURE_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include "../support/files.h"
#include "../support/free_port.h"
#include "../support/http_client.h"
#include "../support/process.h"
#include "../support/text.h"

namespace it {

using namespace testsupport;

// How the tests talk to a registry: short timeouts (one daemon, small
// bodies), paths sent as written, JSON bodies.
ClientOptions RegistryClientOptions();

// ------------------------------------------------------------ PostgreSQL

struct PgTarget {
  std::string host;  // unix socket directory
  std::string port;
  static PgTarget FromEnv();
};

// A fresh database `glance_it_<pid>_<n>` created through the maintenance
// database `postgres`; dropped (WITH (FORCE)) on destruction.
class Database {
 public:
  explicit Database(PgTarget target = PgTarget::FromEnv());
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& name() const { return name_; }
  const PgTarget& target() const { return target_; }
  // The `[database] connection` URL for glance's config file.
  std::string Url() const;
  // A SOCI/libpq connection string for this database.
  std::string SociConnect() const;

 private:
  PgTarget target_;
  std::string name_;
};

// Row counts plus a digest of every table's rows, to prove a request left
// the database alone.
struct DbSnapshot {
  std::map<std::string, std::string> tables;  // table -> "<count>:<md5>"
  bool operator==(const DbSnapshot& other) const { return tables == other.tables; }
};
std::ostream& operator<<(std::ostream& out, const DbSnapshot& snapshot);

// A private PostgreSQL cluster of its own (scripts/pg with GLANCE_PG_BASE
// and GLANCE_PG_PORT) for tests that stop, restart or replicate one; the
// shared cluster is never touched.  With `primary` it starts as the streaming
// replica of that cluster.  Stopped and removed on destruction; clusters
// of crashed earlier runs are removed by the next one.
class ThrowawayCluster {
 public:
  explicit ThrowawayCluster(const ThrowawayCluster* primary = nullptr);
  ~ThrowawayCluster();
  ThrowawayCluster(const ThrowawayCluster&) = delete;
  ThrowawayCluster& operator=(const ThrowawayCluster&) = delete;

  void Start();
  void Stop();
  void Promote();
  PgTarget target() const { return {base_ + "/run", std::to_string(port_)}; }
  // SQL on the cluster's `postgres` database (psql -tAc), its output trimmed.
  std::string Sql(const std::string& sql, const std::string& db = "postgres") const;

 private:
  ProcessResult Script(const std::vector<std::string>& args) const;

  std::string base_;
  int port_ = 0;
  std::string primary_;  // conninfo of the primary, or empty
};

// A glance-manage invocation on a config file.
ProcessResult RunManage(const std::string& config_path, const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = 60s);

// ------------------------------------------------------------- registry

struct RegistryConfig {
  std::string flavor = "trusted-auth";
  int workers = 8;
  int limit_param_default = 25;
  int api_limit_max = 1000;
  std::string shared_secret;  // registry_shared_secret; empty: none
  std::string slave_connection;  // [database] slave_connection; empty: none
};

// Writes a config file and glance-registry runs from it; see RegistryProcess.
std::string WriteRegistryConfig(const std::string& db_url, int port, const RegistryConfig& config);

// A running glance-registry.  The constructor writes its config file,
// starts it and waits (10 s at most) until GET /healthcheck answers 200;
// it throws with the log's tail otherwise.  The destructor stops it.
class RegistryProcess {
 public:
  RegistryProcess(const std::string& db_url, RegistryConfig config = {});
  ~RegistryProcess();
  RegistryProcess(const RegistryProcess&) = delete;
  RegistryProcess& operator=(const RegistryProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  Api api() const { return Api(port_, {}, RegistryClientOptions()); }

  // True while the process has not exited (reaps it if it has).
  bool Alive();
  // SIGTERM, wait up to `grace`, then SIGKILL.  Idempotent.
  ProcessResult Stop(std::chrono::milliseconds grace = 10s);
  std::string LogTail(size_t bytes = 4000) const;

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  bool reaped_ = false;
  ProcessResult ended_;
  std::string config_path_;
  std::string log_path_;
};

// A database (db_sync'ed) plus a registry on it, plus a SOCI session to
// the same database.
class Env {
 public:
  explicit Env(RegistryConfig config = {});
  ~Env();

  Database& db() { return *db_; }
  RegistryProcess& registry() { return *registry_; }
  Api api() const { return registry_->api(); }
  soci::session& sql();

  // A second registry process on the same database with a different
  // config (e.g. noauth); started on first use, stopped with the Env.
  RegistryProcess& Extra(const std::string& key, const RegistryConfig& config);

  // SELECT returning one bigint (e.g. count(*)); `param` binds :p if given.
  long long Count(const std::string& sql_text, const std::optional<std::string>& param = {});
  // SELECT returning one text value (or NULL → nullopt); no row → nullopt.
  std::optional<std::string> Text(const std::string& sql_text,
                                  const std::optional<std::string>& param = {});
  // Counts and digests of images, image_properties, image_members,
  // image_locations.
  DbSnapshot Snapshot();

 private:
  std::unique_ptr<Database> db_;
  std::unique_ptr<RegistryProcess> registry_;
  std::unique_ptr<soci::session> sql_;
  std::map<std::string, std::unique_ptr<RegistryProcess>> extras_;
};

// The current suite's shared Env, started on first use (a failure is
// remembered and rethrown to the suite's later cases without retrying).
Env& Shared();
// Stops every shared Env (suite teardown, and the global teardown).
void ReleaseShared();

// Suite decorator: `BOOST_AUTO_TEST_SUITE(name, *boost::unit_test::fixture<it::SuiteScope>())`.
struct SuiteScope {
  SuiteScope() = default;
  ~SuiteScope() { ReleaseShared(); }
};

// ------------------------------------------------------ image helpers

// POST /images with {"image": image}; requires 200 and returns the image.
json CreateImage(const Api& api, const Headers& headers, const json& image);
// GET /images/detail<query>; requires 200 and returns the "images" array.
std::vector<json> ListDetail(const Api& api, const Headers& headers, const std::string& query = "");
// GET /images<query>; requires 200 and returns the "images" array.
std::vector<json> ListIndex(const Api& api, const Headers& headers, const std::string& query = "");
std::vector<std::string> Ids(const std::vector<json>& images);
bool ContainsId(const std::vector<json>& images, const std::string& id);

}  // namespace it

#endif  // GLANCE_TEST_INTEGRATION_REGISTRY_FIXTURE_H_
