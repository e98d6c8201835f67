#include "glance/db/list_sql.h"

#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "glance/common/time_format.h"

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

// v2 (contract §4.2 "Which images", §10; upstream _select_images_query
// and image_get_all): who lists what.  A non-admin project P lists the
// public images, its own, and the shared ones it is a member of with the
// asked member_status; community images only with visibility=community or
// all (or its own).  An admin lists everything but the community images it
// does not own unless a visibility is given.  Images without an owner are
// nobody's own: a non-admin lists them only when public (or community).
// A caller without a project (anonymous) lists only public or community
// images.  Returns "" for no condition.
std::string V2VisibilityPredicate(const ListQuery& query, const RequestContext& context,
                                  ParamList* p) {
  using V = VisibilitySelector;
  static const char* kNames[] = {"", "public", "private", "shared", "community", ""};
  const std::string named =
      std::string("i.visibility = '") + kNames[static_cast<int>(query.v2_visibility)] + "'";
  if (context.is_admin) {
    if (query.v2_visibility == V::kAll) return "";
    if (query.v2_visibility != V::kDefault) return named;
    if (!context.owner) return "i.visibility <> 'community'";
    return "(i.owner = " + p->Add(*context.owner) + " OR i.visibility <> 'community')";
  }
  if (!context.owner) {
    switch (query.v2_visibility) {
      case V::kDefault:
      case V::kPublic:
        return "i.visibility = 'public'";
      case V::kCommunity:
        return named;
      case V::kAll:
        return "i.visibility IN ('public', 'community')";
      default:
        return "false";
    }
  }
  if (query.v2_visibility == V::kPublic || query.v2_visibility == V::kCommunity) return named;
  if (query.v2_visibility == V::kPrivate) {
    return "(" + named + " AND i.owner = " + p->Add(*context.owner) + ")";
  }
  // The placeholders in text order (operands of + are evaluated in no set
  // order).
  const std::string owner = p->Add(*context.owner);
  std::string member = "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND "
                       "m.member = " + p->Add(*context.owner) + " AND NOT m.deleted";
  switch (query.member_status) {
    case MemberStatus::kAccepted: member += " AND m.status = " + p->Add("accepted"); break;
    case MemberStatus::kPending: member += " AND m.status = " + p->Add("pending"); break;
    case MemberStatus::kRejected: member += " AND m.status = " + p->Add("rejected"); break;
    case MemberStatus::kAll: break;
  }
  member += ")";
  if (query.v2_visibility == V::kShared) {
    return "(" + named + " AND (i.owner = " + owner + " OR " + member + "))";
  }
  return std::string(query.v2_visibility == V::kAll ? "(i.visibility IN ('public', 'community')"
                                                    : "(i.visibility = 'public'") +
         " OR i.owner = " + owner + " OR (i.visibility = 'shared' AND " + member + "))";
}

// v2's time filters compare the time as shown, to the second (contract §2:
// "YYYY-MM-DDTHH:MM:SSZ"), while the column keeps microseconds: with s the
// column's second and t the threshold, s > t is column >= floor(t) + 1s,
// and so on, which an index on the column still serves.  `eq` of a
// threshold with a fraction matches nothing, `neq` everything.
std::string TimePredicate(const TimeFilter& filter, ParamList* p) {
  std::optional<int64_t> seconds = ParseIsoTimeToEpochSeconds(filter.utc);
  if (!seconds || (filter.column != "created_at" && filter.column != "updated_at")) {
    return "false";
  }
  bool fraction = filter.utc.size() < 7 || filter.utc.compare(filter.utc.size() - 7, 7, ".000000");
  auto format = [](int64_t t) {
    time_t value = static_cast<time_t>(t);
    std::tm utc{};
    gmtime_r(&value, &utc);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
    return std::string(buffer);
  };
  const std::string column = "i." + filter.column;
  auto at = [&](int64_t t) { return "CAST(" + p->Add(format(t)) + " AS timestamp)"; };
  const int64_t floor = *seconds, next = *seconds + 1;
  const int64_t ceil = fraction ? next : floor;
  switch (filter.op) {
    case CompareOp::kGt: return column + " >= " + at(next);
    case CompareOp::kGte: return column + " >= " + at(ceil);
    case CompareOp::kLt: return column + " < " + at(ceil);
    case CompareOp::kLte: return column + " < " + at(next);
    case CompareOp::kEq:
    case CompareOp::kNeq: {
      if (fraction) return filter.op == CompareOp::kEq ? "false" : "true";
      const std::string from = at(floor), to = at(next);
      return filter.op == CompareOp::kEq
                 ? "(" + column + " >= " + from + " AND " + column + " < " + to + ")"
                 : "(" + column + " < " + from + " OR " + column + " >= " + to + ")";
    }
  }
  return "false";
}

// Keyset paging: rows strictly after the marker in the sort order.  When
// every key has the same direction, one row comparison over the ORDER BY
// expressions, which the (key, created_at, id) indexes serve; otherwise
// the expanded form (k1 after m1) OR (k1 = m1 AND k2 after m2) OR ..., over
// the marker's values joined in once as `mv`, behind a bound on k1.  The
// marker's values come from the database: `from` gets the join, the result
// goes into WHERE.
std::string MarkerPredicate(const std::vector<SortKey>& order, const std::string& marker,
                            ParamList* p, std::string* from) {
  bool uniform = true;
  for (const SortKey& k : order) uniform = uniform && k.ascending == order.front().ascending;
  std::vector<std::string> mine, theirs;
  for (const SortKey& k : order) {
    mine.push_back(SortExpression(k.key, "i"));
    theirs.push_back(SortExpression(k.key, "mk"));
  }
  if (uniform) {
    return "(" + Join(mine, ", ") + ") " + (order.front().ascending ? ">" : "<") + " (SELECT " +
           Join(theirs, ", ") + " FROM images mk WHERE mk.id = " + p->Add(marker) + ")";
  }
  std::vector<std::string> values, terms;
  for (size_t i = 0; i < order.size(); ++i) {
    values.push_back(theirs[i] + " AS k" + std::to_string(i));
    std::vector<std::string> term;
    for (size_t j = 0; j < i; ++j) term.push_back(mine[j] + " = mv.k" + std::to_string(j));
    term.push_back(mine[i] + (order[i].ascending ? " > " : " < ") + "mv.k" + std::to_string(i));
    terms.push_back(term.size() == 1 ? term[0] : "(" + Join(term, " AND ") + ")");
  }
  *from += " CROSS JOIN (SELECT " + Join(values, ", ") + " FROM images mk WHERE mk.id = " +
           p->Add(marker) + ") AS mv";
  // Implied by the terms, but as a value computed once (not a join column)
  // it lets the first key's index start at the marker instead of the top.
  const std::string bound = "(SELECT " + theirs[0] + " FROM images mk WHERE mk.id = " +
                            p->Add(marker) + ")";
  return "(" + mine[0] + (order[0].ascending ? " >= " : " <= ") + bound + " AND (" +
         Join(terms, " OR ") + "))";
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
  std::string from = "images i";

  if (query.api == ListApi::kV2) {
    std::string visible = V2VisibilityPredicate(query, context, &p);
    if (!visible.empty()) where.push_back(visible);
  } else {
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

  // Column names come from the parsers' fixed sets; anything else cannot
  // become SQL text and matches nothing.
  static const std::set<std::string> kTextColumns = {
      "name", "id", "status", "container_format", "disk_format",
      "checksum", "os_hash_algo", "os_hash_value", "owner"};
  for (const auto& [field, value] : query.equals) {
    where.push_back(kTextColumns.count(field) ? "i." + field + " = " + p.Add(value) : "false");
  }
  for (const auto& [field, values] : query.in_lists) {
    std::vector<std::string> placeholders;
    for (const std::string& value : values) placeholders.push_back(p.Add(value));
    where.push_back(kTextColumns.count(field) && !values.empty()
                        ? "i." + field + " IN (" + Join(placeholders, ", ") + ")"
                        : "false");
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
  for (const auto& [field, value] : query.int_equals) {
    bool known = field == "size" || field == "virtual_size";
    where.push_back(known ? "i." + field + " = CAST(" + p.Add(std::to_string(value)) + " AS bigint)"
                          : "false");
  }
  if (query.is_protected) {
    where.push_back(*query.is_protected ? "i.protected" : "NOT i.protected");
  }
  if (query.os_hidden) where.push_back(*query.os_hidden ? "i.os_hidden" : "NOT i.os_hidden");
  for (const TimeFilter& filter : query.time_filters) where.push_back(TimePredicate(filter, &p));
  // Every tag: one probe each of the live (image_id, value) index.
  for (const std::string& tag : query.tags) {
    where.push_back("EXISTS (SELECT 1 FROM image_tags tf WHERE tf.image_id = i.id AND tf.value = " +
                    p.Add(tag) + " AND NOT tf.deleted)");
  }
  if (!query.properties.empty()) where.push_back(PropertyPredicate(query.properties, &p));

  std::vector<SortKey> order = OrderKeys(query.sort);
  if (query.marker) where.push_back(MarkerPredicate(order, *query.marker, &p, &from));

  sql.text = "SELECT " + columns + " FROM " + from;
  if (!where.empty()) sql.text += " WHERE " + Join(where, " AND ");
  std::vector<std::string> terms;
  for (const SortKey& k : order) {
    terms.push_back(SortExpression(k.key, "i") + (k.ascending ? " ASC" : " DESC"));
  }
  sql.text += " ORDER BY " + Join(terms, ", ");
  sql.text += " LIMIT " + std::to_string(query.limit);
  return sql;
}

}  // namespace glance
