#include "glance/api/api_options.h"

#include <thread>

namespace glance::api {

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
  o.healthcheck = HealthcheckOptions::FromConfig(config);
  o.limits.limit_param_default =
      config.GetInt("DEFAULT", "limit_param_default", o.limits.limit_param_default);
  o.limits.api_limit_max = config.GetInt("DEFAULT", "api_limit_max", o.limits.api_limit_max);
  o.image_size_cap = config.GetInt("DEFAULT", "image_size_cap", o.image_size_cap);
  if (o.image_size_cap < 0) throw ConfigError("image_size_cap must not be negative");
  o.image_property_quota = config.GetInt("DEFAULT", "image_property_quota", o.image_property_quota);
  o.image_member_quota = config.GetInt("DEFAULT", "image_member_quota", o.image_member_quota);
  o.disk_formats = config.GetList("image_format", "disk_formats", o.disk_formats);
  o.container_formats = config.GetList("image_format", "container_formats", o.container_formats);
  o.datadir = config.GetString("glance_store", "filesystem_store_datadir", o.datadir);
  o.incoming_dir = config.GetString("glance_store", "filesystem_store_incoming_dir",
                                    o.datadir + "/_incoming");
  o.delayed_delete = config.GetBool("DEFAULT", "delayed_delete", o.delayed_delete);
  o.public_endpoint = config.GetString("DEFAULT", "public_endpoint", "");
  while (!o.public_endpoint.empty() && o.public_endpoint.back() == '/') o.public_endpoint.pop_back();
  return o;
}

}  // namespace glance::api
