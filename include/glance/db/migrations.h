// Schema migrations: the numbered files of sql/, compiled into the programs,
// applied in order by `glance-manage db_sync`.
#ifndef GLANCE_DB_MIGRATIONS_H_
#define GLANCE_DB_MIGRATIONS_H_

#include <string>
#include <vector>

#include "glance/common/status.h"

namespace glance::db {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Every migration in sql/, ascending by version (generated at build time).
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace glance::db

namespace glance {

// Applies every migration newer than the recorded version, each in its own
// transaction, under an advisory lock so concurrent runs are safe.  Reports
// the resulting version.
Status SyncSchema(const std::string& libpq_connection, int* version);
// The recorded schema version (0 for an empty database).
Status GetSchemaVersion(const std::string& libpq_connection, int* version);

}  // namespace glance

#endif  // GLANCE_DB_MIGRATIONS_H_
