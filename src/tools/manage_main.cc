// glance-manage: database administration (db_sync, db_version).
#include <iostream>

#include "glance/common/logging.h"
#include "glance/common/program.h"
#include "glance/db/database_url.h"
#include "glance/db/migrations.h"

int main(int argc, char** argv) {
  using namespace glance;
  ProgramArgs args;
  if (auto code = ParseProgramArgs(argc, argv, "glance-manage",
                                   "Commands:\n  db_sync      apply every pending schema migration\n"
                                   "  db_version   print the schema version",
                                   "/etc/glance/glance-registry.conf", true, &args)) {
    return *code;
  }
  SetLogComponent("glance.manage");
  if (args.positional.size() != 1 ||
      (args.positional[0] != "db_sync" && args.positional[0] != "db_version")) {
    std::cerr << "glance-manage: expected one command: db_sync or db_version\n";
    return 2;
  }
  std::string connection;
  try {
    Config config = LoadConfigFiles(args.config_files);
    Status s = ToLibpqConnectionString(config.GetString("database", "connection", ""), &connection);
    if (!s.ok()) {
      std::cerr << "glance-manage: " << s.message() << std::endl;
      return 2;
    }
  } catch (const ConfigError& e) {
    std::cerr << "glance-manage: " << e.what() << std::endl;
    return 2;
  }
  int version = 0;
  Status s = args.positional[0] == "db_sync" ? SyncSchema(connection, &version)
                                             : GetSchemaVersion(connection, &version);
  if (!s.ok()) {
    std::cerr << "glance-manage: " << s.message() << std::endl;
    return 1;
  }
  std::cout << version << std::endl;
  return 0;
}
