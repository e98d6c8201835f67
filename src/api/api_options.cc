#include "glance/api/api_options.h"

#include <arpa/inet.h>

#include <thread>

#include "glance/api/upload_guard.h"
#include "glance/common/text.h"

namespace glance::api {

namespace {

// policy.json's two useful rules for these actions, in this file's words:
// "admin" (role:admin) or "anyone" ("" / "@").
bool AdminOnly(const Config& config, const std::string& action) {
  std::string rule = ToLower(Trim(config.GetString("policy", action, "admin")));
  if (rule == "admin" || rule == "role:admin") return true;
  if (rule == "anyone" || rule.empty() || rule == "@") return false;
  throw ConfigError("[policy] " + action + " = '" + rule + "': use admin or anyone");
}

}  // namespace

ApiOptions ApiOptions::FromConfig(const Config& config) {
  ApiOptions o;
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  o.fcgi.socket_path = config.GetString("DEFAULT", "fcgi_socket", "/run/glance/glance-api.sock");
  o.fcgi.workers = static_cast<int>(config.GetInt("DEFAULT", "workers", cores > 0 ? cores : 2));
  o.fcgi.threads = static_cast<int>(config.GetInt("DEFAULT", "worker_threads", 8));
  if (o.fcgi.workers < 1 || o.fcgi.threads < 1) {
    throw ConfigError("workers and worker_threads must be positive");
  }
  o.registry = RegistryClientOptions::FromConfig(config);
  o.context = ContextOptions::FromConfig(config);
  if (o.context.mode == AuthMode::kKeystone) o.keystone = auth::KeystoneOptions::FromConfig(config);
  o.healthcheck = HealthcheckOptions::FromConfig(config);
  o.limits.limit_param_default =
      config.GetInt("DEFAULT", "limit_param_default", o.limits.limit_param_default);
  o.limits.api_limit_max = config.GetInt("DEFAULT", "api_limit_max", o.limits.api_limit_max);
  o.image_size_cap = config.GetInt("DEFAULT", "image_size_cap", o.image_size_cap);
  if (o.image_size_cap < 0) throw ConfigError("image_size_cap must not be negative");
  o.image_property_quota = config.GetInt("DEFAULT", "image_property_quota", o.image_property_quota);
  o.image_member_quota = config.GetInt("DEFAULT", "image_member_quota", o.image_member_quota);
  o.image_tag_quota = config.GetInt("DEFAULT", "image_tag_quota", o.image_tag_quota);
  std::string quota = Trim(config.GetString("DEFAULT", "user_storage_quota", "0"));
  std::optional<int64_t> quota_bytes = ParseStorageQuota(quota);
  if (!quota_bytes) {
    throw ConfigError("user_storage_quota = '" + quota +
                      "': give bytes, optionally followed by B, KB, MB, GB or TB (no space)");
  }
  o.user_storage_quota = *quota_bytes;
  o.interrupted_upload_timeout =
      config.GetInt("DEFAULT", "interrupted_upload_timeout", o.interrupted_upload_timeout);
  if (o.interrupted_upload_timeout < 2) {
    throw ConfigError("interrupted_upload_timeout must be at least 2 seconds");
  }
  o.disk_formats = config.GetList("image_format", "disk_formats", o.disk_formats);
  o.container_formats = config.GetList("image_format", "container_formats", o.container_formats);
  o.datadir = config.GetString("glance_store", "filesystem_store_datadir", o.datadir);
  o.incoming_dir = config.GetString("glance_store", "filesystem_store_incoming_dir",
                                    o.datadir + "/_incoming");
  o.store = StoreOptions::FromConfig(config);
  o.delayed_delete = config.GetBool("DEFAULT", "delayed_delete", o.delayed_delete);
  o.metadata_cache_lease_ms = static_cast<int>(
      config.GetInt("DEFAULT", "metadata_cache_lease_ms", o.metadata_cache_lease_ms));
  if (o.metadata_cache_lease_ms < 0 || o.metadata_cache_lease_ms > 1000) {
    throw ConfigError("metadata_cache_lease_ms must be between 0 and 1000");
  }
  o.public_endpoint = config.GetString("DEFAULT", "public_endpoint", "");
  o.bind_port = static_cast<int>(config.GetInt("DEFAULT", "bind_port", o.bind_port));
  std::vector<std::string> own{"local:" + std::to_string(o.bind_port),
                               "local:" + std::to_string(o.registry.port)};
  unsigned char ignored[16];
  for (const std::string& host : o.registry.hosts) {
    if (inet_pton(AF_INET, host.c_str(), ignored) == 1) {
      own.push_back(host + ":" + std::to_string(o.registry.port));
    } else if (inet_pton(AF_INET6, host.c_str(), ignored) == 1) {
      own.push_back("[" + host + "]:" + std::to_string(o.registry.port));
    }
  }
  o.external_sources = ExternalSourceOptions::FromConfig(config, own);
  o.copy_from_admin_only = AdminOnly(config, "copy_from");
  o.set_image_location_admin_only = AdminOnly(config, "set_image_location");
  o.show_image_direct_url = config.GetBool("DEFAULT", "show_image_direct_url", false);
  while (!o.public_endpoint.empty() && o.public_endpoint.back() == '/') o.public_endpoint.pop_back();
  return o;
}

}  // namespace glance::api
