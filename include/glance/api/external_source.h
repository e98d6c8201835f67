// External image sources (spec §13, §20.7): the URIs of
// `x-image-meta-location` and `x-glance-api-copy-from`.
//
// A source is usable only when it is http or https with a host, no
// credentials, and every address its host resolves to is outside the
// forbidden targets (by default this deployment's own api and registry
// ports on any local address: the request-forgery class of CVE-2014-9493's
// cousins).  The host is resolved once, here; every later connection --
// the size probe, the copy, and nginx's proxied download -- goes to that
// checked address, so a name that re-resolves elsewhere (DNS rebinding)
// changes nothing.  Redirects are never followed and every network wait is
// bounded by the configured time-outs.  Thread-safe.
#ifndef GLANCE_API_EXTERNAL_SOURCE_H_
#define GLANCE_API_EXTERNAL_SOURCE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/config.h"
#include "glance/common/status.h"

namespace glance::api {

inline constexpr size_t kMaxExternalUriChars = 2048;

// One forbidden target: an address (or every address of this machine) and
// a port (or every port).
struct ForbiddenTarget {
  bool any_local_address = false;
  std::string address;  // raw 4 or 16 bytes when !any_local_address
  int port = 0;         // 0: every port

  // "local:9292", "10.0.0.5:9191", "[fd00::1]:*"; throws ConfigError.
  static ForbiddenTarget Parse(const std::string& text);
};

struct ExternalSourceOptions {
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 60;
  int max_concurrent_copies = 4;  // per worker process
  std::vector<ForbiddenTarget> forbidden;
  std::string ca_file;            // empty: the system's trust store

  // [external_sources] connect_timeout, read_timeout, max_concurrent_copies,
  // forbidden_targets (default `default_forbidden`), ca_file.
  static ExternalSourceOptions FromConfig(const Config& config,
                                          const std::vector<std::string>& default_forbidden);
};

struct ExternalUri {
  std::string uri;     // as the client gave it
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case, IPv6 without brackets
  int port = 0;
  std::string target;  // path and query sent to the source ("/" at least)

  std::string HostHeader() const;  // host[:port], bracketed IPv6
  std::string Origin() const;      // scheme://host:port: what to connect to, what logs show
};

// Syntax only (no resolution): kInvalidArgument with a client-facing reason.
Status ParseExternalUri(const std::string& text, ExternalUri* out);

// A parsed URI and the one address every connection to it must use.
struct ResolvedSource {
  ExternalUri uri;
  std::string address;  // IP literal text, IPv6 without brackets
  std::string AddressAndPort() const;  // "1.2.3.4:80", "[::1]:8080"
};

class ExternalSources {
 public:
  explicit ExternalSources(ExternalSourceOptions options);

  const ExternalSourceOptions& options() const { return options_; }

  // Parses, resolves and checks a source: kInvalidArgument for anything
  // unusable (bad syntax, scheme, unresolvable host, forbidden target).
  Status Resolve(const std::string& text, ResolvedSource* out) const;
  // True when an address (raw 4 or 16 bytes) and port are forbidden.
  bool IsForbidden(const std::string& raw_address, int port) const;

  // HEAD of the source: its Content-Length, if it sent one.  Unreachable,
  // time-out, redirect or an error status: kInvalidArgument.
  Status ProbeSize(const ResolvedSource& source, std::optional<int64_t>* size) const;

  // GET of the source into `fd`.  Stops with kTooLarge past `limit` bytes,
  // kInvalidArgument on any network or HTTP failure, kUnavailable once
  // `cancelled` returns true.  `*bytes` receives what was written.
  Status Fetch(const ResolvedSource& source, int fd, int64_t limit,
               const std::function<bool()>& cancelled, int64_t* bytes) const;

 private:
  ExternalSourceOptions options_;
};

}  // namespace glance::api

#endif  // GLANCE_API_EXTERNAL_SOURCE_H_
