// IdentityClient: the two Identity v3 calls the keystone auth mode makes:
// issue the service's own token (password method) and validate a user's
// token with it (GET /v3/auth/tokens?nocatalog — HEAD is refused to the
// service role).  One connection per call: calls are rare (the cache
// answers the rest) and this keeps the client safe to share by threads.
#ifndef GLANCE_SRC_AUTH_IDENTITY_CLIENT_H_
#define GLANCE_SRC_AUTH_IDENTITY_CLIENT_H_

#include <ctime>
#include <string>

#include "glance/auth/keystone_options.h"
#include "glance/common/status.h"
#include "token_cache.h"

namespace glance::auth {

struct IssuedToken {
  std::string token;
  std::time_t expires_at = 0;
};

// What Keystone answered about a token.
enum class Verdict {
  kValid,           // identity filled in
  kInvalid,         // 404: garbage, expired or revoked
  kServiceRefused,  // 401: our own token is not (or no longer) valid
  kForbidden,       // 403: our service user may not validate tokens
  kUnavailable,     // no answer, a time-out or anything else
};

class IdentityClient {
 public:
  explicit IdentityClient(KeystoneOptions options) : options_(std::move(options)) {}

  // kUnauthorized when Keystone refuses the credentials, kUnavailable when
  // it cannot be asked.
  Status IssueServiceToken(IssuedToken* issued) const;
  Verdict Validate(const std::string& service_token, const std::string& token,
                   TokenIdentity* identity, std::string* detail) const;

 private:
  KeystoneOptions options_;
};

// The identity of a token document ({"token": {...}}); false when its
// user, expiry or roles are missing or malformed.
bool ParseTokenDocument(const std::string& body, TokenIdentity* identity);

}  // namespace glance::auth

#endif  // GLANCE_SRC_AUTH_IDENTITY_CLIENT_H_
