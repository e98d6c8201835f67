#include "glance/api/external_source.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "glance/common/logging.h"
#include "glance/common/text.h"

namespace glance::api {

namespace {

// Raw bytes of an address; IPv4-mapped IPv6 becomes plain IPv4, so that
// ::ffff:127.0.0.1 is the loopback it stands for.
std::string RawAddress(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return std::string(reinterpret_cast<const char*>(&in->sin_addr), 4);
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      return std::string(reinterpret_cast<const char*>(&in6->sin6_addr) + 12, 4);
    }
    return std::string(reinterpret_cast<const char*>(&in6->sin6_addr), 16);
  }
  return {};
}

std::string AddressText(const std::string& raw) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(raw.size() == 4 ? AF_INET : AF_INET6, raw.data(), text, sizeof text);
  return text;
}

// Addresses that reach this machine whatever its interfaces: 127/8 and
// 0/8 (Linux connects 0.0.0.0 to itself), ::1 and ::.
bool IsLoopbackLike(const std::string& raw) {
  if (raw.size() == 4) return raw[0] == 127 || raw[0] == 0;
  static const std::string any(16, '\0');
  std::string loopback(16, '\0');
  loopback[15] = 1;
  return raw == any || raw == loopback;
}

bool IsLocalAddress(const std::string& raw) {
  if (IsLoopbackLike(raw)) return true;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return true;  // unknown: assume the worst
  bool local = false;
  for (ifaddrs* a = list; a && !local; a = a->ifa_next) {
    if (a->ifa_addr && RawAddress(a->ifa_addr) == raw) local = true;
  }
  freeifaddrs(list);
  return local;
}

std::optional<std::string> ParseIpLiteral(const std::string& text) {
  unsigned char buffer[16];
  if (inet_pton(AF_INET, text.c_str(), buffer) == 1) return std::string(reinterpret_cast<char*>(buffer), 4);
  if (inet_pton(AF_INET6, text.c_str(), buffer) == 1) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    std::memcpy(&in6.sin6_addr, buffer, 16);
    return RawAddress(reinterpret_cast<sockaddr*>(&in6));
  }
  return std::nullopt;
}

Status Unusable(const ExternalUri& uri, const std::string& why) {
  return Status::InvalidArgument("External source '" + uri.uri + "' is not usable: " + why);
}

// An address or host as it stands in a URI or Host header: IPv6 in brackets.
std::string Bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

// A client for one source: the checked address pinned for the host name
// (TLS still verifies and sends SNI for the name), bounded waits, no
// redirects, no content decoding (the bytes are the image).
std::unique_ptr<httplib::Client> NewClient(const ExternalSourceOptions& options,
                                           const ResolvedSource& source) {
  const ExternalUri& uri = source.uri;
  auto client = std::make_unique<httplib::Client>(uri.Origin());
  if (source.address != uri.host) client->set_hostname_addr_map({{uri.host, source.address}});
  client->set_connection_timeout(options.connect_timeout_seconds, 0);
  client->set_read_timeout(options.read_timeout_seconds, 0);
  client->set_write_timeout(options.read_timeout_seconds, 0);
  client->set_follow_location(false);
  client->set_keep_alive(false);
  client->set_url_encode(false);
  client->set_decompress(false);
  if (uri.scheme == "https") {
    client->enable_server_certificate_verification(true);
    if (!options.ca_file.empty()) client->set_ca_cert_path(options.ca_file);
  }
  return client;
}

httplib::Headers SourceHeaders(const ExternalUri& uri) {
  return {{"Host", uri.HostHeader()},
          {"Accept-Encoding", "identity"},
          {"User-Agent", "glance-cpp"}};
}

Status FromStatusCode(const ResolvedSource& source, int status) {
  if (status >= 300 && status < 400) {
    return Unusable(source.uri, "it answered a redirect (" + std::to_string(status) +
                                    "), which is not followed");
  }
  return Unusable(source.uri, "it answered " + std::to_string(status));
}

Status FromTransportError(const ResolvedSource& source, httplib::Error error) {
  std::string why = error == httplib::Error::Read ? "it went silent past the read time-out or broke off"
                    : error == httplib::Error::Connection ? "cannot connect"
                    : error == httplib::Error::SSLServerVerification ? "its TLS certificate is not trusted"
                    : "transfer failed (" + httplib::to_string(error) + ")";
  return Unusable(source.uri, why);
}

}  // namespace

ForbiddenTarget ForbiddenTarget::Parse(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw ConfigError("forbidden target '" + text + "' must be ADDRESS:PORT");
  }
  ForbiddenTarget target;
  std::string address = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  if (address == "local") {
    target.any_local_address = true;
  } else {
    if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
      address = address.substr(1, address.size() - 2);
    }
    auto raw = ParseIpLiteral(address);
    if (!raw) throw ConfigError("forbidden target '" + text + "': 'local' or an IP address");
    target.address = *raw;
  }
  if (port != "*") {
    auto n = ParseInt64(port);
    if (!n || *n < 1 || *n > 65535) throw ConfigError("forbidden target '" + text + "': bad port");
    target.port = static_cast<int>(*n);
  }
  return target;
}

ExternalSourceOptions ExternalSourceOptions::FromConfig(
    const Config& config, const std::vector<std::string>& default_forbidden) {
  ExternalSourceOptions o;
  const char* section = "external_sources";
  o.connect_timeout_seconds =
      static_cast<int>(config.GetInt(section, "connect_timeout", o.connect_timeout_seconds));
  o.read_timeout_seconds =
      static_cast<int>(config.GetInt(section, "read_timeout", o.read_timeout_seconds));
  o.max_concurrent_copies =
      static_cast<int>(config.GetInt(section, "max_concurrent_copies", o.max_concurrent_copies));
  if (o.connect_timeout_seconds < 1 || o.connect_timeout_seconds > 3600 ||
      o.read_timeout_seconds < 1 || o.read_timeout_seconds > 3600) {
    throw ConfigError("[external_sources] time-outs must be 1 to 3600 seconds");
  }
  if (o.max_concurrent_copies < 0) {
    throw ConfigError("[external_sources] max_concurrent_copies must not be negative");
  }
  // Present but empty means "forbid nothing": the operator's explicit choice.
  for (const std::string& entry : config.GetList(section, "forbidden_targets", default_forbidden)) {
    o.forbidden.push_back(ForbiddenTarget::Parse(entry));
  }
  o.ca_file = config.GetString(section, "ca_file", "");
  return o;
}

std::string ExternalUri::HostHeader() const {
  bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? Bracketed(host) : Bracketed(host) + ":" + std::to_string(port);
}

std::string ExternalUri::Origin() const {
  return scheme + "://" + Bracketed(host) + ":" + std::to_string(port);
}

std::string ResolvedSource::AddressAndPort() const {
  return Bracketed(address) + ":" + std::to_string(uri.port);
}

Status ParseExternalUri(const std::string& text, ExternalUri* out) {
  *out = ExternalUri();
  out->uri = text;
  if (text.size() > kMaxExternalUriChars) {
    out->uri = text.substr(0, 64) + "...";
    return Unusable(*out, "longer than " + std::to_string(kMaxExternalUriChars) + " characters");
  }
  for (char c : text) {
    // Printable ASCII only: no spaces, controls (header injection towards
    // the source or nginx) or raw non-ASCII.
    if (c <= 0x20 || c >= 0x7f) return Unusable(*out, "it contains a character URIs cannot carry");
  }
  size_t sep = text.find("://");
  std::string scheme = sep == std::string::npos ? "" : ToLower(text.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("External sources are not supported: '" + text + "'");
  }
  out->scheme = scheme;
  size_t start = sep + 3;
  size_t end = text.find_first_of("/?#", start);
  std::string authority = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  std::string rest = end == std::string::npos ? "" : text.substr(end);
  if (authority.find('@') != std::string::npos) {
    return Unusable(*out, "credentials in the URI are not supported");
  }
  std::string host, port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return Unusable(*out, "unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Unusable(*out, "malformed host");
      port = after.substr(1);
      if (port.empty()) return Unusable(*out, "empty port");
    }
    unsigned char buffer[16];
    if (inet_pton(AF_INET6, host.c_str(), buffer) != 1) return Unusable(*out, "malformed IPv6 address");
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return Unusable(*out, "empty port");
    }
    if (host.empty()) return Unusable(*out, "no host");
    if (host.size() > 253) return Unusable(*out, "host name too long");
    for (char c : host) {
      if (!IsHostChar(c)) return Unusable(*out, "malformed host");
    }
  }
  out->host = ToLower(host);
  if (port.empty()) {
    out->port = scheme == "https" ? 443 : 80;
  } else {
    auto n = ParseInt64(port);
    if (!n || *n < 1 || *n > 65535 || port[0] == '+' || port[0] == '-') {
      return Unusable(*out, "bad port");
    }
    out->port = static_cast<int>(*n);
  }
  // The fragment is the client's business, never sent to a server.
  rest = rest.substr(0, rest.find('#'));
  if (rest.empty() || rest[0] == '?') rest = "/" + rest;
  out->target = rest;
  return Status::Ok();
}

ExternalSources::ExternalSources(ExternalSourceOptions options) : options_(std::move(options)) {}

bool ExternalSources::IsForbidden(const std::string& raw, int port) const {
  for (const ForbiddenTarget& t : options_.forbidden) {
    if (t.port != 0 && t.port != port) continue;
    if (t.any_local_address ? IsLocalAddress(raw) : t.address == raw) return true;
  }
  return false;
}

Status ExternalSources::Resolve(const std::string& text, ResolvedSource* out) const {
  Status s = ParseExternalUri(text, &out->uri);
  if (!s.ok()) return s;
  const ExternalUri& uri = out->uri;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  // glibc also reads the inet_aton spellings (2130706433, 0x7f000001,
  // 0177.0.0.1, 127.1): they come back as the addresses they mean and are
  // checked as such below.
  int rc = getaddrinfo(uri.host.c_str(), nullptr, &hints, &list);
  if (rc != 0) return Unusable(uri, "its host cannot be resolved (" + std::string(gai_strerror(rc)) + ")");
  std::string chosen;
  bool forbidden = false;
  for (addrinfo* a = list; a; a = a->ai_next) {
    std::string raw = RawAddress(a->ai_addr);
    if (raw.empty()) continue;
    // Every address must pass, not just the one used: which one a later
    // resolution would prefer is not ours to predict.
    if (IsForbidden(raw, uri.port)) forbidden = true;
    if (chosen.empty()) chosen = raw;
  }
  freeaddrinfo(list);
  if (forbidden) {
    LogWarning("refused an external source at " + uri.Origin() + ": one of this deployment's own services");
    return Unusable(uri, "it points at one of this service's own endpoints");
  }
  if (chosen.empty()) return Unusable(uri, "its host has no usable address");
  out->address = AddressText(chosen);
  return Status::Ok();
}

Status ExternalSources::ProbeSize(const ResolvedSource& source, std::optional<int64_t>* size) const {
  auto client = NewClient(options_, source);
  httplib::Result result = client->Head(source.uri.target.c_str(), SourceHeaders(source.uri));
  if (!result) return FromTransportError(source, result.error());
  if (result->status != 200) return FromStatusCode(source, result->status);
  size->reset();
  if (result->has_header("Content-Length")) {
    auto n = ParseInt64(result->get_header_value("Content-Length"));
    if (!n || *n < 0) return Unusable(source.uri, "it sent a malformed Content-Length");
    *size = *n;
  }
  return Status::Ok();
}

Status ExternalSources::Fetch(const ResolvedSource& source, int fd, int64_t limit,
                              const std::function<bool()>& cancelled, int64_t* bytes) const {
  *bytes = 0;
  Status failure;
  auto client = NewClient(options_, source);
  auto on_response = [&](const httplib::Response& response) {
    if (response.status != 200) {
      failure = FromStatusCode(source, response.status);
      return false;
    }
    if (response.has_header("Content-Length")) {
      auto n = ParseInt64(response.get_header_value("Content-Length"));
      if (n && *n > limit) {
        failure = Status::TooLarge("The source is larger than " + std::to_string(limit) + " bytes.");
        return false;
      }
    }
    return true;
  };
  auto on_data = [&](const char* data, size_t length) {
    if (cancelled()) {
      failure = Status::Unavailable("The copy was cancelled: the API worker is stopping.");
      return false;
    }
    if (*bytes + static_cast<int64_t>(length) > limit) {
      failure = Status::TooLarge("The source is larger than " + std::to_string(limit) + " bytes.");
      return false;
    }
    while (length > 0) {
      ssize_t n = write(fd, data, length);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failure = errno == ENOSPC ? Status::TooLarge("Image storage media is full.")
                                  : Status::Unavailable(std::string("cannot write the copy: ") +
                                                        std::strerror(errno));
        return false;
      }
      data += n;
      length -= static_cast<size_t>(n);
      *bytes += n;
    }
    return true;
  };
  httplib::Result result =
      client->Get(source.uri.target.c_str(), SourceHeaders(source.uri), on_response, on_data);
  if (!failure.ok()) return failure;
  if (!result) return FromTransportError(source, result.error());
  return Status::Ok();
}

}  // namespace glance::api
