#include "glance/auth/keystone_options.h"

#include <regex>

#include "glance/common/text.h"

namespace glance::auth {

std::string KeystoneOptions::IdentityUrl() const {
  std::string url = auth_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  static const std::regex versioned(R"(.*/v3(\.\d+)?$)");
  return std::regex_match(url, versioned) ? url : url + "/v3";
}

KeystoneOptions KeystoneOptions::FromConfig(const Config& config) {
  const std::string section = "keystone_authtoken";
  KeystoneOptions o;
  auto text = [&](const char* key, const std::string& fallback = "") {
    return config.GetString(section, key, fallback);
  };
  auto positive = [&](const char* key, int fallback, int minimum) {
    int64_t value = config.GetInt(section, key, fallback);
    if (value < minimum || value > 86400) {
      throw ConfigError("[keystone_authtoken] " + std::string(key) + " = " + std::to_string(value) +
                        " is out of range (" + std::to_string(minimum) + "..86400)");
    }
    return static_cast<int>(value);
  };
  o.auth_url = text("auth_url");
  // auth_uri is the deprecated name of www_authenticate_uri.
  o.www_authenticate_uri = text("www_authenticate_uri", text("auth_uri", o.auth_url));
  std::string auth_type = ToLower(text("auth_type", text("auth_plugin", "password")));
  o.username = text("username");
  o.password = text("password");
  o.project_name = text("project_name");
  o.user_domain_name = text("user_domain_name");
  o.user_domain_id = text("user_domain_id");
  o.project_domain_name = text("project_domain_name");
  o.project_domain_id = text("project_domain_id");
  o.region_name = text("region_name");
  o.token_cache_time = positive("token_cache_time", o.token_cache_time, 0);
  o.invalid_token_cache_time = positive("invalid_token_cache_time", o.invalid_token_cache_time, 0);
  o.http_connect_timeout = positive("http_connect_timeout", o.http_connect_timeout, 1);
  o.http_request_timeout = positive("http_request_timeout", o.http_request_timeout, 1);
  o.http_request_max_retries = positive("http_request_max_retries", o.http_request_max_retries, 0);
  o.service_token_roles = config.GetList(section, "service_token_roles", o.service_token_roles);
  for (std::string& role : o.service_token_roles) role = ToLower(role);
  o.service_token_roles_required =
      config.GetBool(section, "service_token_roles_required", o.service_token_roles_required);
  o.cafile = text("cafile");
  o.insecure = config.GetBool(section, "insecure", false);

  if (o.auth_url.empty()) {
    throw ConfigError("[paste_deploy] flavor = keystone needs [keystone_authtoken] auth_url");
  }
  if (o.auth_url.rfind("http://", 0) != 0 && o.auth_url.rfind("https://", 0) != 0) {
    throw ConfigError("[keystone_authtoken] auth_url must be an http or https URL");
  }
  if (auth_type != "password" && auth_type != "v3password") {
    throw ConfigError("[keystone_authtoken] auth_type = " + auth_type +
                      " is not supported: use password");
  }
  if (o.username.empty() || o.password.empty() || o.project_name.empty()) {
    throw ConfigError("[keystone_authtoken] needs username, password and project_name "
                      "for the service user that validates tokens");
  }
  return o;
}

}  // namespace glance::auth
