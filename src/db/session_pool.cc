// SessionPool: leases the SOCI sessions, (re)connects them, turns SOCI errors into Status.
#include "session_pool.h"

#include <soci/connection-pool.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <poll.h>

#include <cstdlib>
#include <utility>
#include <vector>

#include "glance/common/logging.h"
#include "sql_exec.h"

namespace glance {

namespace {

// Gives the leased session back to the pool however `work` ends.
class LeaseGuard {
 public:
  LeaseGuard(soci::connection_pool& pool, size_t position) : pool_(pool), position_(position) {}
  ~LeaseGuard() { pool_.give_back(position_); }
  LeaseGuard(const LeaseGuard&) = delete;
  LeaseGuard& operator=(const LeaseGuard&) = delete;

 private:
  soci::connection_pool& pool_;
  size_t position_;
};

bool ConnectionLost(soci::session& session) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  return backend == nullptr || backend->conn_ == nullptr || PQstatus(backend->conn_) != CONNECTION_OK;
}

// An idle connection has nothing to read: if its socket is readable, the
// server is closing it (restart, crash, failover, a terminated backend,
// whose last words are an error message before the close) or, rarely,
// sent a notice.  Either way a new connection is cheaper than a statement
// lost on it.
bool IdleConnectionBroken(soci::session& session) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  if (backend == nullptr || backend->conn_ == nullptr) return true;
  pollfd socket{PQsocket(backend->conn_), POLLIN, 0};
  if (socket.fd < 0) return true;
  return poll(&socket, 1, 0) != 0;
}

}  // namespace

SessionPool::SessionPool(std::string libpq_connection, int size, int lease_timeout_seconds,
                         int statement_timeout_ms)
    : connection_(std::move(libpq_connection)),
      size_(size),
      lease_timeout_ms_(lease_timeout_seconds * 1000),
      statement_timeout_ms_(statement_timeout_ms),
      pool_(std::make_unique<soci::connection_pool>(size)) {
  for (int i = 0; i < size; ++i) caches_.push_back(std::make_unique<StatementCache>());
  // Bound the time a connection attempt may take while the server is away.
  setenv("PGCONNECT_TIMEOUT", "5", 0);
}

SessionPool::~SessionPool() = default;

Status SessionPool::EnsureConnected(soci::session& session, StatementCache& statements) {
  if (session.get_backend() != nullptr && !ConnectionLost(session) &&
      !IdleConnectionBroken(session)) {
    return Status::Ok();
  }
  try {
    statements.Clear();  // prepared statements die with their connection
    session.close();
    session.open(soci::postgresql, connection_);
    session << "SET statement_timeout = " + std::to_string(statement_timeout_ms_);
    session << "SET TIME ZONE 'UTC'";
    return Status::Ok();
  } catch (const std::exception& e) {
    LogWarning(std::string("database unreachable: ") + e.what());
    return Status::Unavailable("The image database is unavailable; try again later.");
  }
}

Status SessionPool::Lease(const std::function<Status(DbSession&)>& work, bool retry_when_lost) {
  size_t position = 0;
  if (!pool_->try_lease(position, lease_timeout_ms_)) {
    return Status::Unavailable("All database connections are busy; try again later.");
  }
  LeaseGuard lease(*pool_, position);
  soci::session& session = pool_->at(position);
  DbSession db{session, *caches_[position]};
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status connected = EnsureConnected(session, db.statements);
    if (!connected.ok()) return connected;
    try {
      return work(db);
    } catch (const std::exception& e) {
      if (ConnectionLost(session)) {
        // The server went away under this session (restart, failover):
        // a read reconnects and tries once more; a write may have been
        // committed, so it is not repeated.
        LogWarning(std::string("database connection lost: ") + e.what());
        if (retry_when_lost) continue;
        return Status::Unavailable(
            "The image database connection was lost during the change; it may or may not "
            "have been applied: check, then try again.");
      }
      LogError(std::string("database error: ") + e.what());
      return Status::Internal("Database error.");
    }
  }
  return Status::Unavailable("The image database is unavailable; try again later.");
}

}  // namespace glance
