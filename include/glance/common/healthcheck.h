// The `/healthcheck` answer operators know from oslo.middleware's
// healthcheck filter: 200 "OK" while the service runs, 503 "DISABLED BY
// FILE" while the file named by [healthcheck] disable_by_file_path exists,
// so a load balancer can drain a node before maintenance.
#ifndef GLANCE_COMMON_HEALTHCHECK_H_
#define GLANCE_COMMON_HEALTHCHECK_H_

#include <string>

#include "glance/common/config.h"

namespace glance {

struct HealthcheckOptions {
  std::string path = "/healthcheck";
  std::string disable_by_file_path;  // empty: never disabled

  static HealthcheckOptions FromConfig(const Config& config);
};

struct HealthcheckReply {
  int status = 200;
  std::string body;  // text/plain
};

// Checks the disable file on each call (a stat), so creating or removing it
// takes effect at once, without a reload.
HealthcheckReply CheckHealth(const HealthcheckOptions& options);

}  // namespace glance

#endif  // GLANCE_COMMON_HEALTHCHECK_H_
