#include "glance/db/list_sql.h"

namespace glance {

namespace {

class ParamList {
 public:
  explicit ParamList(std::vector<std::string>* params) : params_(params) {}
  // Adds a value and returns its placeholder.
  std::string Add(std::string value) {
    params_->push_back(std::move(value));
    return ":p" + std::to_string(params_->size() - 1);
  }

 private:
  std::vector<std::string>* params_;
};

// The expression a sort key orders by.  Nullable keys order as '' or 0,
// matching the expression indexes of the schema.
std::string SortExpression(const std::string& key, const std::string& alias) {
  if (key == "name" || key == "container_format" || key == "disk_format") {
    return "coalesce(" + alias + "." + key + ", '')";
  }
  if (key == "size") return "coalesce(" + alias + ".size, 0)";
  return alias + "." + key;  // status, id, created_at, updated_at: NOT NULL
}

// The full ordering: the key, then created_at, then id (spec §7.2).
std::vector<std::string> OrderColumns(const std::string& key, const std::string& alias) {
  std::vector<std::string> columns{SortExpression(key, alias)};
  if (key != "created_at" && key != "id") columns.push_back(alias + ".created_at");
  if (key != "id") columns.push_back(alias + ".id");
  return columns;
}

std::string Join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

std::string MemberOfPredicate(const std::string& owner_placeholder) {
  return "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = " +
         owner_placeholder + " AND NOT m.deleted)";
}

}  // namespace

SqlText BuildListSql(const ListQuery& query, const RequestContext& context,
                     const std::string& columns) {
  SqlText sql;
  ParamList p(&sql.params);
  std::vector<std::string> where;

  switch (query.visibility) {
    case PublicSelector::kVisibleToOwner:
      if (context.owner) {
        where.push_back("(i.is_public OR i.owner = " + p.Add(*context.owner) + " OR " +
                        MemberOfPredicate(p.Add(*context.owner)) + ")");
      } else {
        where.push_back("i.is_public");
      }
      break;
    case PublicSelector::kAll:
      break;
    case PublicSelector::kPrivateOnly:
      where.push_back("NOT i.is_public");
      break;
  }

  if (query.deleted) {
    where.push_back(*query.deleted ? "i.deleted" : "NOT i.deleted");
  } else if (!query.changes_since) {
    where.push_back("NOT i.deleted");
  }
  if (!query.ShowsDeleted()) where.push_back("i.status <> 'killed'");
  if (query.changes_since) {
    where.push_back("i.updated_at > CAST(" + p.Add(*query.changes_since) + " AS timestamp)");
  }

  for (const auto& [field, value] : query.equals) {
    where.push_back("i." + field + " = " + p.Add(value));
  }
  if (query.size_min) {
    where.push_back("i.size >= CAST(" + p.Add(std::to_string(*query.size_min)) + " AS bigint)");
  }
  if (query.size_max) {
    where.push_back("i.size <= CAST(" + p.Add(std::to_string(*query.size_max)) + " AS bigint)");
  }
  if (query.min_ram) {
    where.push_back("i.min_ram = CAST(" + p.Add(std::to_string(*query.min_ram)) + " AS bigint)");
  }
  if (query.min_disk) {
    where.push_back("i.min_disk = CAST(" + p.Add(std::to_string(*query.min_disk)) + " AS bigint)");
  }
  if (query.is_protected) {
    where.push_back(*query.is_protected ? "i.protected" : "NOT i.protected");
  }
  for (const auto& [key, value] : query.properties) {
    where.push_back(
        "EXISTS (SELECT 1 FROM image_properties pf WHERE pf.image_id = i.id AND pf.name = " +
        p.Add(key) + " AND pf.value = " + p.Add(value) + " AND NOT pf.deleted)");
  }

  std::vector<std::string> order = OrderColumns(query.sort_key, "i");
  if (query.marker) {
    // Keyset paging: rows strictly after the marker in the sort order.  The
    // row comparison uses the same expressions as ORDER BY and the indexes.
    std::vector<std::string> marker_columns = OrderColumns(query.sort_key, "mk");
    where.push_back("(" + Join(order, ", ") + ") " + (query.ascending ? ">" : "<") +
                    " (SELECT " + Join(marker_columns, ", ") +
                    " FROM images mk WHERE mk.id = " + p.Add(*query.marker) + ")");
  }

  sql.text = "SELECT " + columns + " FROM images i";
  if (!where.empty()) sql.text += " WHERE " + Join(where, " AND ");
  std::string direction = query.ascending ? " ASC" : " DESC";
  sql.text += " ORDER BY " + Join(order, direction + ", ") + direction;
  sql.text += " LIMIT " + std::to_string(query.limit);
  return sql;
}

}  // namespace glance
