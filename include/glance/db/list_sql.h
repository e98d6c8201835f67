// Builds the SQL of an image list from a ListQuery (v1 or v2): filters,
// visibility, sort order and keyset paging after a marker.  Pure string building, so it
// is unit-tested without a database.  Every client value becomes a bound
// parameter, never SQL text: params[i] is :p<i>, which stands once in the
// text, not necessarily in order (sql_exec binds by name).
#ifndef GLANCE_DB_LIST_SQL_H_
#define GLANCE_DB_LIST_SQL_H_

#include <string>
#include <vector>

#include "glance/common/request_context.h"
#include "glance/image/list_query.h"

namespace glance {

struct SqlText {
  std::string text;
  std::vector<std::string> params;  // bound as text, cast in the SQL
};

// `columns` is the select list over the alias `i` (images).
SqlText BuildListSql(const ListQuery& query, const RequestContext& context,
                     const std::string& columns);

}  // namespace glance

#endif  // GLANCE_DB_LIST_SQL_H_
