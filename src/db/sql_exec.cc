#include "sql_exec.h"

#include <soci/soci.h>

#include <deque>

namespace glance {

struct StatementCache::Entry {
  // SOCI binds by reference: the bound values live here, in containers
  // whose elements never move, and are overwritten before each execution.
  std::deque<std::string> values;
  std::deque<soci::indicator> indicators;
  soci::row row;
  std::unique_ptr<soci::statement> statement;
};

StatementCache::StatementCache() = default;
StatementCache::~StatementCache() = default;

void StatementCache::Clear() { entries_.clear(); }

StatementCache::Entry& StatementCache::Get(soci::session& session, const std::string& text,
                                           size_t params, bool rows) {
  auto found = entries_.find(text);
  if (found != entries_.end()) return *found->second;
  if (entries_.size() >= kMaxEntries) entries_.clear();
  auto entry = std::make_unique<Entry>();
  entry->statement = std::make_unique<soci::statement>(session);
  // Bound by name: placeholders may appear in the text in any order.
  for (size_t i = 0; i < params; ++i) {
    entry->values.emplace_back();
    entry->indicators.push_back(soci::i_null);
    entry->statement->exchange(
        soci::use(entry->values.back(), entry->indicators.back(), "p" + std::to_string(i)));
  }
  if (rows) entry->statement->exchange(soci::into(entry->row));
  entry->statement->alloc();
  entry->statement->prepare(text);
  entry->statement->define_and_bind();
  Entry& result = *entry;
  entries_.emplace(text, std::move(entry));
  return result;
}

}  // namespace glance

namespace glance::sql {

namespace {

StatementCache::Entry& Bind(DbSession& session, const std::string& text,
                            const std::vector<Value>& params, bool rows) {
  StatementCache::Entry& entry = session.statements.Get(session.sql, text, params.size(), rows);
  for (size_t i = 0; i < params.size(); ++i) {
    entry.values[i] = params[i].value_or(std::string());
    entry.indicators[i] = params[i] ? soci::i_ok : soci::i_null;
  }
  return entry;
}

// A statement that failed may be left mid-way; prepare it afresh next time.
template <typename Fn>
auto Guarded(DbSession& session, Fn fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    session.statements.Clear();
    throw;
  }
}

}  // namespace

std::vector<Row> Select(DbSession& session, const std::string& text,
                        const std::vector<Value>& params) {
  return Guarded(session, [&] {
    StatementCache::Entry& entry = Bind(session, text, params, true);
    std::vector<Row> rows;
    if (entry.statement->execute(true)) {
      do {
        Row out;
        out.reserve(entry.row.size());
        for (size_t c = 0; c < entry.row.size(); ++c) {
          if (entry.row.get_indicator(c) == soci::i_null) {
            out.emplace_back(std::nullopt);
          } else {
            out.emplace_back(entry.row.get<std::string>(c));
          }
        }
        rows.push_back(std::move(out));
      } while (entry.statement->fetch());
    }
    return rows;
  });
}

long long Execute(DbSession& session, const std::string& text, const std::vector<Value>& params) {
  return Guarded(session, [&] {
    StatementCache::Entry& entry = Bind(session, text, params, false);
    entry.statement->execute(true);
    return entry.statement->get_affected_rows();
  });
}

}  // namespace glance::sql
