// Internal to src/db: runs SQL with text parameters through SOCI and returns
// rows of nullable text.  Every column a caller selects is text (CAST ... AS
// text), which keeps the conversion in one place.
#ifndef GLANCE_SRC_DB_SQL_EXEC_H_
#define GLANCE_SRC_DB_SQL_EXEC_H_

#include <optional>
#include <string>
#include <vector>

#include <memory>
#include <unordered_map>

#include "session_pool.h"

namespace glance {

// The prepared statements of one session: each distinct SQL text is
// prepared once (PQprepare) and then only executed, which saves PostgreSQL
// the parse and plan of every request.  Bounded: cleared when full.
class StatementCache {
 public:
  struct Entry;
  StatementCache();
  ~StatementCache();
  Entry& Get(soci::session& session, const std::string& text, size_t params, bool rows);
  void Clear();

 private:
  static constexpr size_t kMaxEntries = 128;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace glance

namespace glance::sql {

using Value = std::optional<std::string>;
using Row = std::vector<Value>;

// Runs a statement whose placeholders are :p0, :p1, ... (params[i] binds
// :p<i>; each placeholder may appear once, in any order).
std::vector<Row> Select(DbSession& session, const std::string& text,
                        const std::vector<Value>& params);
// Runs a statement without a result set; returns the affected row count.
long long Execute(DbSession& session, const std::string& text,
                  const std::vector<Value>& params);

}  // namespace glance::sql

#endif  // GLANCE_SRC_DB_SQL_EXEC_H_
