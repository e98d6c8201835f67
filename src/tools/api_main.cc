// glance-api: the v1 image API as a pool of FastCGI workers behind nginx.
#include <sys/prctl.h>

#include <iostream>
#include <memory>

#include "glance/api/api_controller.h"
#include "glance/common/logging.h"
#include "glance/common/program.h"
#include "glance/store/store_set.h"
#include "glance/store/incoming_writeback.h"

namespace {

using namespace glance;

// Everything glance-api needs before it serves: options and a usable store.
// Throws ConfigError with a message fit for the operator.
api::ApiOptions LoadOptions(const Config& config) {
  api::ApiOptions options = api::ApiOptions::FromConfig(config);
  StoreSet store(options.store);
  if (Status s = store.Prepare(); !s.ok()) throw ConfigError("image store: " + s.message());
  return options;
}

void LogAuthMode(const api::ApiOptions& options) {
  if (options.context.mode == AuthMode::kNoAuth) {
    LogWarning("auth mode is noauth: EVERY REQUEST ACTS AS AN ADMIN. Use [paste_deploy] "
               "flavor = keystone, or trusted-auth behind an authenticating front, for "
               "anything but a private development stack.");
  } else if (options.context.mode == AuthMode::kKeystone) {
    LogInfo("auth mode is keystone: tokens validated at " + options.keystone.IdentityUrl() + " as " +
            options.keystone.username + ", answers cached up to " +
            std::to_string(options.keystone.token_cache_time) + " s");
  }
}

}  // namespace

int main(int argc, char** argv) {
  ProgramArgs args;
  if (auto code = ParseProgramArgs(argc, argv, "glance-api",
                                   "Serves the OpenStack Image API v1 as FastCGI workers behind "
                                   "nginx; nginx moves the image bytes.  SIGHUP reloads the "
                                   "config files and replaces the workers without refusing a "
                                   "request; fcgi_socket, workers and worker_threads need a "
                                   "restart.",
                                   "/etc/glance/glance-api.conf", false, &args)) {
    return *code;
  }
  SetLogComponent("glance.api");
  Config config;
  api::ApiOptions options;
  try {
    config = LoadConfigFiles(args.config_files);
    std::string error;
    if (!SetUpLogging(config, "glance-api", args.debug, &error)) throw ConfigError(error);
    options = LoadOptions(config);
  } catch (const ConfigError& e) {
    std::cerr << "glance-api: " << e.what() << std::endl;
    return 2;
  }
  LogAuthMode(options);
  // Workers are forked from the supervisor, which never serves: replacing
  // the controller here reaches only the workers forked after the reload.
  auto controller = std::make_unique<api::ApiController>(options);
  auto reload = [&]() -> bool {
    try {
      Config fresh = LoadConfigFiles(args.config_files);
      api::ApiOptions fresh_options = LoadOptions(fresh);
      std::string error;
      if (!SetUpLogging(fresh, "glance-api", args.debug, &error)) LogError("reload: " + error);
      LogConfigChanges(config, fresh, {"[DEFAULT] fcgi_socket", "[DEFAULT] workers",
                                       "[DEFAULT] worker_threads"});
      LogAuthMode(fresh_options);
      fresh_options.fcgi = options.fcgi;
      controller = std::make_unique<api::ApiController>(fresh_options);
      config = std::move(fresh);
      return true;
    } catch (const ConfigError& e) {
      LogError(std::string("reload: configuration not reloaded, the running one stays: ") +
               e.what());
      return false;
    }
  };
  return api::RunFcgiServer(
      options.fcgi, [&controller] { controller->StartWorker(); },
      [&controller](const api::HttpRequest& request, api::HttpResponse* response) {
        controller->Handle(request, response);
      },
      [&controller](std::chrono::seconds limit) { controller->StopWorker(limit); }, reload,
      [&options] {
        // Named apart from the workers in ps/top and for the stack's tests.
        prctl(PR_SET_NAME, "glance-api-wb");
        RunIncomingWriteback(options.incoming_dir, DigestSocketFor(options.fcgi.socket_path));
      });
}
