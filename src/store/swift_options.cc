#include "glance/store/swift_options.h"

#include <cctype>

namespace glance {

namespace {

constexpr char kSection[] = "glance_store";

int64_t MegabytesOption(const Config& config, const std::string& key, int64_t fallback_bytes) {
  int64_t mb = config.GetInt(kSection, key, fallback_bytes >> 20);
  if (mb < 1) throw ConfigError(key + " must be at least 1 (MB)");
  if (mb > (int64_t{1} << 30)) throw ConfigError(key + " is too large");
  return mb << 20;
}

// Container names go into request paths unescaped: plain names only.
bool IsPlainName(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return name != "." && name != "..";
}

}  // namespace

SwiftStoreOptions SwiftStoreOptions::FromConfig(const Config& config) {
  SwiftStoreOptions o;
  o.auth_address = config.GetString(kSection, "swift_store_auth_address", "");
  while (!o.auth_address.empty() && o.auth_address.back() == '/') o.auth_address.pop_back();
  std::string version = config.GetString(kSection, "swift_store_auth_version", "3");
  if (version == "1") {
    o.auth_version = 1;
  } else if (version == "3") {
    o.auth_version = 3;
  } else {
    throw ConfigError("swift_store_auth_version = '" + version +
                      "': give 1 (tempauth, swauth) or 3 (Keystone)");
  }
  o.user = config.GetString(kSection, "swift_store_user", "");
  o.key = config.GetString(kSection, "swift_store_key", "");
  o.user_domain_id = config.GetString(kSection, "swift_store_user_domain_id", o.user_domain_id);
  o.project_domain_id =
      config.GetString(kSection, "swift_store_project_domain_id", o.project_domain_id);
  o.container = config.GetString(kSection, "swift_store_container", o.container);
  o.create_container_on_put =
      config.GetBool(kSection, "swift_store_create_container_on_put", o.create_container_on_put);
  o.large_object_size = MegabytesOption(config, "swift_store_large_object_size", o.large_object_size);
  o.large_object_chunk_size =
      MegabytesOption(config, "swift_store_large_object_chunk_size", o.large_object_chunk_size);
  o.region = config.GetString(kSection, "swift_store_region", "");
  o.endpoint_type = config.GetString(kSection, "swift_store_endpoint_type", o.endpoint_type);
  o.service_type = config.GetString(kSection, "swift_store_service_type", o.service_type);
  o.reference = config.GetString(kSection, "default_swift_reference", o.reference);
  o.timeout_seconds =
      static_cast<int>(config.GetInt(kSection, "swift_store_timeout", o.timeout_seconds));

  if (o.auth_address.rfind("http://", 0) != 0) {
    throw ConfigError("swift_store_auth_address must be an http:// URL (got '" + o.auth_address +
                      "'); TLS to Swift is not supported yet: put a local TLS proxy in between");
  }
  if (o.user.empty() || o.key.empty()) {
    throw ConfigError("the swift store needs swift_store_user and swift_store_key");
  }
  if (o.auth_version == 3 && o.user.find(':') == std::string::npos) {
    throw ConfigError("swift_store_user must be 'project:user' with swift_store_auth_version = 3");
  }
  if (!IsPlainName(o.container)) {
    throw ConfigError("swift_store_container = '" + o.container +
                      "': letters, digits, '-', '_' and '.' only");
  }
  if (!IsPlainName(o.reference)) throw ConfigError("default_swift_reference must be a plain name");
  if (o.endpoint_type != "publicURL" && o.endpoint_type != "internalURL" &&
      o.endpoint_type != "adminURL") {
    throw ConfigError("swift_store_endpoint_type must be publicURL, internalURL or adminURL");
  }
  if (o.timeout_seconds < 1) throw ConfigError("swift_store_timeout must be at least 1");
  return o;
}

}  // namespace glance
