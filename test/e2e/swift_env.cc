// The e2e run's Swift (scripts/swift) and the store switch of the data
// suites (GLANCE_E2E_STORE).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include "swift.h"

namespace e2e {

namespace fs = std::filesystem;

namespace {

std::string ScriptPath() {
  const char* dir = std::getenv("GLANCE_SCRIPTS_DIR");
  return std::string(dir && *dir ? dir : "scripts") + "/swift";
}

// "http://127.0.0.1:PORT/v1/AUTH_x" -> "/v1/AUTH_x".
std::string PathOfUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return slash == std::string::npos ? "" : url.substr(slash);
}

}  // namespace

bool SwiftMode() {
  const char* store = std::getenv("GLANCE_E2E_STORE");
  std::string value = store ? store : "";
  if (value.empty() || value == "file") return false;
  if (value == "swift") return true;
  throw std::runtime_error("GLANCE_E2E_STORE=" + value + ": give swift or file");
}

Swift::Swift(std::string tag)
    : dir_(RequireEnv("GLANCE_TEST_TMPDIR") + "/swift-" + std::to_string(getpid()) + "-" + tag),
      log_(dir_ + ".log") {}

Swift::~Swift() {
  if (starting_.joinable()) starting_.join();
}

void Swift::StartInBackground(const std::string& keystone_dir) {
  if (starting_.joinable() || started_) return;
  // Armed before `up` runs: an interrupt while Swift starts must stop it
  // too (`down` waits for `up`'s lock on the directory).
  ArmEmergencyStop(this, {ScriptPath(), "down", dir_}, {});
  armed_ = true;
  starting_ = std::thread([this, keystone_dir] {
    std::vector<std::string> args{ScriptPath(), "up", dir_};
    if (!keystone_dir.empty()) {
      args.push_back("--keystone");
      args.push_back(keystone_dir);
    }
    int rc = RunCommand(args, {}, log_, std::chrono::seconds(180));
    if (rc != 0) start_error_ = "scripts/swift up failed (" + std::to_string(rc) + "): " + TailOfFile(log_, 3000);
  });
}

void Swift::LoadEnv() {
  std::ifstream env(dir_ + "/swift.env");
  std::map<std::string, std::string> vars;
  std::string line;
  while (std::getline(env, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  vars_ = std::move(vars);
}

void Swift::Wait() {
  if (starting_.joinable()) {
    starting_.join();
    if (start_error_.empty()) {
      LoadEnv();
      if (!vars_.count("SWIFT_STORAGE_URL")) start_error_ = "swift.env has no SWIFT_STORAGE_URL";
    }
    started_ = start_error_.empty();
  }
  if (!started_) {
    throw std::runtime_error("Swift is not running: " +
                             (start_error_.empty() ? std::string("it was never started") : start_error_));
  }
}

void Swift::Stop(bool keep_logs) {
  if (starting_.joinable()) {
    try {
      Wait();
    } catch (const std::exception&) {
      // Not started: `down` below still stops whatever came up.
    }
  }
  std::error_code ec;
  if (!fs::exists(dir_, ec)) {
    if (armed_) DisarmEmergencyStop(this);
    armed_ = false;
    return;
  }
  int rc = RunCommand({ScriptPath(), "down", dir_}, {}, log_, std::chrono::seconds(60));
  if (rc != 0) std::cerr << "e2e: scripts/swift down " << dir_ << " failed: " << TailOfFile(log_, 1500) << "\n";
  if (armed_) DisarmEmergencyStop(this);
  armed_ = false;
  started_ = false;
  if (rc != 0) return;  // its servers may still run: the directory stays with them
  if (keep_logs) {
    fs::remove_all(dir_ + "/srv", ec);
    std::cerr << "e2e: kept " << dir_ << " (Swift's logs in log/)\n";
  } else {
    for (const std::string& path : {dir_, log_, dir_ + ".out"}) fs::remove_all(path, ec);
  }
}

std::string Swift::Var(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) throw std::runtime_error("swift.env of " + dir_ + " has no " + name);
  return it->second;
}

std::string Swift::Script(const std::string& verb) {
  static std::mutex serial;  // one output file per Swift, and scripts/swift locks DIR anyway
  std::lock_guard<std::mutex> lock(serial);
  std::string out = dir_ + ".out";
  std::string command = "'" + ScriptPath() + "' " + verb + " '" + dir_ + "' > '" + out + "'";
  int rc = RunCommand({"/bin/bash", "-c", command}, {}, log_, std::chrono::seconds(120));
  std::string output = Trim(ReadFile(out));
  LoadEnv();
  if (rc != 0) {
    throw std::runtime_error("scripts/swift " + verb + " failed (" + std::to_string(rc) + "): " +
                             TailOfFile(log_, 2000));
  }
  return output;
}

void Swift::PauseObject() {
  pid_t pid = static_cast<pid_t>(std::stol(Var("SWIFT_OBJECT_PID")));
  if (::killpg(pid, SIGSTOP) != 0) throw std::runtime_error("SIGSTOP to the object server " + std::to_string(pid));
}

void Swift::ResumeObject() {
  pid_t pid = static_cast<pid_t>(std::stol(Var("SWIFT_OBJECT_PID")));
  if (::killpg(pid, SIGCONT) != 0) throw std::runtime_error("SIGCONT to the object server " + std::to_string(pid));
}

void Swift::FlushTokens() const {
  int port = std::stoi(Var("SWIFT_MEMCACHED_PORT"));
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const char command[] = "flush_all\r\n";
    if (::send(fd, command, sizeof command - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof command - 1)) {
      char buffer[64];
      ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got > 0) answer.assign(buffer, static_cast<size_t>(got));
    }
  }
  ::close(fd);
  if (answer != "OK\r\n") {
    throw std::runtime_error("memcached on port " + std::to_string(port) + " answered flush_all with '" +
                             answer + "'");
  }
}

Reply Swift::Request(const std::string& method, const std::string& path, const Headers& headers) {
  Api swift(port());
  std::string full = PathOfUrl(Var("SWIFT_STORAGE_URL")) + path;
  Reply reply;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (token_.empty()) token_ = Token();
    Headers sent = headers;
    sent.emplace_back("X-Auth-Token", token_);
    reply = swift.Send(method, full, sent);
    if (reply.status != 401) return reply;
    token_.clear();
  }
  return reply;
}

std::vector<json> Swift::List(const std::string& container, const std::string& prefix) {
  std::vector<json> out;
  std::string marker;
  for (;;) {
    Reply page = Request("GET", "/" + container + Query({{"format", "json"}, {"prefix", prefix}, {"marker", marker}}));
    if (page.status == 404) return out;
    if (page.status != 200) throw std::runtime_error("Swift listing of " + container + ": " + page.Describe());
    json entries = page.Json();
    if (!entries.is_array()) throw std::runtime_error("Swift listing of " + container + " is no list: " + page.body);
    if (entries.empty()) return out;
    for (const json& entry : entries) out.push_back(entry);
    marker = out.back()["name"].get<std::string>();
  }
}

std::vector<std::string> Swift::Names(const std::string& container, const std::string& prefix) {
  std::vector<std::string> names;
  for (const json& entry : List(container, prefix)) names.push_back(entry["name"].get<std::string>());
  return names;
}

int Swift::DataFiles() const {
  // The servers change the tree while it is walked: a directory that goes
  // away is skipped, not an error.
  int count = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(Var("SWIFT_DEVICES"), fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.extension() == ".data") ++count;
  }
  return count;
}

Swift& TheSwift() {
  static Swift swift("run");
  return swift;
}

Swift& SwiftOf(const Stack& stack) {
  std::string dir = stack.SwiftDir();
  if (dir.empty()) throw std::runtime_error("the " + stack.name() + " stack does not use Swift");
  if (dir != TheSwift().dir()) {
    throw std::runtime_error("the " + stack.name() + " stack uses the Swift in " + dir + ", not the run's");
  }
  TheSwift().Wait();
  return TheSwift();
}

void StopTheSwift(bool keep_logs) { TheSwift().Stop(keep_logs); }

}  // namespace e2e
