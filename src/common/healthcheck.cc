#include "glance/common/healthcheck.h"

#include <sys/stat.h>

namespace glance {

HealthcheckOptions HealthcheckOptions::FromConfig(const Config& config) {
  HealthcheckOptions options;
  options.path = config.GetString("healthcheck", "path", options.path);
  if (options.path.empty() || options.path.front() != '/') {
    throw ConfigError("[healthcheck] path must start with '/'");
  }
  options.disable_by_file_path = config.GetString("healthcheck", "disable_by_file_path", "");
  return options;
}

HealthcheckReply CheckHealth(const HealthcheckOptions& options) {
  struct stat st {};
  if (!options.disable_by_file_path.empty() &&
      stat(options.disable_by_file_path.c_str(), &st) == 0) {
    return {503, "DISABLED BY FILE"};
  }
  return {200, "OK"};
}

}  // namespace glance
