// KeystoneAuthMode: [paste_deploy] flavor = keystone, what
// keystonemiddleware's auth_token filter does for Glance: the client's
// X-Auth-Token is validated with Keystone's Identity v3 API (as the
// service user of [keystone_authtoken]) and becomes the request context;
// identity headers the client sent are never read.
//
// Answers about tokens are cached in memory shared by every worker of the
// glance-api (TokenCache): a valid token for min(token_cache_time, its own
// expires_at), an invalid one for invalid_token_cache_time.  A token
// revoked in Keystone is therefore still accepted for up to
// token_cache_time seconds (300 by default), as with keystonemiddleware.
//
// Refusals: no, malformed, expired or revoked token -> kUnauthorized (401
// with Challenge() in WWW-Authenticate); Keystone unreachable, failing or
// refusing the service user -> kUnavailable (503).
#ifndef GLANCE_AUTH_KEYSTONE_AUTH_H_
#define GLANCE_AUTH_KEYSTONE_AUTH_H_

#include <memory>

#include "glance/auth/keystone_options.h"
#include "glance/common/auth_mode.h"

namespace glance::auth {

class KeystoneAuthMode : public Authenticator {
 public:
  // Build before the workers fork: the cache is shared from here on.
  KeystoneAuthMode(ContextOptions context, KeystoneOptions keystone);
  ~KeystoneAuthMode() override;

  Status Authenticate(const HeaderLookup& header, RequestContext* context) const override;
  // Keystone uri="<www_authenticate_uri>".
  std::string Challenge() const override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The authenticator of glance-api's configured mode.
std::unique_ptr<Authenticator> MakeApiAuthenticator(const ContextOptions& context,
                                                    const KeystoneOptions& keystone);

}  // namespace glance::auth

#endif  // GLANCE_AUTH_KEYSTONE_AUTH_H_
