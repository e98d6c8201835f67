// Fuzz target: a list request's query string -> ListQuery -> SQL.
//
// Input: one byte choosing the caller (admin or not, with or without a
// tenant) and the API (bit 2: v2's parser), then the raw query string.  The
// SQL built must be the same text whatever the client's values were: they
// may only ever be bound parameters.
#include <algorithm>
#include <vector>

#include "fuzz_target.h"
#include "glance/common/text.h"
#include "glance/db/list_sql.h"
#include "glance/image/list_query.h"

namespace glance::fuzz {

namespace {

RequestContext Caller(unsigned char selector) {
  RequestContext context;
  context.is_admin = selector & 1;
  if (selector & 2) context.owner = context.tenant = "tenant-a";
  context.request_id = "req-fuzz";
  return context;
}

// The same query shape with every client-chosen value replaced.
ListQuery Neutralized(const ListQuery& query) {
  ListQuery out = query;
  for (auto& [field, value] : out.equals) value = "v";
  out.properties.clear();
  for (size_t i = 0; i < query.properties.size(); ++i) out.properties["k" + std::to_string(i)] = "v";
  for (auto* n : {&out.size_min, &out.size_max, &out.min_ram, &out.min_disk}) {
    if (*n) *n = 0;
  }
  for (auto& [field, values] : out.in_lists) {
    for (auto& value : values) value = "v";
  }
  for (auto& [field, value] : out.int_equals) value = 0;
  for (size_t i = 0; i < out.tags.size(); ++i) out.tags[i] = "t" + std::to_string(i);
  // A threshold between two seconds makes other SQL than a whole second.
  for (TimeFilter& f : out.time_filters) {
    bool whole = f.utc.size() > 7 && f.utc.compare(f.utc.size() - 7, 7, ".000000") == 0;
    f.utc = whole ? "2000-01-01 00:00:00.000000" : "2000-01-01 00:00:00.500000";
  }
  if (out.changes_since) out.changes_since = "2000-01-01 00:00:00.000000";
  if (out.marker) out.marker = "00000000-0000-0000-0000-000000000000";
  return out;
}

// sql_exec binds by name: each of :p0 .. :p<n-1> must stand in the text
// exactly once, in any order.
bool PlaceholdersMatch(const std::string& text, size_t params) {
  std::vector<int> seen(params, 0);
  for (size_t at = text.find(":p"); at != std::string::npos; at = text.find(":p", at + 2)) {
    size_t end = text.find_first_not_of("0123456789", at + 2);
    auto index = ParseInt64(text.substr(at + 2, end - (at + 2)));
    if (!index || *index < 0 || static_cast<size_t>(*index) >= params) return false;
    ++seen[*index];
  }
  return std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; });
}

void CheckSql(const ListQuery& query, const RequestContext& context, const ListLimits& limits) {
  Check(query.limit >= 0 && query.limit <= limits.api_limit_max, "limit not clamped");
  const bool v2 = query.api == ListApi::kV2;
  Check(!query.sort.empty() && (v2 || query.sort.size() == 1), "a v1 list sorts by one key");
  for (const SortKey& k : query.sort) {
    Check(std::any_of(std::begin(kSortKeys), std::end(kSortKeys),
                      [&](const char* key) { return k.key == key; }),
          "sort key outside the list: " + k.key);
  }
  for (const auto& [field, value] : query.equals) {
    Check(field == "name" || field == "status" || field == "container_format" ||
              field == "disk_format" ||
              (v2 && (field == "id" || field == "checksum" || field == "os_hash_algo" ||
                      field == "os_hash_value" || field == "owner")),
          "unexpected filter column " + field);
  }
  if (v2) {
    Check(query.os_hidden.has_value() && !query.ShowsDeleted(), "v2 shows hidden or deleted");
    Check(query.properties.size() <= kMaxPropertyFilters && query.tags.size() <= kMaxTagFilters,
          "filters not bounded");
  }

  SqlText sql = BuildListSql(query, context, "i.id");
  SqlText neutral = BuildListSql(Neutralized(query), context, "i.id");
  Check(sql.text == neutral.text, "client text reached the SQL: " + sql.text);
  Check(sql.params.size() == neutral.params.size(), "parameter count depends on values");
  Check(PlaceholdersMatch(sql.text, sql.params.size()), "placeholders and parameters differ");
  // PostgreSQL refuses text parameters that are not UTF-8 or hold NUL: such
  // a value must have been refused with a 400 before it got here.
  for (const std::string& p : sql.params) {
    Check(Utf8Length(p).has_value() && p.find('\0') == std::string::npos,
          "a parameter PostgreSQL would refuse");
  }
}

}  // namespace

void ListQueryInput(std::string_view input) {
  if (input.empty()) return;
  RequestContext context = Caller(static_cast<unsigned char>(input[0]));
  std::string raw(input.substr(1));

  QueryParams params;
  Status s = ParseQueryString(raw, &params);
  CheckCleanRefusal(s, Status::Code::kInvalidArgument, "ParseQueryString");
  if (!s.ok()) return;

  // glance-api forwards the parameters to the registry re-encoded; the
  // registry must read back exactly what the API read.
  std::string forward;
  for (const auto& [key, value] : params) {
    forward += (forward.empty() ? "" : "&") + UrlEncode(key) + "=" + UrlEncode(value);
  }
  QueryParams forwarded;
  Check(ParseQueryString(forward, &forwarded).ok() && forwarded == params,
        "re-encoded query string reads back differently: " + forward);

  ListLimits limits;
  ListQuery query;
  const bool v2 = static_cast<unsigned char>(input[0]) & 4;
  s = v2 ? ParseV2ListQuery(params, context, limits, &query)
         : ParseListQuery(params, context, limits, &query);
  CheckCleanRefusal(s, Status::Code::kInvalidArgument, v2 ? "ParseV2ListQuery" : "ParseListQuery");
  if (s.ok()) CheckSql(query, context, limits);
}

}  // namespace glance::fuzz

GLANCE_FUZZ_ENTRY_POINT(glance::fuzz::ListQueryInput)
