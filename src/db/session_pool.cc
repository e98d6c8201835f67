#include "glance/db/session_pool.h"

#include <soci/connection-pool.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "sql_exec.h"

namespace glance {

namespace {

// libpq's quoting: a value with spaces, quotes or backslashes (or an empty
// one) goes in single quotes with ' and \ escaped.
std::string LibpqValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" '\\") == std::string::npos) return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

}  // namespace

Status ToLibpqConnectionString(const std::string& url, std::string* libpq) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument("[database] connection must be a postgresql:// URL");
  }
  std::string scheme = url.substr(0, scheme_end);
  size_t plus = scheme.find('+');  // postgresql+psycopg2://
  if (plus != std::string::npos) scheme.resize(plus);
  if (scheme != "postgresql" && scheme != "postgres") {
    return Status::InvalidArgument("[database] connection scheme '" + scheme +
                                   "' is not supported: only postgresql:// is");
  }
  // The URL may hold a password: errors name the problem, not the text.
  auto bad = [](const std::string& why) {
    return Status::InvalidArgument("[database] connection is not a valid URL: " + why);
  };
  std::string rest = url.substr(scheme_end + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  std::string path;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest.resize(slash);
  }
  // The password may contain '@': the host part follows the last one.
  std::string userinfo, hostport = rest;
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    userinfo = rest.substr(0, at);
    hostport = rest.substr(at + 1);
  }
  std::vector<std::pair<std::string, std::string>> keywords;
  auto add = [&](const std::string& key, const std::string& raw) -> bool {
    if (raw.empty()) return true;
    std::optional<std::string> value = UrlDecode(raw, false);
    if (!value) return false;
    keywords.emplace_back(key, *value);
    return true;
  };
  std::string host = hostport, port;
  if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
    size_t close = hostport.find(']');
    if (close == std::string::npos) return bad("unclosed '[' in the host");
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return bad("unexpected text after the IPv6 address");
      port = hostport.substr(close + 2);
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (!port.empty() && !ParseInt64(port)) return bad("the port is not a number");
  std::string user = userinfo, password;
  if (size_t colon = userinfo.find(':'); colon != std::string::npos) {
    user = userinfo.substr(0, colon);
    password = userinfo.substr(colon + 1);
  }
  if (!add("host", host) || !add("port", port) || !add("user", user) ||
      !add("password", password) || !add("dbname", path)) {
    return bad("malformed %-escape");
  }
  for (const std::string& pair : SplitAndTrim(query, '&')) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return bad("query parameter without a value");
    if (!add(pair.substr(0, eq), pair.substr(eq + 1))) return bad("malformed %-escape");
  }
  libpq->clear();
  for (const auto& [key, value] : keywords) {
    *libpq += (libpq->empty() ? "" : " ") + key + "=" + LibpqValue(value);
  }
  return Status::Ok();
}

namespace {

// Gives the leased session back to the pool however `work` ends.
class Lease {
 public:
  Lease(soci::connection_pool& pool, size_t position) : pool_(pool), position_(position) {}
  ~Lease() { pool_.give_back(position_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

 private:
  soci::connection_pool& pool_;
  size_t position_;
};

bool ConnectionLost(soci::session& session) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(session.get_backend());
  return backend == nullptr || backend->conn_ == nullptr || PQstatus(backend->conn_) != CONNECTION_OK;
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
  if (session.get_backend() != nullptr && !ConnectionLost(session)) return Status::Ok();
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

Status SessionPool::Run(const std::function<Status(DbSession&)>& work) {
  size_t position = 0;
  if (!pool_->try_lease(position, lease_timeout_ms_)) {
    return Status::Unavailable("All database connections are busy; try again later.");
  }
  Lease lease(*pool_, position);
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
        // reconnect and try once more before giving up.
        LogWarning(std::string("database connection lost: ") + e.what());
        continue;
      }
      LogError(std::string("database error: ") + e.what());
      return Status::Internal("Database error.");
    }
  }
  return Status::Unavailable("The image database is unavailable; try again later.");
}

}  // namespace glance
