// Internal to src/db: a fixed set of SOCI PostgreSQL sessions shared by
// request threads.  Sessions connect on first use and reconnect after the
// server restarts, so the owner never crashes or hangs on a database
// outage: Run() answers kUnavailable instead.  Thread-safe.
#ifndef GLANCE_SRC_DB_SESSION_POOL_H_
#define GLANCE_SRC_DB_SESSION_POOL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glance/common/status.h"

namespace soci {
class session;
class connection_pool;
}  // namespace soci

namespace glance {

// Prepared statements of one session, keyed by SQL text (see sql_exec).
class StatementCache;

// A leased, connected session and its statement cache; used by one thread
// at a time.
struct DbSession {
  soci::session& sql;
  StatementCache& statements;
};

class SessionPool {
 public:
  SessionPool(std::string libpq_connection, int size, int lease_timeout_seconds,
              int statement_timeout_ms);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // Runs `work`, which only reads, with a connected session.  SOCI
  // exceptions become Status: a lost connection is reconnected and `work`
  // retried once; a database that stays unreachable gives kUnavailable;
  // other database errors give kInternal (logged).  `work` must roll back
  // its own transaction on error (soci::transaction does so in its
  // destructor).
  Status Run(const std::function<Status(DbSession&)>& work) { return Lease(work, true); }
  // The same for `work` that writes: a connection lost while it ran gives
  // kUnavailable and no second attempt, since its commit may have happened
  // (after a failover the client retries, knowing it may have to check).
  Status RunWrite(const std::function<Status(DbSession&)>& work) { return Lease(work, false); }

 private:
  Status Lease(const std::function<Status(DbSession&)>& work, bool retry_when_lost);
  Status EnsureConnected(soci::session& session, StatementCache& statements);

  std::string connection_;
  int size_;
  int lease_timeout_ms_;
  int statement_timeout_ms_;
  std::unique_ptr<soci::connection_pool> pool_;
  std::vector<std::unique_ptr<StatementCache>> caches_;  // one per pool slot
};

}  // namespace glance

#endif  // GLANCE_SRC_DB_SESSION_POOL_H_
