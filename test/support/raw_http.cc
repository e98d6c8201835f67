// The Api's requests on raw sockets: bytes exactly as the test wrote them,
// and answers parsed by hand.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "http_client.h"
#include "text.h"

namespace testsupport {

namespace {

// A connection to 127.0.0.1:port, or -1 with *error set.  `timeout`
// bounds the connect and every later send and recv.
int Connect(int port, std::optional<std::chrono::seconds> timeout, std::string* error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = "socket() failed";
    return -1;
  }
  if (timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout->count());
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

enum class Parsed { kIncomplete, kComplete, kUntilClose, kBad };

// Parses one HTTP response from `raw`.
Parsed ParseRawResponse(const std::string& raw, bool head_request, Response* reply) {
  *reply = Response();
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

Response Api::Raw(const std::string& request_bytes, std::chrono::seconds timeout) const {
  Response reply;
  int fd = Connect(port_, timeout, &reply.error);
  if (fd < 0) return reply;
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
      Response probe;
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
  state = ParseRawResponse(raw, head, &reply);
  if (state == Parsed::kBad) {
    reply = Response();
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
  int fd = Connect(port_, std::nullopt, &out.reply.error);
  if (fd < 0) return out;
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
    Response probe;
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
    out.reply = Response();
    out.reply.error = "incomplete or unparsable answer: " + raw.substr(0, 200);
  }
  return out;
}

bool Api::SendAndClose(const std::string& request_bytes) const {
  std::string error;
  int fd = Connect(port_, std::nullopt, &error);
  if (fd < 0) return false;
  bool ok = true;
  size_t sent = 0;
  while (ok && sent < request_bytes.size()) {
    ssize_t n = ::send(fd, request_bytes.data() + sent, request_bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) ok = false;
    else sent += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok;
}

}  // namespace testsupport
