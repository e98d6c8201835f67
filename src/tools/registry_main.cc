// glance-registry: the internal metadata service on 127.0.0.1:9191.
#include <malloc.h>

#include <iostream>
#include <thread>

#include "glance/common/logging.h"
#include "glance/common/program.h"
#include "glance/db/database_url.h"
#include "glance/db/migrations.h"
#include "glance/registry/registry_server.h"

namespace {

// The database may come up after the registry (it answers 503 meanwhile),
// so a missing or old schema is logged, not fatal: it must not go unnoticed
// after an install that could not run db_sync.
void CheckSchema(const std::string& url) {
  using namespace glance;
  std::string connection;
  int version = 0;
  Status s = ToLibpqConnectionString(url, &connection);
  if (s.ok()) s = GetSchemaVersion(connection, &version);
  int latest = db::EmbeddedMigrations().empty() ? 0 : db::EmbeddedMigrations().back().version;
  if (!s.ok()) {
    LogWarning("cannot read the schema version (requests will fail until the database is "
               "reachable): " + s.message());
  } else if (version < latest) {
    LogError("the database schema is at version " + std::to_string(version) + ", this "
             "glance-registry needs " + std::to_string(latest) + ": run glance-manage db_sync");
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace glance;
  // Over a hundred request threads would each get a malloc arena of their
  // own (up to 8 per core); every arena keeps its own free memory, so RSS
  // crept up by 10 % over a 20-minute soak.  Requests are short and the
  // machine has few cores: a few arenas are enough.
  mallopt(M_ARENA_MAX, 2);
  ProgramArgs args;
  if (auto code = ParseProgramArgs(argc, argv, "glance-registry",
                                   "Serves image metadata from PostgreSQL to glance-api over "
                                   "HTTP/JSON (Glance registry API v1).  SIGHUP reloads the "
                                   "config files: auth mode, roles, list limits and the "
                                   "healthcheck apply at once; addresses, threads and "
                                   "[database] need a restart.",
                                   "/etc/glance/glance-registry.conf", false, &args)) {
    return *code;
  }
  SetLogComponent("glance.registry");
  Config config;
  RegistryOptions options;
  try {
    config = LoadConfigFiles(args.config_files);
    options = RegistryOptions::FromConfig(config);
    std::string error;
    if (!SetUpLogging(config, "glance-registry", args.debug, &error)) throw ConfigError(error);
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
  // The signal thread is the only one that touches `config` after start-up.
  auto reload = [&server, &config, &args] {
    NotifyService("RELOADING=1");
    try {
      Config fresh = LoadConfigFiles(args.config_files);
      RegistryOptions fresh_options = RegistryOptions::FromConfig(fresh);
      std::string error;
      if (!SetUpLogging(fresh, "glance-registry", args.debug, &error)) LogError("reload: " + error);
      LogConfigChanges(config, fresh, {"[DEFAULT] bind_", "[DEFAULT] unix_socket",
                                       "[DEFAULT] workers", "[database]"});
      server.Reload(fresh_options);
      config = std::move(fresh);
    } catch (const ConfigError& e) {
      LogError(std::string("reload: configuration not reloaded, the running one stays: ") +
               e.what());
    }
    NotifyService("READY=1");
  };
  StartSignalThread(
      [&server] {
        NotifyService("STOPPING=1");
        server.Stop();
      },
      reload);
  // Off the start-up path: an unreachable database host must not hold back
  // readiness for a TCP time-out.
  std::thread(CheckSchema, options.database.connection).detach();
  LogInfo("listening on " + options.bind_host + ":" + std::to_string(options.bind_port) + " with " +
          std::to_string(options.threads) + " threads");
  if (!server.Listen()) {
    LogError("cannot listen on " + options.bind_host + ":" + std::to_string(options.bind_port));
    return 1;
  }
  LogInfo("stopped");
  return 0;
}
