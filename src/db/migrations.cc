#include "glance/db/migrations.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include "glance/common/logging.h"

namespace glance {

namespace {

// Any constant will do: it only has to be the same for every db_sync.
constexpr long long kMigrationLockKey = 7363746164;

void EnsureVersionTable(soci::session& sql) {
  sql << "CREATE TABLE IF NOT EXISTS migrate_version ("
         " version integer PRIMARY KEY,"
         " name text NOT NULL,"
         " applied_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))";
}

int CurrentVersion(soci::session& sql) {
  int version = 0;
  soci::indicator ind;
  sql << "SELECT max(version) FROM migrate_version", soci::into(version, ind);
  return ind == soci::i_ok ? version : 0;
}

// A migration holds many statements; libpq's simple query protocol runs them
// as one script (SOCI's parameter parsing would also trip over '::' casts).
void ExecuteScript(soci::session& sql, const db::Migration& migration) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  PGresult* result = PQexec(backend->conn_, migration.sql);
  ExecStatusType status = PQresultStatus(result);
  std::string error = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error("migration " + std::string(migration.name) + ": " + error);
  }
}

}  // namespace

Status SyncSchema(const std::string& connection, int* version) {
  try {
    soci::session sql(soci::postgresql, connection);
    sql << "SET client_min_messages = warning";
    {
      soci::transaction tx(sql);
      sql << "SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")";
      EnsureVersionTable(sql);
      tx.commit();
    }
    for (const db::Migration& migration : db::EmbeddedMigrations()) {
      soci::transaction tx(sql);
      sql << "SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")";
      if (migration.version <= CurrentVersion(sql)) continue;  // tx rolls back: nothing done
      ExecuteScript(sql, migration);
      // SOCI binds by reference and runs the statement when the full
      // expression ends: the bound values must outlive it.
      int version_value = migration.version;
      std::string name(migration.name);
      sql << "INSERT INTO migrate_version (version, name) VALUES (:v, :n)",
          soci::use(version_value), soci::use(name);
      tx.commit();
      LogInfo("applied migration " + std::string(migration.name));
    }
    *version = CurrentVersion(sql);
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("db_sync failed: ") + e.what());
  }
}

Status GetSchemaVersion(const std::string& connection, int* version) {
  try {
    soci::session sql(soci::postgresql, connection);
    int exists = 0;
    sql << "SELECT count(*) FROM pg_tables WHERE tablename = 'migrate_version'", soci::into(exists);
    *version = exists ? CurrentVersion(sql) : 0;
    return Status::Ok();
  } catch (const std::exception& e) {
    return Status::Unavailable(std::string("cannot read the schema version: ") + e.what());
  }
}

}  // namespace glance
