#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "e2e.h"
#include "../support/free_port.h"

extern char** environ;

namespace e2e {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- basics

std::string RequireEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string("environment variable ") + name +
                             " is not set; run the tests through scripts/run-tests");
  }
  return value;
}

std::vector<int> FreePorts(int count) {
  // Each socket stays bound until every port is picked: no port twice.
  std::vector<int> fds, ports;
  for (int i = 0; i < count; ++i) {
    int port = 0;
    fds.push_back(testsupport::BindRandomTestPort(&port));
    ports.push_back(port);
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

std::string ToLower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

namespace {

std::string Hex(const unsigned char* data, size_t size) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
  return out;
}

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(const char* data, size_t size) { EVP_DigestUpdate(ctx_, data, size); }
  std::string Final() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx_, digest, &length);
    return Hex(digest, length);
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::string Md5Hex(const std::string& data) {
  Md5 md5;
  md5.Update(data.data(), data.size());
  return md5.Final();
}

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::string out(size, '\0');
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = engine();
    std::memcpy(&out[i], &word, 8);
  }
  uint64_t word = engine();
  for (; i < size; ++i) {
    out[i] = static_cast<char>(word & 0xff);
    word >>= 8;
  }
  return out;
}

std::string NewRunTag() {
  static std::mt19937_64 engine(std::random_device{}() ^ static_cast<uint64_t>(getpid()));
  static const char* kAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string tag;
  for (int i = 0; i < 12; ++i) tag.push_back(kAlnum[engine() % 36]);
  return tag;
}

std::string NewUuid() {
  static std::mt19937_64 engine(std::random_device{}() ^ (static_cast<uint64_t>(getpid()) << 20));
  std::string bytes = RandomBytes(16, engine());
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  std::string hex = Hex(reinterpret_cast<const unsigned char*>(bytes.data()), 16);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit,
             std::chrono::milliseconds step) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

// ---------------------------------------------------------------- files

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

int64_t FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_directory(ec)) out.push_back(it->path().string());
  }
  return out;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string TailOfFile(const std::string& path, size_t max_bytes) {
  std::string text = ReadTextFile(path);
  if (text.size() > max_bytes) text = "..." + text.substr(text.size() - max_bytes);
  return text;
}

// ---------------------------------------------------------------- processes

namespace {

struct CStrings {
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  explicit CStrings(std::vector<std::string> items) : storage(std::move(items)) {
    for (auto& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
};

}  // namespace

int RunCommand(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& extra_env, const std::string& log_path,
               std::chrono::seconds timeout) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (!extra_env.count(key)) env.push_back(entry);
  }
  for (const auto& [k, v] : extra_env) env.push_back(k + "=" + v);
  CStrings args(argv), envp(env);
  int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) throw std::runtime_error("cannot open " + log_path + ": " + std::strerror(errno));
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    ::close(devnull);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    // The daemons the script starts must not inherit our sockets and files.
    long max_fd = ::sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
    for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
    ::execve(args.pointers[0], args.pointers.data(), envp.pointers.data());
    _exit(127);
  }
  ::setpgid(pid, pid);
  ::close(out);
  ::close(devnull);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      // Only the script's own process group: the daemons it started called
      // setsid and are not in it.
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      std::ofstream(log_path, std::ios::app) << "\n[e2e] command timed out after " << timeout.count()
                                             << " s and was killed\n";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

// State letter of /proc/<pid>/stat, '\0' when gone.
char ProcessState(pid_t pid) {
  std::string stat = ReadTextFile("/proc/" + std::to_string(pid) + "/stat");
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return '\0';
  return stat[close_paren + 2];
}

}  // namespace

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  char state = ProcessState(pid);
  return state != '\0' && state != 'Z' && state != 'X';
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  if (!fs::exists(task_dir, ec)) return out;
  for (const auto& task : fs::directory_iterator(task_dir, ec)) {
    std::istringstream in(ReadTextFile(task.path().string() + "/children"));
    pid_t child;
    while (in >> child) {
      if (std::find(out.begin(), out.end(), child) == out.end()) out.push_back(child);
    }
  }
  return out;
}

std::string ProcessName(pid_t pid) {
  std::string name = ReadTextFile("/proc/" + std::to_string(pid) + "/comm");
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  return name;
}

std::optional<pid_t> ReadPidFile(const std::string& path) {
  std::istringstream in(ReadTextFile(path));
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

// ---------------------------------------------------------------- HTTP

std::string Reply::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool Reply::Has(const std::string& name) const { return headers.find(name) != headers.end(); }

size_t Reply::Count(const std::string& name) const { return headers.count(name); }

json Reply::Json() const {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) throw std::runtime_error("response body is not JSON: " + Describe());
  return parsed;
}

std::map<std::string, std::string> Reply::MetaHeaders() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    std::string lower = ToLower(name);
    if (lower.rfind("x-image-meta-", 0) == 0) out[lower] = value;
  }
  return out;
}

std::string Reply::Describe() const {
  std::ostringstream out;
  if (status == 0) {
    out << "no HTTP answer (" << error << ")";
    return out.str();
  }
  out << "HTTP " << status;
  for (const auto& [name, value] : headers) out << "\n  " << name << ": " << value;
  std::string shown = body.substr(0, 600);
  bool printable = std::all_of(shown.begin(), shown.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\n' || c == '\r' || c == '\t';
  });
  if (printable) {
    out << "\n  body: " << shown << (body.size() > shown.size() ? "..." : "");
  } else {
    out << "\n  body: <" << body.size() << " bytes>";
  }
  return out.str();
}

Api::Api(int port, Headers defaults) : port_(port), defaults_(std::move(defaults)) {}

std::unique_ptr<httplib::Client> Api::NewClient() const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(120, 0);
  client->set_write_timeout(120, 0);
  client->set_keep_alive(false);
  return client;
}

httplib::Headers Api::Merge(const Headers& headers) const {
  httplib::Headers out;
  for (const auto& [k, v] : defaults_) {
    bool overridden = std::any_of(headers.begin(), headers.end(),
                                  [&k](const auto& h) { return ToLower(h.first) == ToLower(k); });
    if (!overridden) out.emplace(k, v);
  }
  for (const auto& [k, v] : headers) out.emplace(k, v);
  return out;
}

Reply Api::FromResult(const httplib::Result& result) {
  Reply reply;
  if (!result) {
    reply.error = httplib::to_string(result.error());
    return reply;
  }
  reply.status = result->status;
  reply.headers = result->headers;
  reply.body = result->body;
  return reply;
}

Reply Api::Get(const std::string& path, const Headers& headers) const {
  return FromResult(NewClient()->Get(path.c_str(), Merge(headers)));
}

Reply Api::Head(const std::string& path, const Headers& headers) const {
  return FromResult(NewClient()->Head(path.c_str(), Merge(headers)));
}

Reply Api::Delete(const std::string& path, const Headers& headers) const {
  return FromResult(NewClient()->Delete(path.c_str(), Merge(headers)));
}

Reply Api::Post(const std::string& path, const Headers& headers, const std::string& body,
                const std::string& content_type) const {
  return FromResult(NewClient()->Post(path.c_str(), Merge(headers), body, content_type.c_str()));
}

Reply Api::Put(const std::string& path, const Headers& headers, const std::string& body,
               const std::string& content_type) const {
  return FromResult(NewClient()->Put(path.c_str(), Merge(headers), body, content_type.c_str()));
}

Reply Api::Method(const std::string& method, const std::string& path, const Headers& headers) const {
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers = Merge(headers);
  return FromResult(NewClient()->send(request));
}

Reply Api::SendChunked(const std::string& method, const std::string& path, const Headers& headers,
                       const std::string& body, size_t piece, const std::string& content_type) const {
  auto provider = [&body, piece](size_t offset, httplib::DataSink& sink) {
    if (offset >= body.size()) {
      sink.done();
      return true;
    }
    size_t n = std::min(piece, body.size() - offset);
    return sink.write(body.data() + offset, n);
  };
  auto client = NewClient();
  if (method == "PUT") {
    return FromResult(client->Put(path.c_str(), Merge(headers), provider, content_type.c_str()));
  }
  return FromResult(client->Post(path.c_str(), Merge(headers), provider, content_type.c_str()));
}

Api::Download Api::GetDigest(const std::string& path, const Headers& headers) const {
  Download download;
  Md5 md5;
  httplib::Response head;
  auto client = NewClient();
  auto result = client->Get(
      path.c_str(), Merge(headers),
      [&head](const httplib::Response& response) {
        head = response;
        return true;
      },
      [&md5, &download](const char* data, size_t size) {
        md5.Update(data, size);
        download.bytes += static_cast<int64_t>(size);
        return true;
      });
  download.reply = FromResult(result);
  download.reply.body.clear();
  download.md5 = md5.Final();
  return download;
}

namespace {

enum class Parsed { kIncomplete, kComplete, kUntilClose, kBad };

// Parses one HTTP response from `raw`.
Parsed ParseRawResponse(const std::string& raw, bool head_request, Reply* reply) {
  *reply = Reply();
  size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return Parsed::kIncomplete;
  std::istringstream lines(raw.substr(0, end));
  std::string line;
  std::getline(lines, line);
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return Parsed::kBad;
  reply->status = std::atoi(line.c_str() + 9);
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    reply->headers.emplace(line.substr(0, colon), value);
  }
  std::string rest = raw.substr(end + 4);
  if (head_request || reply->status == 204 || reply->status == 304 || reply->status / 100 == 1) {
    return Parsed::kComplete;
  }
  if (ToLower(reply->Header("Transfer-Encoding")).find("chunked") != std::string::npos) {
    size_t pos = 0;
    while (true) {
      size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) return Parsed::kIncomplete;
      size_t size = std::strtoul(rest.substr(pos, eol - pos).c_str(), nullptr, 16);
      pos = eol + 2;
      if (size == 0) return Parsed::kComplete;
      if (pos + size + 2 > rest.size()) return Parsed::kIncomplete;
      reply->body += rest.substr(pos, size);
      pos += size + 2;
    }
  }
  if (reply->Has("Content-Length")) {
    size_t length = std::strtoull(reply->Header("Content-Length").c_str(), nullptr, 10);
    reply->body = rest.substr(0, std::min(length, rest.size()));
    return rest.size() >= length ? Parsed::kComplete : Parsed::kIncomplete;
  }
  reply->body = rest;
  return Parsed::kUntilClose;
}

}  // namespace

Reply Api::Raw(const std::string& request_bytes, std::chrono::seconds timeout) const {
  Reply reply;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    reply.error = "socket() failed";
    return reply;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    reply.error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return reply;
  }
  size_t sent = 0;
  while (sent < request_bytes.size()) {
    ssize_t n = ::send(fd, request_bytes.data() + sent, request_bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer early (413) and close; read what it said
    sent += static_cast<size_t>(n);
  }
  bool head = request_bytes.rfind("HEAD ", 0) == 0;
  std::string raw;
  char buffer[65536];
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Parsed state = Parsed::kIncomplete;
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      raw.append(buffer, static_cast<size_t>(n));
      Reply probe;
      state = ParseRawResponse(raw, head, &probe);
      if (state == Parsed::kComplete || state == Parsed::kBad) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && raw.empty()) reply.error = std::string("recv: ") + std::strerror(errno);
    break;
  }
  ::close(fd);
  if (raw.empty()) {
    if (reply.error.empty()) reply.error = "connection closed without an answer";
    return reply;
  }
  std::string error = reply.error;
  state = ParseRawResponse(raw, head, &reply);
  if (state == Parsed::kBad) {
    reply = Reply();
    reply.error = "unparsable answer: " + raw.substr(0, 200);
  } else if (state == Parsed::kIncomplete) {
    reply.error = "incomplete answer";
  }
  return reply;
}

Api::Streamed Api::StreamUpload(const std::string& head, int64_t body_bytes, bool wait_continue,
                                int64_t bytes_per_second,
                                const std::function<void(int64_t)>& on_piece,
                                std::chrono::seconds timeout) const {
  Streamed out;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    out.reply.error = "socket() failed";
    return out;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    out.reply.error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return out;
  }
  std::string raw;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Reads what is there within `wait`; false once the peer closed or failed.
  auto read_some = [&](std::chrono::milliseconds wait) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
    char buffer[65536];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    raw.append(buffer, static_cast<size_t>(n));
    return true;
  };
  auto strip_continue = [&] {
    const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
    if (raw.rfind(interim, 0) == 0) {
      raw.erase(0, interim.size());
      out.got_continue = true;
    }
  };
  bool open = ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(head.size());
  if (open && wait_continue) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (open && raw.empty() && std::chrono::steady_clock::now() < until) {
      open = read_some(std::chrono::milliseconds(50));
    }
    strip_continue();
  }
  std::string piece(256 * 1024, 'x');
  auto started = std::chrono::steady_clock::now();
  while (open && raw.empty() && out.body_sent < body_bytes && (!wait_continue || out.got_continue)) {
    size_t n = static_cast<size_t>(std::min<int64_t>(piece.size(), body_bytes - out.body_sent));
    ssize_t w = ::send(fd, piece.data(), n, MSG_NOSIGNAL);
    if (w <= 0) break;
    out.body_sent += w;
    if (on_piece) on_piece(out.body_sent);
    if (bytes_per_second > 0) {
      auto due = started + std::chrono::microseconds(out.body_sent * 1000000 / bytes_per_second);
      while (open && raw.empty() && std::chrono::steady_clock::now() < due) {
        open = read_some(std::chrono::milliseconds(5));
      }
    } else {
      open = read_some(std::chrono::milliseconds(0));
    }
  }
  bool is_head = head.rfind("HEAD ", 0) == 0;
  while (std::chrono::steady_clock::now() < deadline) {
    Reply probe;
    if (!raw.empty() && ParseRawResponse(raw, is_head, &probe) != Parsed::kIncomplete) break;
    if (!read_some(std::chrono::milliseconds(100))) break;
  }
  ::close(fd);
  strip_continue();
  if (raw.empty()) {
    out.reply.error = "connection closed without an answer";
    return out;
  }
  if (ParseRawResponse(raw, is_head, &out.reply) != Parsed::kComplete) {
    out.reply = Reply();
    out.reply.error = "incomplete or unparsable answer: " + raw.substr(0, 200);
  }
  return out;
}

bool Api::SendAndClose(const std::string& request_bytes) const {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  size_t sent = 0;
  while (ok && sent < request_bytes.size()) {
    ssize_t n = ::send(fd, request_bytes.data() + sent, request_bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) ok = false;
    else sent += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok;
}

// ---------------------------------------------------------------- image helpers

Headers ImageHeaders(const std::string& name, const Headers& extra) {
  Headers headers{{"x-image-meta-name", name},
                  {"x-image-meta-disk_format", "raw"},
                  {"x-image-meta-container_format", "bare"}};
  for (const auto& h : extra) headers.push_back(h);
  return headers;
}

ImageRef CreateImage(const Api& api, const std::string& name, const std::string& data,
                     const Headers& extra) {
  ImageRef ref;
  ref.reply = api.Post("/v1/images", ImageHeaders(name, extra), data);
  if (ref.reply.status == 201) {
    json body = json::parse(ref.reply.body, nullptr, false);
    if (!body.is_discarded() && body.contains("image") && body["image"].contains("id")) {
      ref.id = body["image"]["id"].get<std::string>();
    }
  }
  return ref;
}

ImageRef ReserveImage(const Api& api, const std::string& name, const Headers& extra) {
  ImageRef ref;
  Headers headers{{"x-image-meta-name", name}};
  for (const auto& h : extra) headers.push_back(h);
  ref.reply = api.Post("/v1/images", headers, "", "");
  if (ref.reply.status == 201) {
    json body = json::parse(ref.reply.body, nullptr, false);
    if (!body.is_discarded() && body.contains("image") && body["image"].contains("id")) {
      ref.id = body["image"]["id"].get<std::string>();
    }
  }
  return ref;
}

std::vector<std::string> WaitIncomingEmpty(const Stack& stack, std::chrono::milliseconds limit) {
  std::vector<std::string> left;
  WaitFor(
      [&] {
        left = FilesUnder(stack.IncomingDir());
        return left.empty();
      },
      limit);
  return left;
}

std::set<std::string> StoreEntries(const Stack& stack) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(stack.StoreDir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name != "_incoming") out.insert(name);
  }
  return out;
}

std::string HeadStatus(const Api& api, const std::string& id) {
  Reply reply = api.Head("/v1/images/" + id);
  return reply.status == 200 ? reply.Header("x-image-meta-status") : "";
}

void CheckNoDataLeft(const Stack& stack, const std::string& id) {
  BOOST_TEST(!PathExists(stack.StorePath(id)), "store still holds " << stack.StorePath(id));
  std::vector<std::string> left = WaitIncomingEmpty(stack);
  std::string listing;
  for (const auto& f : left) listing += " " + f + " (" + std::to_string(FileSize(f)) + " bytes)";
  BOOST_TEST(left.empty(), "upload temp dir not empty:" << listing);
}

Headers Identity(const std::string& tenant, const std::string& roles, const std::string& user) {
  return {{"X-Identity-Status", "Confirmed"},
          {"X-Tenant-Id", tenant},
          {"X-User-Id", user.empty() ? "user-" + tenant : user},
          {"X-Roles", roles}};
}

}  // namespace e2e
