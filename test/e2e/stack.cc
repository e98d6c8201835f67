// Isolated stacks (registry + glance-api pool + nginx) started through
// scripts/stack, one database each, and the global fixture that owns them.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <boost/test/results_collector.hpp>
#include <boost/test/tree/traverse.hpp>
#include <boost/test/tree/visitor.hpp>
#include <boost/test/unit_test.hpp>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <set>

#include "e2e.h"
#include "keystone.h"
#include "swift.h"

namespace e2e {

namespace fs = std::filesystem;

std::string TestPgConnect(const std::string& db) {
  return "dbname=" + db + " user=postgres host=" + RequireEnv("GLANCE_TEST_PG_HOST") +
         " port=" + RequireEnv("GLANCE_TEST_PG_PORT") + " connect_timeout=10";
}

void AdminSql(const std::string& sql) {
  soci::session session(soci::postgresql, TestPgConnect("postgres"));
  session << sql;
}

namespace {

std::string ScriptsDir() {
  if (const char* dir = std::getenv("GLANCE_SCRIPTS_DIR"); dir && *dir) return dir;
  return fs::current_path().string() + "/scripts";
}

std::string Quote(const std::string& identifier) { return "\"" + identifier + "\""; }

void CollectDescendants(pid_t pid, std::vector<pid_t>* out) {
  for (pid_t child : ChildrenOf(pid)) {
    if (std::find(out->begin(), out->end(), child) != out->end()) continue;
    out->push_back(child);
    CollectDescendants(child, out);
  }
}

// Databases of earlier runs that were killed before their teardown.
void DropStaleDatabases() {
  try {
    soci::session session(soci::postgresql, TestPgConnect("postgres"));
    std::vector<std::string> names(100);
    session << "SELECT datname FROM pg_database WHERE datname LIKE 'glance\\_e2e\\_%'", soci::into(names);
    for (const std::string& name : names) {
      // glance_e2e_<pid>_<stack>
      std::string rest = name.substr(std::string("glance_e2e_").size());
      pid_t pid = static_cast<pid_t>(std::atol(rest.c_str()));
      if (pid <= 0 || pid == getpid() || ProcessAlive(pid)) continue;
      session << "DROP DATABASE " + Quote(name) + " WITH (FORCE)";
    }
  } catch (const std::exception& e) {
    std::cerr << "e2e: could not clean stale test databases: " << e.what() << "\n";
  }
}

}  // namespace

Stack::Stack(std::string name, std::string auth, std::map<std::string, std::string> extra_env)
    : extra_env_(std::move(extra_env)), name_(std::move(name)), auth_(std::move(auth)) {
  if (!extra_env_.count("STORE") && SwiftMode()) extra_env_["STORE"] = "swift";
  if (UsesSwift() && !extra_env_.count("GLANCE_SWIFT_CONTAINER")) {
    extra_env_["GLANCE_SWIFT_CONTAINER"] = "e2e-" + name_;
  }
}

std::map<std::string, std::string> Stack::Env() const {
  std::map<std::string, std::string> env = extra_env_;
  env.insert({{"GLANCE_VAR_DIR", var_dir_},
          {"GLANCE_DB_URL", db_url_},
          {"GLANCE_API_PORT", std::to_string(api_port_)},
          {"GLANCE_REGISTRY_PORT", std::to_string(registry_port_)},
          {"GLANCE_IMAGE_SIZE_CAP", "209715200"},
          {"GLANCE_API_WORKERS", "2"},
          // Short enough for a silent external source to fail a test quickly.
          {"GLANCE_SOURCE_TIMEOUT", "3"},
          {"AUTH", auth_}});
  return env;
}

std::string Stack::Fingerprint() const {
  soci::session session(soci::postgresql, TestPgConnect(db_name_));
  std::string digest;
  session << "SELECT md5(coalesce((SELECT string_agg(t::text, '|' ORDER BY t::text) FROM images t), '') "
             "|| coalesce((SELECT string_agg(t::text, '|' ORDER BY t::text) FROM image_properties t), '') "
             "|| coalesce((SELECT string_agg(t::text, '|' ORDER BY t::text) FROM image_members t), '') "
             "|| coalesce((SELECT string_agg(t::text, '|' ORDER BY t::text) FROM image_locations t), ''))",
      soci::into(digest);
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(StoreDir(), ec)) {
    names.insert(entry.path().filename().string());
  }
  for (const auto& entry : fs::directory_iterator(IncomingDir(), ec)) {
    names.insert("incoming/" + entry.path().filename().string());
  }
  if (UsesSwift()) {
    Swift& swift = SwiftOf(*this);
    for (const std::string& container : {SwiftContainer(), SwiftSegmentContainer()}) {
      for (const json& entry : swift.List(container)) {
        names.insert("swift/" + container + "/" + entry["name"].get<std::string>() + " " +
                     entry.value("hash", ""));
      }
    }
  }
  for (const std::string& name : names) digest += " " + name;
  return digest;
}

std::vector<std::string> Stack::Locations(const std::string& id) const {
  soci::session session(soci::postgresql, TestPgConnect(db_name_));
  std::vector<std::string> values(16);
  session << "SELECT value FROM image_locations WHERE image_id = :id ORDER BY id", soci::use(id),
      soci::into(values);
  return values;
}

void Stack::Start() {
  try {
    std::string tmp = RequireEnv("GLANCE_TEST_TMPDIR");
    RequireEnv("GLANCE_BIN_DIR");
    var_dir_ = tmp + "/e2e-" + std::to_string(getpid()) + "-" + name_;
    fs::remove_all(var_dir_);
    fs::create_directories(var_dir_);
    script_log_ = var_dir_ + "/e2e-stack-script.log";
    std::vector<int> ports = FreePorts(2);
    api_port_ = ports[0];
    registry_port_ = ports[1];
    db_name_ = "glance_e2e_" + std::to_string(getpid()) + "_" + name_;
    if (!Setting("GLANCE_DB_URL").empty()) {
      db_url_ = Setting("GLANCE_DB_URL");  // another stack's: a second node of it
    } else {
      soci::session session(soci::postgresql, TestPgConnect("postgres"));
      int exists = 0;
      session << "SELECT count(*) FROM pg_database WHERE datname = :name", soci::use(db_name_),
          soci::into(exists);
      if (exists) session << "DROP DATABASE " + Quote(db_name_) + " WITH (FORCE)";
      session << "CREATE DATABASE " + Quote(db_name_);
      db_created_ = true;
      db_url_ = "postgresql://postgres@/" + db_name_ + "?host=" +
                RequireEnv("GLANCE_TEST_PG_HOST") + "&port=" + RequireEnv("GLANCE_TEST_PG_PORT");
    }
    if (UsesSwift() && !extra_env_.count("SWIFT_DIR")) {
      TheSwift().Wait();
      extra_env_["SWIFT_DIR"] = TheSwift().dir();
    }
    ArmEmergencyStop(this, {"/bin/bash", ScriptsDir() + "/stack", "stop"}, Env());
    int rc = RunCommand({"/bin/bash", ScriptsDir() + "/stack", "start"}, Env(), script_log_,
                        std::chrono::seconds(120));
    if (rc != 0) {
      std::string detail = "scripts/stack start (" + name_ + ") exited " + std::to_string(rc) +
                           ":\n" + TailOfFile(script_log_, 2000);
      for (const char* log : {"glance-registry.log", "glance-api.log", "nginx-error.log"}) {
        detail += "\n--- " + std::string(log) + ":\n" + TailOfFile(LogDir() + "/" + log, 1500);
      }
      throw std::runtime_error(detail);
    }
    // Any HTTP answer will do here (what /versions answers is a test).
    Reply versions = api().Get("/versions");
    if (versions.status == 0) {
      throw std::runtime_error("stack " + name_ + " started but GET /versions got " +
                               versions.Describe());
    }
    started_ = true;
  } catch (const std::exception& e) {
    start_error_ = e.what();
    std::cerr << "e2e: could not start the " << name_ << " stack: " << start_error_ << "\n";
  }
}

int Stack::Restart(std::string* log_tail) {
  size_t before = static_cast<size_t>(std::max<int64_t>(FileSize(script_log_), 0));
  int rc = RunCommand({"/bin/bash", ScriptsDir() + "/stack", "start"}, Env(), script_log_,
                      std::chrono::seconds(120));
  if (log_tail) {
    std::string text = ReadFile(script_log_);
    *log_tail = before < text.size() ? text.substr(before) : "";
  }
  return rc;
}

bool Stack::Reconfigure(const std::map<std::string, std::string>& changes, std::string* error) {
  for (const std::string& item : Stop()) {
    std::cerr << "e2e: " << name_ << " stack: still running after scripts/stack stop, killed: " << item << "\n";
  }
  for (const auto& [key, value] : changes) extra_env_[key] = value;
  if (UsesSwift() && !extra_env_.count("GLANCE_SWIFT_CONTAINER")) {
    extra_env_["GLANCE_SWIFT_CONTAINER"] = "e2e-" + name_;
  }
  try {
    if (UsesSwift() && !extra_env_.count("SWIFT_DIR")) {
      TheSwift().Wait();
      extra_env_["SWIFT_DIR"] = TheSwift().dir();
    }
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
  ArmEmergencyStop(this, {"/bin/bash", ScriptsDir() + "/stack", "stop"}, Env());
  std::string log;
  int rc = Restart(&log);
  started_ = rc == 0 && api().Get("/versions").status != 0;
  if (!started_) {
    *error = "scripts/stack start (" + name_ + ") exited " + std::to_string(rc) + ":\n" + Tail(log, 2000);
    for (const char* file : {"glance-api.log", "nginx-error.log"}) {
      *error += "\n--- " + std::string(file) + ":\n" + TailOfFile(LogDir() + "/" + file, 1500);
    }
  }
  return started_;
}

std::optional<pid_t> Stack::ApiSupervisor() const {
  auto top = ReadPidFile(PidFile("glance-api"));
  if (!top || !ProcessAlive(*top)) return std::nullopt;
  // As root the pid file names `runuser`; the supervisor is the topmost
  // glance-api process at or below it.
  std::vector<pid_t> frontier{*top};
  while (!frontier.empty()) {
    std::vector<pid_t> next;
    for (pid_t pid : frontier) {
      if (ProcessName(pid) == "glance-api") return pid;
      for (pid_t child : ChildrenOf(pid)) next.push_back(child);
    }
    frontier = std::move(next);
  }
  return std::nullopt;
}

std::vector<pid_t> Stack::ApiChildren(const std::string& name) const {
  std::vector<pid_t> out;
  auto supervisor = ApiSupervisor();
  if (!supervisor) return out;
  for (pid_t child : ChildrenOf(*supervisor)) {
    if (ProcessAlive(child) && ProcessName(child) == name) out.push_back(child);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The supervisor's other child, glance-api-wb, serves no requests.
std::vector<pid_t> Stack::ApiWorkers() const { return ApiChildren("glance-api"); }

std::vector<pid_t> Stack::AllPids() const {
  std::vector<pid_t> out;
  for (const char* daemon : {"glance-registry", "glance-api", "nginx"}) {
    auto pid = ReadPidFile(PidFile(daemon));
    if (!pid || !ProcessAlive(*pid)) continue;
    out.push_back(*pid);
    CollectDescendants(*pid, &out);
  }
  return out;
}

std::vector<std::string> Stack::Stop() {
  std::vector<std::string> killed;
  if (var_dir_.empty()) return killed;
  std::vector<pid_t> pids = AllPids();
  int rc = RunCommand({"/bin/bash", ScriptsDir() + "/stack", "stop"}, Env(), script_log_,
                      std::chrono::seconds(90));
  if (rc != 0) killed.push_back("scripts/stack stop exited " + std::to_string(rc));
  WaitFor(
      [&pids] {
        return std::none_of(pids.begin(), pids.end(), [](pid_t p) { return ProcessAlive(p); });
      },
      std::chrono::seconds(15));
  for (pid_t pid : pids) {
    if (!ProcessAlive(pid)) continue;
    killed.push_back(std::to_string(pid) + " (" + ProcessName(pid) + ")");
    ::kill(pid, SIGKILL);
  }
  started_ = false;
  DisarmEmergencyStop(this);
  return killed;
}

void Stack::DropDatabase() {
  if (!db_created_) return;
  try {
    AdminSql("DROP DATABASE IF EXISTS " + Quote(db_name_) + " WITH (FORCE)");
    db_created_ = false;
  } catch (const std::exception& e) {
    std::cerr << "e2e: could not drop database " << db_name_ << ": " << e.what() << "\n";
  }
}

namespace {

Stack& NoAuthRaw() {
  static Stack stack("noauth", "");
  return stack;
}

Stack& TrustedRaw() {
  static Stack stack("trusted", "trusted-auth");
  return stack;
}

Stack& Checked(Stack& stack) {
  if (!stack.started()) {
    throw std::runtime_error("the " + stack.name() + " stack is not running: " +
                             (stack.start_error().empty() ? "it was stopped" : stack.start_error()));
  }
  return stack;
}

}  // namespace

Stack& NoAuthStack() { return Checked(NoAuthRaw()); }
Stack& TrustedStack() { return Checked(TrustedRaw()); }

// The master suite's totals are not summed yet when global fixtures tear
// down, so look at every test case.
struct FailureFinder : boost::unit_test::test_tree_visitor {
  bool failed = false;
  void visit(const boost::unit_test::test_case& test) override {
    const auto& r = boost::unit_test::results_collector.results(test.p_id);
    if (r.p_assertions_failed > r.p_expected_failures || r.p_aborted) failed = true;
  }
};

bool AnyTestFailed() {
  FailureFinder finder;
  boost::unit_test::traverse_test_tree(boost::unit_test::framework::master_test_suite(), finder, true);
  return finder.failed;
}

// Whether a test suite of that name is among the tests this run executes
// (--run_test filters are applied before the global fixture starts).
struct EnabledSuiteFinder : boost::unit_test::test_tree_visitor {
  std::string name;
  bool found = false;
  bool test_suite_start(const boost::unit_test::test_suite& suite) override {
    if (suite.p_name.get() == name && suite.is_enabled()) found = true;
    return !found;
  }
};

bool SuiteWillRun(const std::string& name) {
  EnabledSuiteFinder finder;
  finder.name = name;
  boost::unit_test::traverse_test_tree(boost::unit_test::framework::master_test_suite(), finder, true);
  return finder.found;
}

// One noauth stack and one trusted-auth stack for the whole binary.
struct GlobalStacks {
  void setup() {
    InstallSignalHandlers();
    DropStaleDatabases();
    // Swift (~5 s) and Keystone (the longest) come up while the other
    // stacks start; under GLANCE_E2E_STORE=swift those wait for Swift.
    // That run repeats the data suites, which need no Keystone: a test
    // that does need it starts it at first use then (Keystone::Wait).
    if (SwiftMode() || SuiteWillRun("swift_store")) TheSwift().StartInBackground();
    if (!SwiftMode()) TheKeystone().StartInBackground();
    auto started = std::chrono::steady_clock::now();
    NoAuthRaw().Start();
    TrustedRaw().Start();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    BOOST_TEST_MESSAGE("e2e: stacks started in " << seconds << " s (api ports "
                                                 << NoAuthRaw().api_port() << ", "
                                                 << TrustedRaw().api_port() << ")");
  }

  void teardown() {
    bool passed = !AnyTestFailed();
    StopKeystoneAndItsStack(!passed);
    // Both stop at once (scripts/stack stop takes seconds per stack).
    std::vector<std::string> leftovers_of[2];
    std::thread other([&leftovers_of] { leftovers_of[1] = TrustedRaw().Stop(); });
    leftovers_of[0] = NoAuthRaw().Stop();
    other.join();
    int index = 0;
    for (Stack* stack : {&NoAuthRaw(), &TrustedRaw()}) {
      const std::vector<std::string>& leftovers = leftovers_of[index++];
      for (const std::string& item : leftovers) {
        std::cerr << "e2e: " << stack->name() << " stack: still running after scripts/stack stop, "
                  << "killed: " << item << "\n";
      }
      stack->DropDatabase();
      if (stack->var_dir().empty()) continue;
      std::error_code ec;
      if (passed && leftovers.empty()) {
        fs::remove_all(stack->var_dir(), ec);
      } else {
        // Keep the logs for a look; the image bytes only take space.
        for (const auto& entry : fs::directory_iterator(stack->StoreDir(), ec)) {
          if (entry.path().filename() != "_incoming") fs::remove_all(entry.path(), ec);
        }
        std::cerr << "e2e: kept " << stack->var_dir() << " (logs in log/)\n";
      }
    }
    StopTheSwift(!passed);
  }
};

BOOST_TEST_GLOBAL_FIXTURE(GlobalStacks);

}  // namespace e2e
