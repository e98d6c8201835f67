// GET /v2/images: its query parameters into a ListQuery (v2 contract §4.2;
// upstream glance/api/v2/images.py RequestDeserializer.index, the filters of
// glance/db/sqlalchemy/api.py and glance/common/utils.py split_filter_op).
// Slightly over 400 lines on purpose: every v2 filter, operator and sort
// rule is one table of checks, and splitting it would scatter one contract.
#include <set>

#include "glance/common/text.h"
#include "glance/common/time_format.h"
#include "glance/common/uuid.h"
#include "glance/image/image.h"
#include "glance/image/list_query.h"

namespace glance {

namespace {

// Filter values end up in SQL text comparisons: PostgreSQL refuses bytes
// that are not UTF-8 and NUL, so such values are a 400 here (as in v1).
Status FilterText(const std::string& name, const std::string& value) {
  return ValidateMetadataText(value, 65535, "Filter " + name);
}

// The value named `name` in a table of (name, value) pairs.
template <typename T, size_t N>
bool Lookup(const std::pair<const char*, T> (&table)[N], const std::string& name, T* out) {
  for (const auto& [key, value] : table) {
    if (name == key) {
      *out = value;
      return true;
    }
  }
  return false;
}

Status UnknownOperator(const std::string& op) {
  return Status::InvalidArgument("Unable to filter by unknown operator '" + op + "'.");
}

// split_filter_op: the text before the first ':' is the operator, unless
// the whole value is an ISO 8601 time (whose ':' belong to it); no ':' is
// `eq`.
void SplitFilterOp(const std::string& expression, std::string* op, std::string* value) {
  size_t colon = expression.find(':');
  if (colon == std::string::npos || ParseIsoTimeToUtc(expression)) {
    *op = "eq";
    *value = expression;
  } else {
    *op = expression.substr(0, colon);
    *value = expression.substr(colon + 1);
  }
}

// validate_quotes: a '"' not preceded by a backslash opens a quoted value
// right after a comma (or at the start) and closes one right before a comma
// (or at the end).
Status ValidateQuotes(const std::string& value) {
  bool opening = true;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '"' || (i > 0 && value[i - 1] == '\\')) continue;
    if (opening && i > 0 && value[i - 1] != ',') {
      return Status::InvalidArgument("Invalid filter value " + value +
                                     ". There is no comma before opening quotation mark.");
    }
    if (!opening && i + 1 != value.size() && value[i + 1] != ',') {
      return Status::InvalidArgument("Invalid filter value " + value +
                                     ". There is no comma after closing quotation mark.");
    }
    opening = !opening;
  }
  if (!opening) {
    return Status::InvalidArgument("Invalid filter value " + value + ". The quote is not closed.");
  }
  return Status::Ok();
}

// split_filter_value_for_quotes, after ValidateQuotes: comma-separated
// values, each either "quoted" (commas allowed inside, backslash escapes
// kept as they are) or bare; an empty item between commas is "".
std::vector<std::string> SplitInValues(const std::string& text) {
  std::vector<std::string> values;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == '"') {
      size_t end = pos + 1;
      while (end < text.size() && text[end] != '"') {
        if (text[end] == '\\') {
          if (end + 1 >= text.size() || text[end + 1] == '\n') break;
          ++end;
        }
        ++end;
      }
      if (end < text.size() && text[end] == '"') {
        values.push_back(text.substr(pos + 1, end - pos - 1));
        pos = end + 1;
        if (pos < text.size() && text[pos] == ',') ++pos;
        continue;
      }
      // Unclosed: read as a bare value, as the pattern's next branch does.
    }
    if (text[pos] == ',') {
      values.emplace_back();
      ++pos;
      continue;
    }
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    values.push_back(text.substr(pos, comma - pos));
    pos = comma == text.size() ? comma : comma + 1;
  }
  return values;
}

Status ParseOperatorFilter(const std::string& field, const std::string& raw, ListQuery* query) {
  std::string op, value;
  SplitFilterOp(raw, &op, &value);
  query->equals.erase(field);
  query->in_lists.erase(field);
  if (op == "eq") {
    query->equals[field] = value;
    return Status::Ok();
  }
  if (op != "in") return UnknownOperator(op);
  Status s = ValidateQuotes(value);
  if (!s.ok()) return s;
  std::vector<std::string> values = SplitInValues(value);
  if (values.size() > kMaxInValues) {
    return Status::InvalidArgument("Too many values in filter " + field + ": at most " +
                                   std::to_string(kMaxInValues));
  }
  query->in_lists[field] = std::move(values);
  return Status::Ok();
}

Status ParseTimeFilter(const std::string& column, const std::string& raw, ListQuery* query) {
  std::string op, value;
  SplitFilterOp(raw, &op, &value);
  std::optional<std::string> utc = ParseIsoTimeToUtc(value);
  if (!utc) {
    return Status::InvalidArgument("Bad \"" + column +
                                   "\" query filter format. Use ISO 8601 DateTime notation.");
  }
  static const std::pair<const char*, CompareOp> kOps[] = {
      {"eq", CompareOp::kEq}, {"neq", CompareOp::kNeq}, {"gt", CompareOp::kGt},
      {"gte", CompareOp::kGte}, {"lt", CompareOp::kLt}, {"lte", CompareOp::kLte}};
  CompareOp compare;
  if (!Lookup(kOps, op, &compare)) return UnknownOperator(op);
  query->time_filters.push_back({column, compare, *utc});
  return Status::Ok();
}

Status OutOfRange(const std::string& key, const std::string& value) {
  return Status::InvalidArgument("Invalid value for filter " + key + ": " + value +
                                 " is out of range.");
}

Status IntegerFilter(const std::string& name, const std::string& value, int64_t* out) {
  std::optional<int64_t> n = ParseInt64(value);
  if (!n) {
    return Status::InvalidArgument("Invalid value '" + value + "' for '" + name +
                                   "' filter. An integer is required.");
  }
  *out = *n;
  return Status::Ok();
}

Status BooleanFilter(const std::string& name, const std::string& value, bool* out) {
  if (value != "true" && value != "false") {
    return Status::InvalidArgument("Invalid value '" + value + "' for '" + name +
                                   "' filter. Valid values are 'true' or 'false'.");
  }
  *out = value == "true";
  return Status::Ok();
}

Status ParseSortKey(const std::string& raw, std::string* key) {
  *key = Trim(raw);
  for (const char* known : kSortKeys) {
    if (*key == known) return Status::Ok();
  }
  return Status::InvalidArgument("Invalid sort key: " + *key +
                                 ". It must be one of the following: name, status, "
                                 "container_format, disk_format, size, id, created_at, "
                                 "updated_at.");
}

Status ParseSortDir(const std::string& raw, bool* ascending) {
  std::string dir = Trim(raw);
  if (dir != "asc" && dir != "desc") {
    return Status::InvalidArgument("Invalid sort direction: " + dir);
  }
  *ascending = dir == "asc";
  return Status::Ok();
}

// `sort=k[:dir],...` or `sort_key=k&sort_dir=d` (repeatable), never both
// (RequestDeserializer._get_sorting_params).
Status ParseSort(const std::optional<std::string>& sort, const std::vector<std::string>& keys,
                 const std::vector<std::string>& dirs, std::vector<SortKey>* out) {
  out->clear();
  if (sort) {
    if (!keys.empty() || !dirs.empty()) {
      return Status::InvalidArgument("Old and new sorting syntax cannot be combined");
    }
    std::string text = Trim(*sort);
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
      size_t colon = item.find(':');
      SortKey k;
      Status s = ParseSortKey(item.substr(0, colon), &k.key);
      if (!s.ok()) return s;
      std::string dir = colon == std::string::npos ? "" : item.substr(colon + 1);
      if (!dir.empty()) {  // "name:" is the default direction, "name: " a bad one
        s = ParseSortDir(dir, &k.ascending);
        if (!s.ok()) return s;
      }
      out->push_back(std::move(k));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return Status::Ok();
  }
  std::vector<bool> ascending;
  for (const std::string& d : dirs) {
    bool a = false;
    Status s = ParseSortDir(d, &a);
    if (!s.ok()) return s;
    ascending.push_back(a);
  }
  if (ascending.size() > 1 && ascending.size() != keys.size()) {
    return Status::InvalidArgument("Number of sort dirs does not match the number of sort keys");
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    SortKey k;
    Status s = ParseSortKey(keys[i], &k.key);
    if (!s.ok()) return s;
    if (!ascending.empty()) k.ascending = ascending.size() == 1 ? ascending[0] : ascending[i];
    out->push_back(std::move(k));
  }
  if (out->empty()) out->push_back({"created_at", !ascending.empty() && ascending[0]});
  return Status::Ok();
}

Status ParseLimit(const std::string* v, const ListLimits& limits, int64_t* limit) {
  *limit = limits.limit_param_default;
  if (v) {
    std::optional<int64_t> n = ParseInt64(*v);
    if (!n) {
      // A number too large for 64 bits is still a number: clamp it.
      bool digits = !v->empty() && v->find_first_not_of("0123456789") == std::string::npos;
      if (!digits) return Status::InvalidArgument("limit param must be an integer");
      n = limits.api_limit_max;
    }
    if (*n < 0) return Status::InvalidArgument("limit param must be positive");
    *limit = *n;
  }
  if (*limit > limits.api_limit_max) *limit = limits.api_limit_max;
  return Status::Ok();
}

Status ParseVisibility(const std::string& v, VisibilitySelector* out) {
  static const std::pair<const char*, VisibilitySelector> kValues[] = {
      {"public", VisibilitySelector::kPublic}, {"private", VisibilitySelector::kPrivate},
      {"shared", VisibilitySelector::kShared}, {"community", VisibilitySelector::kCommunity},
      {"all", VisibilitySelector::kAll}};
  if (Lookup(kValues, v, out)) return Status::Ok();
  return Status::InvalidArgument("Invalid visibility value: " + v);
}

Status ParseMemberStatus(const std::string& v, MemberStatus* out) {
  static const std::pair<const char*, MemberStatus> kValues[] = {
      {"accepted", MemberStatus::kAccepted}, {"pending", MemberStatus::kPending},
      {"rejected", MemberStatus::kRejected}, {"all", MemberStatus::kAll}};
  if (Lookup(kValues, v, out)) return Status::Ok();
  return Status::InvalidArgument("Invalid status: " + v);
}

// One filter parameter (anything that is not limit, marker, member_status,
// tag or sorting).
Status ParseFilter(const std::string& key, const std::string& value, ListQuery* query) {
  static const std::set<std::string> kOperatorFields = {"name", "id", "status",
                                                        "container_format", "disk_format"};
  static const std::set<std::string> kTextFields = {"checksum", "os_hash_algo", "os_hash_value",
                                                    "owner"};
  if (key == "changes-since") {
    return Status::InvalidArgument("The \"changes-since\" filter is no longer available on v2.");
  }
  if (key == "visibility") return ParseVisibility(value, &query->v2_visibility);
  // Upstream's API sets deleted=False whatever the client said; deleted_at
  // is null on every image a v2 list shows.
  if (key == "deleted" || key == "deleted_at") return Status::Ok();
  Status s = FilterText(key, value);
  if (!s.ok()) return s;
  if (kOperatorFields.count(key)) return ParseOperatorFilter(key, value, query);
  if (key == "created_at" || key == "updated_at") return ParseTimeFilter(key, value, query);
  if (kTextFields.count(key)) {
    query->equals[key] = value;
    return Status::Ok();
  }
  int64_t n = 0;
  bool b = false;
  // Sizes and minimums are never negative and the minimums are database
  // integers: a value no image can have is a client mistake (as in v1).
  if (key == "size_min" || key == "size_max") {
    std::optional<int64_t> bound = ParseInt64(value);
    if (!bound || *bound < 0) {
      return Status::InvalidArgument("Unable to filter on a range with a non-numeric value.");
    }
    (key == "size_min" ? query->size_min : query->size_max) = bound;
    return Status::Ok();
  }
  if (key == "min_ram" || key == "min_disk") {
    s = IntegerFilter(key, value, &n);
    if (s.ok() && (n < 0 || n > kMaxDbInt)) s = OutOfRange(key, value);
    if (s.ok()) (key == "min_ram" ? query->min_ram : query->min_disk) = n;
    return s;
  }
  if (key == "size" || key == "virtual_size") {
    s = IntegerFilter(key, value, &n);
    if (s.ok() && n < 0) s = OutOfRange(key, value);
    if (s.ok()) query->int_equals[key] = n;
    return s;
  }
  if (key == "protected") {  // exactly "true" or "false", as upstream
    s = BooleanFilter(key, value, &b);
    if (s.ok()) query->is_protected = b;
    return s;
  }
  if (key == "os_hidden") {  // any case, as upstream
    s = BooleanFilter(key, ToLower(value), &b);
    if (s.ok()) query->os_hidden = b;
    return s;
  }
  s = FilterText(key, key);
  if (!s.ok()) return s;
  query->properties[key] = value;
  return Status::Ok();
}

}  // namespace

Status ParseV2ListQuery(const QueryParams& params, const RequestContext& context,
                        const ListLimits& limits, ListQuery* query) {
  (void)context;  // the rules by context are the SQL's (list_sql.cc)
  *query = ListQuery();
  query->api = ListApi::kV2;
  query->os_hidden = false;

  std::vector<std::string> sort_keys, sort_dirs, order;
  std::map<std::string, std::string> last;  // the last value of each other key
  for (const auto& [key, value] : params) {
    if (key == "tag") {
      std::string tag = Trim(value);
      Status s = FilterText(key, tag);
      if (!s.ok()) return s;
      bool repeated = false;
      for (const std::string& t : query->tags) repeated = repeated || t == tag;
      if (!repeated) query->tags.push_back(std::move(tag));
    } else if (key == "sort_key") {
      sort_keys.push_back(value);
    } else if (key == "sort_dir") {
      sort_dirs.push_back(value);
    } else {
      if (!last.count(key)) order.push_back(key);
      last[key] = value;
    }
  }
  if (query->tags.size() > kMaxTagFilters) {
    return Status::InvalidArgument("Too many tag filters: at most " +
                                   std::to_string(kMaxTagFilters));
  }
  auto take = [&](const std::string& key) -> std::optional<std::string> {
    auto it = last.find(key);
    if (it == last.end()) return std::nullopt;
    std::string value = std::move(it->second);
    last.erase(it);
    return value;
  };

  std::optional<std::string> limit = take("limit");
  Status s = ParseLimit(limit ? &*limit : nullptr, limits, &query->limit);
  if (!s.ok()) return s;
  if (std::optional<std::string> marker = take("marker")) {
    if (!IsUuidLike(*marker)) return Status::InvalidArgument("Invalid marker format");
    query->marker = ToLower(*marker);
  }
  if (std::optional<std::string> status = take("member_status")) {
    s = ParseMemberStatus(*status, &query->member_status);
    if (!s.ok()) return s;
  }
  std::optional<std::string> sort = take("sort");
  for (const std::string& key : order) {
    auto it = last.find(key);
    if (it == last.end()) continue;
    s = ParseFilter(key, it->second, query);
    if (!s.ok()) return s;
  }
  if (query->properties.size() > kMaxPropertyFilters) {
    return Status::InvalidArgument("Too many property filters: at most " +
                                   std::to_string(kMaxPropertyFilters));
  }
  return ParseSort(sort, sort_keys, sort_dirs, &query->sort);
}

}  // namespace glance
