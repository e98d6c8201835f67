#include "registry_fixture.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <mutex>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <soci/postgresql/soci-postgresql.h>

namespace it {

ClientOptions RegistryClientOptions() {
  ClientOptions options;
  options.connect_timeout = 2s;
  options.read_timeout = 20s;
  options.write_timeout = 20s;
  options.url_encode = false;
  options.body_type = "application/json";
  return options;
}

// ------------------------------------------------------------ PostgreSQL

PgTarget PgTarget::FromEnv() { return {RequireEnv("GLANCE_TEST_PG_HOST"), RequireEnv("GLANCE_TEST_PG_PORT")}; }

Database::Database(PgTarget target) : target_(std::move(target)) {
  name_ = "glance_it_" + std::to_string(getpid()) + "_" + std::to_string(NextNumber());
  soci::session admin(soci::postgresql,
                      "dbname=postgres user=postgres host=" + target_.host + " port=" + target_.port);
  admin << "CREATE DATABASE " + name_;
}

Database::~Database() {
  try {
    soci::session admin(soci::postgresql,
                        "dbname=postgres user=postgres host=" + target_.host + " port=" + target_.port);
    admin << "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
  } catch (const std::exception& e) {
    BOOST_TEST_MESSAGE("could not drop database " << name_ << ": " << e.what());
  }
}

std::string Database::Url() const {
  return "postgresql://postgres@/" + name_ + "?host=" + target_.host + "&port=" + target_.port;
}

std::string Database::SociConnect() const {
  return "dbname=" + name_ + " user=postgres host=" + target_.host + " port=" + target_.port;
}

std::ostream& operator<<(std::ostream& out, const DbSnapshot& snapshot) {
  out << "{";
  for (const auto& [table, digest] : snapshot.tables) out << " " << table << "=" << digest;
  return out << " }";
}

ProcessResult RunManage(const std::string& config_path, const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{RequireEnv("GLANCE_BIN_DIR") + "/glance-manage", "--config-file", config_path};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, {}, timeout);
}

// ------------------------------------------------------------- registry

std::string WriteRegistryConfig(const std::string& db_url, int port, const RegistryConfig& config) {
  std::string path = TempPath("registry", ".conf");
  std::ofstream out(path);
  out << "[DEFAULT]\n"
      << "bind_host = 127.0.0.1\n"
      << "bind_port = " << port << "\n"
      << "workers = " << config.workers << "\n"
      << "limit_param_default = " << config.limit_param_default << "\n"
      << "api_limit_max = " << config.api_limit_max << "\n"
      << "registry_shared_secret = " << config.shared_secret << "\n"
      << "\n[database]\n"
      << "connection = " << db_url << "\n"
      << "slave_connection = " << config.slave_connection << "\n"
      << "\n[paste_deploy]\n"
      << "flavor = " << config.flavor << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

RegistryProcess::RegistryProcess(const std::string& db_url, RegistryConfig config) {
  port_ = FreePort();
  config_path_ = WriteRegistryConfig(db_url, port_, config);
  log_path_ = config_path_.substr(0, config_path_.size() - 5) + ".log";
  std::string bin = RequireEnv("GLANCE_BIN_DIR") + "/glance-registry";
  pid_ = SpawnProgram({bin, "--config-file", config_path_}, log_path_);

  auto deadline = std::chrono::steady_clock::now() + 10s;
  ClientOptions probe = RegistryClientOptions();
  probe.read_timeout = 2s;
  Api client(port_, {}, probe);
  std::string last;
  while (true) {
    if (!Alive()) {
      throw std::runtime_error("glance-registry exited during start-up (exit " +
                               std::to_string(ended_.exit_code) + ", signal " +
                               std::to_string(ended_.term_signal) + "); log:\n" + LogTail());
    }
    Response r = client.Get("/healthcheck");
    if (r.status == 200) {
      if (Trim(r.body) != "OK") {
        Stop();
        throw std::runtime_error("/healthcheck answered 200 with body '" + r.body + "' instead of OK");
      }
      return;
    }
    last = r.Describe();
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(50ms);
  }
  Stop();
  throw std::runtime_error("glance-registry did not answer /healthcheck with 200 within 10 s (last: " + last +
                           "); log:\n" + LogTail());
}

RegistryProcess::~RegistryProcess() { Stop(); }

bool RegistryProcess::Alive() {
  if (reaped_ || pid_ <= 0) return false;
  if (auto ended = TryReap(pid_)) {
    reaped_ = true;
    ended_ = *ended;
    return false;
  }
  return true;
}

ProcessResult RegistryProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return ended_;
  if (!Alive()) return ended_;
  ::kill(pid_, SIGTERM);
  ended_ = WaitChild(pid_, grace);
  reaped_ = true;
  return ended_;
}

std::string RegistryProcess::LogTail(size_t bytes) const { return TailOfFile(log_path_, bytes); }

Env::Env(RegistryConfig config) {
  db_ = std::make_unique<Database>();
  // glance-manage reads the same kind of config file as the registry.
  std::string manage_conf = WriteRegistryConfig(db_->Url(), 9191, config);
  ProcessResult sync = RunManage(manage_conf, {"db_sync"});
  if (!sync.exited || sync.exit_code != 0) {
    throw std::runtime_error("glance-manage db_sync failed (exit " + std::to_string(sync.exit_code) +
                             (sync.timed_out ? ", timed out" : "") + "): " + Tail(sync.output + sync.errors));
  }
  registry_ = std::make_unique<RegistryProcess>(db_->Url(), config);
}

Env::~Env() {
  extras_.clear();
  registry_.reset();
  sql_.reset();
  db_.reset();
}

soci::session& Env::sql() {
  if (!sql_) sql_ = std::make_unique<soci::session>(soci::postgresql, db_->SociConnect());
  return *sql_;
}

RegistryProcess& Env::Extra(const std::string& key, const RegistryConfig& config) {
  auto it = extras_.find(key);
  if (it == extras_.end()) {
    it = extras_.emplace(key, std::make_unique<RegistryProcess>(db_->Url(), config)).first;
  }
  return *it->second;
}

long long Env::Count(const std::string& sql_text, const std::optional<std::string>& param) {
  long long value = 0;
  soci::indicator ind = soci::i_ok;
  if (param) {
    std::string p = *param;
    sql() << sql_text, soci::use(p), soci::into(value, ind);
  } else {
    sql() << sql_text, soci::into(value, ind);
  }
  return ind == soci::i_ok ? value : 0;
}

std::optional<std::string> Env::Text(const std::string& sql_text, const std::optional<std::string>& param) {
  std::string value;
  soci::indicator ind = soci::i_null;
  soci::statement st = param ? (sql().prepare << sql_text, soci::use(*param), soci::into(value, ind))
                             : (sql().prepare << sql_text, soci::into(value, ind));
  st.execute(true);
  if (!st.got_data() || ind != soci::i_ok) return std::nullopt;
  return value;
}

DbSnapshot Env::Snapshot() {
  DbSnapshot snapshot;
  for (const char* table : {"images", "image_properties", "image_members", "image_locations"}) {
    try {
      std::string digest;
      sql() << std::string("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY "
                           "t::text)), '') FROM ") +
                   table + " t",
          soci::into(digest);
      snapshot.tables[table] = digest;
    } catch (const std::exception& e) {
      snapshot.tables[table] = std::string("error: ") + e.what();
    }
  }
  return snapshot;
}

namespace {
std::unique_ptr<Env> g_shared;
std::optional<std::string> g_shared_error;
}  // namespace

Env& Shared() {
  if (g_shared) return *g_shared;
  if (g_shared_error) throw std::runtime_error("shared registry failed to start earlier: " + *g_shared_error);
  try {
    g_shared = std::make_unique<Env>();
  } catch (const std::exception& e) {
    g_shared_error = e.what();
    throw;
  }
  return *g_shared;
}

void ReleaseShared() {
  g_shared.reset();
  g_shared_error.reset();
}

namespace {

bool PidIsGone(const std::string& digits) {
  if (digits.empty() || digits.size() > 9) return false;
  pid_t pid = static_cast<pid_t>(std::stol(digits));
  return pid != getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Databases and files of earlier runs whose process is gone (a crash or a
// kill skips their teardown).  Best effort; never fails the run.
void RemoveLeftovers() {
  const char* tmp = std::getenv("GLANCE_TEST_TMPDIR");
  if (tmp != nullptr && *tmp != '\0') {
    static const std::regex file_re("^(registry|run)-([0-9]+)-[0-9]+\\.(conf|log|out|err)$");
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(tmp, ec)) {
      std::smatch m;
      std::string name = entry.path().filename().string();
      if (std::regex_match(name, m, file_re) && PidIsGone(m[2].str())) std::filesystem::remove(entry.path(), ec);
    }
  }
  try {
    PgTarget target = PgTarget::FromEnv();
    soci::session admin(soci::postgresql,
                        "dbname=postgres user=postgres host=" + target.host + " port=" + target.port);
    std::vector<std::string> names(1000);
    admin << "SELECT datname FROM pg_database WHERE datname LIKE 'glance\\_it\\_%'", soci::into(names);
    static const std::regex db_re("^glance_it_([0-9]+)_[0-9]+$");
    for (const auto& name : names) {
      std::smatch m;
      if (std::regex_match(name, m, db_re) && PidIsGone(m[1].str())) {
        admin << "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
      }
    }
  } catch (const std::exception&) {
  }
}

// Whatever a crashed or interrupted suite left behind is stopped at exit.
struct GlobalCleanup {
  GlobalCleanup() {
    ::signal(SIGPIPE, SIG_IGN);
    RemoveLeftovers();
  }
  ~GlobalCleanup() { ReleaseShared(); }
};
}  // namespace
BOOST_TEST_GLOBAL_FIXTURE(GlobalCleanup);

// ------------------------------------------------------ image helpers

json CreateImage(const Api& api, const Headers& headers, const json& image) {
  Response r = api.PostJson("/images", headers, json{{"image", image}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, "POST /images " << image.dump() << " -> " << r.Describe());
  json body = r.Json();
  BOOST_REQUIRE_MESSAGE(body.is_object() && body.contains("image") && body["image"].is_object(),
                        "POST /images body has no image object: " << r.body);
  return body["image"];
}

namespace {
std::vector<json> ListAt(const Api& api, const std::string& path, const Headers& headers) {
  Response r = api.Get(path, headers);
  BOOST_REQUIRE_MESSAGE(r.status == 200, "GET " << path << " -> " << r.Describe());
  json body = r.Json();
  BOOST_REQUIRE_MESSAGE(body.is_object() && body.contains("images") && body["images"].is_array(),
                        "GET " << path << " has no images array: " << r.body);
  return body["images"].get<std::vector<json>>();
}
}  // namespace

std::vector<json> ListDetail(const Api& api, const Headers& headers, const std::string& query) {
  return ListAt(api, "/images/detail" + query, headers);
}

std::vector<json> ListIndex(const Api& api, const Headers& headers, const std::string& query) {
  return ListAt(api, "/images" + query, headers);
}

std::vector<std::string> Ids(const std::vector<json>& images) {
  std::vector<std::string> ids;
  for (const auto& image : images) ids.push_back(image.value("id", std::string("<no id>")));
  return ids;
}

bool ContainsId(const std::vector<json>& images, const std::string& id) {
  for (const auto& image : images) {
    if (image.value("id", std::string()) == id) return true;
  }
  return false;
}

// ------------------------------------------------------- ThrowawayCluster

namespace {

ProcessResult RunPgScript(const std::string& base, int port, const std::string& primary,
                          const std::vector<std::string>& args) {
  std::vector<std::string> command{RequireEnv("GLANCE_SCRIPTS_DIR") + "/pg"};
  command.insert(command.end(), args.begin(), args.end());
  std::map<std::string, std::string> env{{"GLANCE_PG_BASE", base},
                                         {"GLANCE_PG_PORT", std::to_string(port)}};
  if (!primary.empty()) env["GLANCE_PG_PRIMARY"] = primary;
  return RunProgram(command, env, 120s);
}

// Clusters left behind by a crashed earlier run (its pid is gone).
void RemoveStaleClusters() {
  static const std::regex name_re("^pg-throwaway-([0-9]+)-[0-9]+$");
  std::error_code ec;
  std::filesystem::path dir(RequireEnv("GLANCE_TEST_TMPDIR"));
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::smatch m;
    std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, name_re)) continue;
    pid_t pid = static_cast<pid_t>(std::stol(m[1].str()));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    RunPgScript(entry.path().string(), 1, "", {"stop"});
    std::filesystem::remove_all(entry.path(), ec);
  }
}

}  // namespace

ThrowawayCluster::ThrowawayCluster(const ThrowawayCluster* primary) {
  static std::once_flag swept;
  std::call_once(swept, RemoveStaleClusters);
  base_ = RequireEnv("GLANCE_TEST_TMPDIR") + "/" + Unique("pg-throwaway");
  port_ = FreePort();
  if (primary) primary_ = "host=" + primary->target().host + " port=" + primary->target().port;
  Start();
}

ThrowawayCluster::~ThrowawayCluster() {
  Script({"stop"});
  std::error_code ec;
  std::filesystem::remove_all(base_, ec);
}

ProcessResult ThrowawayCluster::Script(const std::vector<std::string>& args) const {
  return RunPgScript(base_, port_, primary_, args);
}

void ThrowawayCluster::Start() {
  ProcessResult r = Script({"start"});
  if (!r.exited || r.exit_code != 0) {
    throw std::runtime_error("scripts/pg start (throwaway) failed: " + Tail(r.output + r.errors));
  }
}

void ThrowawayCluster::Stop() {
  ProcessResult r = Script({"stop"});
  if (!r.exited || r.exit_code != 0) {
    throw std::runtime_error("scripts/pg stop (throwaway) failed: " + Tail(r.output + r.errors));
  }
}

void ThrowawayCluster::Promote() {
  ProcessResult r = Script({"promote"});
  if (!r.exited || r.exit_code != 0) {
    throw std::runtime_error("scripts/pg promote failed: " + Tail(r.output + r.errors));
  }
}

std::string ThrowawayCluster::Sql(const std::string& sql, const std::string& db) const {
  ProcessResult r = Script({"psql", "-tAc", sql, db});
  if (!r.exited || r.exit_code != 0) {
    throw std::runtime_error("psql on the throwaway cluster failed: " + Tail(r.output + r.errors));
  }
  return Trim(r.output);
}

}  // namespace it
