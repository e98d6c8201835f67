#include "registry_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <soci/postgresql/soci-postgresql.h>

#include "../support/free_port.h"

extern char** environ;

namespace it {

namespace {

std::atomic<int> g_counter{0};

int NextNumber() { return ++g_counter; }

std::string TmpPath(const std::string& stem, const std::string& suffix) {
  return RequireEnv("GLANCE_TEST_TMPDIR") + "/" + stem + "-" + std::to_string(getpid()) + "-" +
         std::to_string(NextNumber()) + suffix;
}

// argv/envp arrays built before fork(), so the child only calls
// async-signal-safe functions.
struct CArgs {
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  explicit CArgs(std::vector<std::string> items) : storage(std::move(items)) {
    for (auto& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  char** get() { return pointers.data(); }
};

std::vector<std::string> BuildEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    std::string key = entry.substr(0, eq);
    if (extra.count(key)) continue;
    env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

pid_t ForkExec(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
               const std::string& output_path, const std::string& error_path, bool append) {
  if (argv.empty()) throw std::runtime_error("ForkExec: empty argv");
  CArgs args(argv);
  CArgs envp(BuildEnv(extra_env));
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  int out = ::open(output_path.c_str(), flags, 0644);
  if (out < 0) throw std::runtime_error("cannot open " + output_path + ": " + std::strerror(errno));
  int err = out;
  if (error_path != output_path) {
    err = ::open(error_path.c_str(), flags, 0644);
    if (err < 0) {
      ::close(out);
      throw std::runtime_error("cannot open " + error_path + ": " + std::strerror(errno));
    }
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    if (err != out) ::close(err);
    if (devnull >= 0) ::close(devnull);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Dies with the test binary even when a crash skips the teardown.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execve(args.get()[0], args.get(), envp.get());
    const char msg[] = "exec failed\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(out);
  if (err != out) ::close(err);
  if (devnull >= 0) ::close(devnull);
  return pid;
}

void FillEnded(int status, ProcessResult* result) {
  if (WIFEXITED(status)) {
    result->exited = true;
    result->exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result->term_signal = WTERMSIG(status);
  }
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

// ---------------------------------------------------------------- basics

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string("environment variable ") + name +
                             " is not set; run the tests through scripts/run-tests");
  }
  return value;
}

int PickFreePort() {
  int port = 0;
  ::close(testsupport::BindRandomTestPort(&port));
  return port;
}

std::string Unique(std::string_view prefix) {
  return std::string(prefix) + "-" + std::to_string(getpid()) + "-" + std::to_string(NextNumber());
}

std::string UrlEncode(std::string_view text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string Query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    out += out.empty() ? "?" : "&";
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

bool LooksLikeUuid(const std::string& text) {
  static const std::regex re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(text, re);
}

bool LooksLikeTimestamp(const std::string& text) {
  static const std::regex re("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}$");
  return std::regex_match(text, re);
}

std::string RandomUuid() {
  static std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    int v = static_cast<int>(rng() & 15);
    if (i == 12) v = 4;
    if (i == 16) v = 8 + (v & 3);
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += hex[v];
  }
  return out;
}

std::string S(const json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) return "<missing>";
  const json& v = object.at(key);
  if (v.is_string()) return v.get<std::string>();
  return "<" + v.dump() + ">";
}

std::vector<std::string> Keys(const json& object) {
  std::vector<std::string> keys;
  if (!object.is_object()) return keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// ------------------------------------------------------------- processes

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : "..." + text.substr(text.size() - bytes);
}

ProcessResult WaitChild(pid_t pid, std::chrono::milliseconds timeout) {
  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      FillEnded(status, &result);
      return result;
    }
    if (r < 0 && errno != EINTR) {
      result.exit_code = -1;
      return result;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(10ms);
  }
  result.timed_out = true;
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  FillEnded(status, &result);
  return result;
}

ProcessResult RunProgram(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env,
                         std::chrono::milliseconds timeout) {
  std::string out_path = TmpPath("run", ".out");
  std::string err_path = out_path.substr(0, out_path.size() - 4) + ".err";
  pid_t pid = ForkExec(argv, extra_env, out_path, err_path, false);
  ProcessResult result = WaitChild(pid, timeout);
  result.output = ReadFile(out_path);
  result.errors = ReadFile(err_path);
  std::error_code ec;
  std::filesystem::remove(out_path, ec);
  std::filesystem::remove(err_path, ec);
  return result;
}

pid_t SpawnProgram(const std::vector<std::string>& argv, const std::string& log_path) {
  return ForkExec(argv, {}, log_path, log_path, true);
}

// ------------------------------------------------------------------ HTTP

bool Response::HasHeader(const std::string& name) const { return headers.find(name) != headers.end(); }

std::string Response::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

json Response::Json() const {
  try {
    return json::parse(body);
  } catch (const std::exception& e) {
    throw std::runtime_error("response body is not JSON (" + std::string(e.what()) + "): " + Describe());
  }
}

std::string Response::Describe() const {
  if (status == 0) return "no HTTP response: " + error;
  return std::to_string(status) + " " + Tail(body, 1500);
}

Api::Api(int port) : port_(port) {}

Response Api::Send(const std::string& method, const std::string& path, const Headers& headers,
                   const std::string& body, const std::string& content_type,
                   std::chrono::seconds read_timeout) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(static_cast<time_t>(read_timeout.count()), 0);
  client.set_write_timeout(20, 0);
  client.set_url_encode(false);
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = headers;
  bool has_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (has_body) {
    req.body = body;
    if (!content_type.empty() && !req.has_header("Content-Type")) {
      req.headers.emplace("Content-Type", content_type);
    }
  }
  httplib::Response res;
  httplib::Error error = httplib::Error::Success;
  Response out;
  if (!client.send(req, res, error)) {
    out.status = 0;
    out.error = httplib::to_string(error);
    return out;
  }
  out.status = res.status;
  out.body = res.body;
  out.headers = res.headers;
  return out;
}

Response Api::Get(const std::string& path, const Headers& headers) const { return Send("GET", path, headers); }
Response Api::Delete(const std::string& path, const Headers& headers) const {
  return Send("DELETE", path, headers);
}
Response Api::Post(const std::string& path, const std::string& body, const Headers& headers) const {
  return Send("POST", path, headers, body);
}
Response Api::Put(const std::string& path, const std::string& body, const Headers& headers) const {
  return Send("PUT", path, headers, body);
}
Response Api::PostJson(const std::string& path, const json& body, const Headers& headers) const {
  return Post(path, body.dump(), headers);
}
Response Api::PutJson(const std::string& path, const json& body, const Headers& headers) const {
  return Put(path, body.dump(), headers);
}

Headers ForTenant(const std::string& tenant, const std::string& roles, const std::string& user) {
  return Headers{{"X-Identity-Status", "Confirmed"},
                 {"X-Tenant-Id", tenant},
                 {"X-User-Id", user.empty() ? "user-" + tenant : user},
                 {"X-Roles", roles}};
}

Headers Admin(const std::string& tenant) { return ForTenant(tenant, "admin"); }

Headers With(Headers headers, const std::string& name, const std::string& value) {
  headers.emplace(name, value);
  return headers;
}

std::vector<std::string> SortedMethods(std::vector<std::string> methods) {
  for (auto& m : methods) {
    for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::sort(methods.begin(), methods.end());
  return methods;
}

std::vector<std::string> AllowSet(const Response& response) {
  std::vector<std::string> methods;
  std::string allow = response.Header("Allow");
  std::stringstream in(allow);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = Trim(item);
    if (!item.empty()) methods.push_back(item);
  }
  return SortedMethods(methods);
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
  std::string path = TmpPath("registry", ".conf");
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
      << "\n[paste_deploy]\n"
      << "flavor = " << config.flavor << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
  return path;
}

RegistryProcess::RegistryProcess(const std::string& db_url, RegistryConfig config) {
  port_ = PickFreePort();
  config_path_ = WriteRegistryConfig(db_url, port_, config);
  log_path_ = config_path_.substr(0, config_path_.size() - 5) + ".log";
  std::string bin = RequireEnv("GLANCE_BIN_DIR") + "/glance-registry";
  pid_ = SpawnProgram({bin, "--config-file", config_path_}, log_path_);

  auto deadline = std::chrono::steady_clock::now() + 10s;
  Api client(port_);
  std::string last;
  while (true) {
    if (!Alive()) {
      throw std::runtime_error("glance-registry exited during start-up (exit " +
                               std::to_string(ended_.exit_code) + ", signal " +
                               std::to_string(ended_.term_signal) + "); log:\n" + LogTail());
    }
    Response r = client.Send("GET", "/healthcheck", {}, "", "", 2s);
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
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    FillEnded(status, &ended_);
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

std::string RegistryProcess::LogTail(size_t bytes) const { return Tail(ReadFile(log_path_), bytes); }

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
  Response r = api.PostJson("/images", json{{"image", image}}, headers);
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

}  // namespace it
