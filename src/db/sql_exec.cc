#include "sql_exec.h"

#include <soci/soci.h>

#include <deque>

namespace glance::sql {

namespace {

// Owns the bound values for the statement's lifetime (SOCI binds by
// reference), in containers that never move their elements.
struct Bindings {
  std::deque<std::string> values;
  std::deque<soci::indicator> indicators;

  void BindAll(soci::statement& statement, const std::vector<Value>& params) {
    // Bound by name: placeholders may appear in the text in any order.
    for (size_t i = 0; i < params.size(); ++i) {
      values.push_back(params[i].value_or(std::string()));
      indicators.push_back(params[i] ? soci::i_ok : soci::i_null);
      statement.exchange(soci::use(values.back(), indicators.back(), "p" + std::to_string(i)));
    }
  }
};

}  // namespace

std::vector<Row> Select(soci::session& session, const std::string& text,
                        const std::vector<Value>& params) {
  Bindings bindings;
  soci::row row;
  soci::statement statement(session);
  bindings.BindAll(statement, params);
  statement.exchange(soci::into(row));
  statement.alloc();
  statement.prepare(text);
  statement.define_and_bind();
  std::vector<Row> rows;
  if (statement.execute(true)) {
    do {
      Row out;
      out.reserve(row.size());
      for (size_t c = 0; c < row.size(); ++c) {
        if (row.get_indicator(c) == soci::i_null) {
          out.emplace_back(std::nullopt);
        } else {
          out.emplace_back(row.get<std::string>(c));
        }
      }
      rows.push_back(std::move(out));
    } while (statement.fetch());
  }
  return rows;
}

long long Execute(soci::session& session, const std::string& text,
                  const std::vector<Value>& params) {
  Bindings bindings;
  soci::statement statement(session);
  bindings.BindAll(statement, params);
  statement.alloc();
  statement.prepare(text);
  statement.define_and_bind();
  statement.execute(true);
  return statement.get_affected_rows();
}

}  // namespace glance::sql
