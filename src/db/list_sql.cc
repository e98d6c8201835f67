#include "glance/db/list_sql.h"

#include <map>

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

// Property filters (spec §7.1): the image has every given property, each
// with exactly the given value.
//
// Up to kFewPropertyFilters, one EXISTS each, as before: the planner makes
// them semi-joins and, knowing each pair's selectivity, walks the images in
// page order or starts from a rare pair, whichever is cheaper.  Its join
// search grows much faster than the number of filters, though (20 took
// 0.2 s to plan, 100 four seconds), so beyond that every filter goes into
// one subquery whose cost grows with the number of filters and no faster:
// an image matches when as many of its undeleted properties are among the
// asked (name, value) pairs as there are pairs.  A name stands once in the
// filters (a map) and at most once per image (UNIQUE (image_id, name)), so
// the count means "every pair".  Each pair is one probe of the
// (name, md5(value)) index of migration 003 (a value may be too long for a
// btree entry); the value itself is compared too, so an md5 collision cannot
// match.  That form reads every property row a pair matches, which is why
// it does not serve the few filters too: a pair most images have costs it
// about 5 ms per 1,000 such images.  Either way the text depends on the
// number of filters only.
constexpr size_t kFewPropertyFilters = 8;

std::string PropertyPredicate(const std::map<std::string, std::string>& properties,
                              ParamList* p) {
  std::vector<std::string> terms;
  if (properties.size() <= kFewPropertyFilters) {
    for (const auto& [key, value] : properties) {
      terms.push_back(
          "EXISTS (SELECT 1 FROM image_properties pf WHERE pf.image_id = i.id AND pf.name = " +
          p->Add(key) + " AND pf.value = " + p->Add(value) + " AND NOT pf.deleted)");
    }
    return Join(terms, " AND ");
  }
  for (const auto& [key, value] : properties) {
    terms.push_back("(" + p->Add(key) + ", " + p->Add(value) + ")");
  }
  return "i.id IN (SELECT pf.image_id FROM image_properties pf JOIN (VALUES " +
         Join(terms, ", ") +
         ") AS f (name, value) ON pf.name = f.name AND md5(pf.value) = md5(f.value) AND "
         "pf.value = f.value WHERE NOT pf.deleted GROUP BY pf.image_id HAVING count(*) = " +
         std::to_string(properties.size()) + ")";
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
        where.push_back("(i.visibility = 'public' OR i.owner = " + p.Add(*context.owner) +
                        " OR (i.visibility = 'shared' AND " +
                        MemberOfPredicate(p.Add(*context.owner)) + "))");
      } else {
        where.push_back("i.visibility = 'public'");
      }
      break;
    case PublicSelector::kAll:
      break;
    case PublicSelector::kPrivateOnly:
      where.push_back("i.visibility <> 'public'");
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
  if (!query.properties.empty()) where.push_back(PropertyPredicate(query.properties, &p));

  // The full order (OrderKeys): v1 sorts every key in one direction.
  std::vector<SortKey> order = OrderKeys(query.sort);
  std::vector<std::string> mine, theirs, terms;
  for (const SortKey& k : order) {
    mine.push_back(SortExpression(k.key, "i"));
    theirs.push_back(SortExpression(k.key, "mk"));
    terms.push_back(mine.back() + (k.ascending ? " ASC" : " DESC"));
  }
  if (query.marker) {
    // Keyset paging: rows strictly after the marker in the sort order.  The
    // row comparison uses the same expressions as ORDER BY and the indexes.
    where.push_back("(" + Join(mine, ", ") + ") " + (order.front().ascending ? ">" : "<") +
                    " (SELECT " + Join(theirs, ", ") +
                    " FROM images mk WHERE mk.id = " + p.Add(*query.marker) + ")");
  }

  sql.text = "SELECT " + columns + " FROM images i";
  if (!where.empty()) sql.text += " WHERE " + Join(where, " AND ");
  sql.text += " ORDER BY " + Join(terms, ", ");
  sql.text += " LIMIT " + std::to_string(query.limit);
  return sql;
}

}  // namespace glance
