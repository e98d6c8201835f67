// RequestContext: who is asking, built once per request from the identity
// headers according to the configured auth mode (spec §3).
//
//   noauth (flavor empty or "noauth"): admin, no user, no tenant; identity
//     headers ignored.
//   trusted-auth: X-Identity-Status must be "Confirmed", then X-User-Id,
//     X-Project-Id / X-Tenant-Id and X-Roles make the context; otherwise 401,
//     or a read-only anonymous context when allow_anonymous_access is on.
//   keystone: X-Auth-Token validated with Keystone (glance/auth/keystone_auth.h);
//     glance-api only.
#ifndef GLANCE_COMMON_REQUEST_CONTEXT_H_
#define GLANCE_COMMON_REQUEST_CONTEXT_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/config.h"
#include "glance/common/status.h"

namespace glance {

enum class AuthMode { kNoAuth, kTrustedAuth, kKeystone };

struct ContextOptions {
  AuthMode mode = AuthMode::kNoAuth;
  std::string admin_role = "admin";
  bool owner_is_tenant = true;
  bool allow_anonymous_access = false;

  // Reads [paste_deploy] flavor, admin_role, owner_is_tenant and
  // allow_anonymous_access; throws ConfigError on an unknown flavor.
  static ContextOptions FromConfig(const Config& config);
};

struct RequestContext {
  std::optional<std::string> user;
  std::optional<std::string> tenant;
  std::vector<std::string> roles;  // lower-cased
  bool is_admin = false;
  bool read_only = false;
  std::string request_id;          // always "req-..."

  // The owner of what this context creates: the tenant (or the user when
  // owner_is_tenant is off).
  std::optional<std::string> owner;
};

// Looks a request header up by case-insensitive name; nullopt if absent.
using HeaderLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Builds the context of one request.  Fails with kUnauthorized in
// trusted-auth mode without a confirmed identity (and no anonymous access),
// and with kInvalidArgument for malformed identity or request-id headers.
Status BuildRequestContext(const ContextOptions& options, const HeaderLookup& header,
                           RequestContext* context);

// The request id to use: the client's X-Openstack-Request-Id (prefixed with
// "req-" when it lacks it) or a new "req-<uuid>".  Ids over 64 characters or
// with characters outside [A-Za-z0-9_.-] are replaced by a new one.
std::string ResolveRequestId(const std::optional<std::string>& supplied);

// oslo.log's context field for the log line of a request:
// "req-… <user> <tenant> - - -", "-" standing for an absent value.
std::string LogTag(const RequestContext& context);

}  // namespace glance

#endif  // GLANCE_COMMON_REQUEST_CONTEXT_H_
