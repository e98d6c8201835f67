#include "swift_http.h"

#include <netdb.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "glance/common/text.h"
#include "unique_fd.h"

namespace glance::swift {

namespace {

int Connect(const HttpUrl& server, int timeout_seconds, std::string* error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(server.host.c_str(), std::to_string(server.port).c_str(), &hints, &found);
  if (rc != 0) {
    *error = "cannot resolve " + server.host + ": " + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  timeval timeout{timeout_seconds, 0};
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // On Linux SO_SNDTIMEO bounds connect(2) too.
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    *error = "cannot connect to " + server.host + ":" + std::to_string(server.port) + ": " +
             std::strerror(errno);
    close(fd);
  }
  return -1;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads a whole response (the request said Connection: close).
void ReadReply(int fd, Reply* reply) {
  std::string raw;
  char buffer[16384];
  size_t header_end = std::string::npos;
  int64_t content_length = -1;
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      header_end = raw.find("\r\n\r\n");
      if (header_end == std::string::npos) {
        if (raw.size() > (1 << 20)) break;
        continue;
      }
      size_t line_end = raw.find("\r\n");
      std::string status_line = raw.substr(0, line_end);
      size_t space = status_line.find(' ');
      if (status_line.rfind("HTTP/1.", 0) != 0 || space == std::string::npos) break;
      reply->status = std::atoi(status_line.c_str() + space + 1);
      size_t at = line_end + 2;
      while (at < header_end) {
        size_t end = raw.find("\r\n", at);
        std::string line = raw.substr(at, end - at);
        at = end + 2;
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        reply->headers.emplace(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
      }
      std::string length = reply->Header("Content-Length");
      if (!length.empty()) content_length = std::atoll(length.c_str());
    }
    if (content_length >= 0 &&
        static_cast<int64_t>(raw.size() - header_end - 4) >= content_length) {
      break;
    }
  }
  if (header_end == std::string::npos || reply->status == 0) {
    reply->status = 0;
    if (reply->error.empty()) reply->error = "no HTTP answer";
    return;
  }
  reply->body = raw.substr(header_end + 4);
}

}  // namespace

bool ParseHttpUrl(const std::string& url, HttpUrl* out) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return false;
  std::string rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out->path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out->path.empty() && out->path.back() == '/') out->path.pop_back();
  out->port = 80;
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    out->port = std::stoi(port);
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  out->host = authority;
  return !out->host.empty() && out->port > 0 && out->port < 65536;
}

std::string Reply::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string Reply::Describe() const {
  if (status == 0) return error.empty() ? "no answer" : error;
  return "HTTP " + std::to_string(status);
}

Reply Send(const HttpUrl& server, const std::string& method, const std::string& path,
           const httplib::Headers& headers, const std::string& body, int timeout_seconds) {
  httplib::Client client(server.host, server.port);
  client.set_connection_timeout(timeout_seconds, 0);
  client.set_read_timeout(timeout_seconds, 0);
  client.set_write_timeout(timeout_seconds, 0);
  client.set_keep_alive(false);
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers = headers;
  request.body = body;
  if (!body.empty() && !request.has_header("Content-Type")) {
    request.set_header("Content-Type", "application/octet-stream");
  }
  if ((method == "PUT" || method == "POST") && body.empty()) request.set_header("Content-Length", "0");
  Reply reply;
  httplib::Result result = client.send(request);
  if (!result) {
    reply.error = "cannot reach " + server.host + ":" + std::to_string(server.port) + " (" +
                  httplib::to_string(result.error()) + ")";
    return reply;
  }
  reply.status = result->status;
  reply.headers = result->headers;
  reply.body = result->body;
  return reply;
}

Reply PutFileRange(const HttpUrl& server, const std::string& path, const httplib::Headers& headers,
                   int fd, off_t offset, int64_t length, int timeout_seconds) {
  Reply reply;
  Fd socket(Connect(server, timeout_seconds, &reply.error));
  if (socket.get() < 0) return reply;
  std::string head = "PUT " + path + " HTTP/1.1\r\nHost: " + server.host + ":" +
                     std::to_string(server.port) + "\r\nContent-Length: " + std::to_string(length) +
                     "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  bool sent = SendAll(socket.get(), head);
  int64_t left = length;
  while (sent && left > 0) {
    ssize_t n = sendfile(socket.get(), fd, &offset, static_cast<size_t>(std::min<int64_t>(left, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      reply.error = std::string("sending the body failed: ") + std::strerror(errno);
      sent = false;
    } else if (n == 0) {
      reply.error = "the upload file ended early";
      sent = false;
    } else {
      left -= n;
    }
  }
  // Even a body cut short may have an answer waiting (Swift refuses early).
  ReadReply(socket.get(), &reply);
  if (!sent && reply.status / 100 == 2) {
    reply.status = 0;  // never trust a success for bytes that were not all sent
  }
  return reply;
}

}  // namespace glance::swift
