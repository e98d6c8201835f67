// Authenticator: one implementation per [paste_deploy] flavor (spec §3), one
// interface: the request's headers in, the identity of a RequestContext or
// a refusal (kUnauthorized, kInvalidArgument) out.  A new mode (Keystone)
// is a new implementation and one more case in MakeAuthenticator, never a
// branch in the callers.  Implementations are immutable and thread-safe.
#ifndef GLANCE_COMMON_AUTH_MODE_H_
#define GLANCE_COMMON_AUTH_MODE_H_

#include <memory>

#include "glance/common/request_context.h"

namespace glance {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Sets user, tenant, roles, is_admin, read_only and owner of `context`
  // (its request id is the caller's).
  virtual Status Authenticate(const HeaderLookup& header, RequestContext* context) const = 0;
  // What a 401 carries in WWW-Authenticate ("" for none).
  virtual std::string Challenge() const { return ""; }
};

// noauth: every request is an admin without user or tenant.
class NoAuthMode : public Authenticator {
 public:
  Status Authenticate(const HeaderLookup& header, RequestContext* context) const override;
};

// trusted-auth: the identity headers an authenticating front set.
class TrustedAuthMode : public Authenticator {
 public:
  explicit TrustedAuthMode(ContextOptions options) : options_(std::move(options)) {}
  Status Authenticate(const HeaderLookup& header, RequestContext* context) const override;

 private:
  ContextOptions options_;
};

std::unique_ptr<Authenticator> MakeAuthenticator(const ContextOptions& options);

}  // namespace glance

#endif  // GLANCE_COMMON_AUTH_MODE_H_
