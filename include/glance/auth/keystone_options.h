// KeystoneOptions: glance-api's [keystone_authtoken] section, under
// keystonemiddleware's option names and defaults, for
// [paste_deploy] flavor = keystone.
#ifndef GLANCE_AUTH_KEYSTONE_OPTIONS_H_
#define GLANCE_AUTH_KEYSTONE_OPTIONS_H_

#include <string>
#include <vector>

#include "glance/common/config.h"

namespace glance::auth {

struct KeystoneOptions {
  // Sent to clients in WWW-Authenticate (default: auth_url).
  std::string www_authenticate_uri;
  // Where tokens are issued and validated; "/v3" is appended unless the
  // URL already ends in a version.
  std::string auth_url;
  // The service user glance-api validates tokens as (auth_type password).
  std::string username;
  std::string password;
  std::string project_name;
  std::string user_domain_name;
  std::string user_domain_id;
  std::string project_domain_name;
  std::string project_domain_id;
  std::string region_name;
  // An answer about a token is kept this long at most (never past the
  // token's own expiry); this is also how long a revoked token may still
  // be accepted.
  int token_cache_time = 300;
  // How long a "this token is not valid" answer is kept.
  int invalid_token_cache_time = 10;
  int http_connect_timeout = 5;
  int http_request_timeout = 10;
  int http_request_max_retries = 3;
  // X-Service-Token must carry one of these roles (when required) to count.
  std::vector<std::string> service_token_roles{"service"};
  bool service_token_roles_required = false;
  std::string cafile;
  bool insecure = false;

  // The Identity v3 base URL derived from auth_url ("http://h:5000/v3").
  std::string IdentityUrl() const;

  // Reads [keystone_authtoken]; throws ConfigError when auth_url or the
  // service credentials are missing or auth_type is not "password".
  static KeystoneOptions FromConfig(const Config& config);
};

}  // namespace glance::auth

#endif  // GLANCE_AUTH_KEYSTONE_OPTIONS_H_
