// glance-registry: the internal metadata service on 127.0.0.1:9191.
#include <iostream>

#include "glance/common/logging.h"
#include "glance/common/program.h"
#include "glance/registry/registry_server.h"

int main(int argc, char** argv) {
  using namespace glance;
  ProgramArgs args;
  if (auto code = ParseProgramArgs(argc, argv, "glance-registry",
                                   "Serves image metadata from PostgreSQL to glance-api over "
                                   "HTTP/JSON (Glance registry API v1).",
                                   "/etc/glance/glance-registry.conf", false, &args)) {
    return *code;
  }
  SetLogComponent("glance.registry");
  SetLogDebug(args.debug);
  RegistryOptions options;
  try {
    options = RegistryOptions::FromConfig(LoadConfigFiles(args.config_files));
  } catch (const ConfigError& e) {
    std::cerr << "glance-registry: " << e.what() << std::endl;
    return 2;
  }
  std::unique_ptr<ImageRepository> repository;
  Status s = OpenPostgresImageRepository(options.database, &repository);
  if (!s.ok()) {
    std::cerr << "glance-registry: " << s.message() << std::endl;
    return 2;
  }
  if (options.context.mode == AuthMode::kNoAuth) {
    LogWarning("auth mode is noauth: every request acts as an admin; use "
               "[paste_deploy] flavor = trusted-auth behind an authenticating front");
  }
  RegistryServer server(options, std::move(repository));
  StartSignalThread([&server] { server.Stop(); });
  LogInfo("listening on " + options.bind_host + ":" + std::to_string(options.bind_port) + " with " +
          std::to_string(options.threads) + " threads");
  if (!server.Listen()) {
    LogError("cannot listen on " + options.bind_host + ":" + std::to_string(options.bind_port));
    return 1;
  }
  LogInfo("stopped");
  return 0;
}
