// RegistryServer: the glance-registry HTTP daemon (spec §16) on
// cpp-httplib, serving the image repository as JSON to the API workers.
//
// Construct with options and a repository, call Listen() (blocks until
// Stop() is called from another thread or a signal handler thread).
#ifndef GLANCE_REGISTRY_REGISTRY_SERVER_H_
#define GLANCE_REGISTRY_REGISTRY_SERVER_H_

#include <memory>
#include <string>

#include "glance/common/config.h"
#include "glance/common/healthcheck.h"
#include "glance/common/request_context.h"
#include "glance/db/image_repository.h"
#include "glance/image/list_query.h"

namespace glance {

struct RegistryOptions {
  std::string bind_host = "127.0.0.1";  // internal service: loopback unless configured
  int bind_port = 9191;
  // Optional unix socket served beside the TCP port: glance-api on the same
  // host reaches the registry without the loopback TCP stack.
  std::string unix_socket;
  // [DEFAULT] workers: request threads.  A keep-alive connection holds a
  // thread while it is open, so this must exceed the API's total threads
  // (api workers x worker_threads).
  int threads = 64;
  size_t max_body_bytes = 16 * 1024 * 1024;
  // [DEFAULT] registry_shared_secret: when set, every request but
  // /healthcheck must carry it in X-Glance-Registry-Secret, so only
  // glance-api (which holds the same secret) can speak for a user.
  std::string shared_secret;
  ContextOptions context;
  ListLimits limits;
  HealthcheckOptions healthcheck;
  DatabaseOptions database;

  // Reads Glance's option names; throws ConfigError on bad values.
  static RegistryOptions FromConfig(const Config& config);
};

class RegistryServer {
 public:
  RegistryServer(RegistryOptions options, std::unique_ptr<ImageRepository> repository);
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  // Binds, tells systemd it is ready, and serves until Stop(); false when
  // the address cannot be bound.
  bool Listen();
  void Stop();
  // Applies what can change while serving (auth mode and roles, list
  // limits, healthcheck) to the requests that start from now on.  Sockets,
  // threads and the database pool keep their start-up values.
  void Reload(const RegistryOptions& options);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glance

#endif  // GLANCE_REGISTRY_REGISTRY_SERVER_H_
