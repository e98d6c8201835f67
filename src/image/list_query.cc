#include "glance/image/list_query.h"

#include "glance/common/text.h"
#include "glance/common/time_format.h"
#include "glance/common/uuid.h"

namespace glance {

Status ParseQueryString(const std::string& raw, QueryParams* params) {
  params->clear();
  size_t start = 0;
  while (start < raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string::npos) end = raw.size();
    std::string_view pair(raw.data() + start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto key = UrlDecode(raw_key, true);
    auto value = UrlDecode(raw_value, true);
    if (!key || !value) return Status::InvalidArgument("Malformed query string.");
    params->emplace_back(std::move(*key), std::move(*value));
  }
  return Status::Ok();
}

std::string V2ListLink(const QueryParams& params, const std::optional<std::string>& marker) {
  std::string query;
  for (const auto& [key, value] : params) {
    if (key == "marker") continue;
    query += (query.empty() ? "" : "&") + UrlEncode(key) + "=" + UrlEncode(value);
  }
  if (marker) query += (query.empty() ? "" : "&") + std::string("marker=") + UrlEncode(*marker);
  return query.empty() ? "/v2/images" : "/v2/images?" + query;
}

std::vector<SortKey> OrderKeys(const std::vector<SortKey>& sort) {
  std::vector<SortKey> order;
  auto has = [&](const std::string& key) {
    for (const SortKey& k : order) {
      if (k.key == key) return true;
    }
    return false;
  };
  for (const SortKey& k : sort) {
    if (has("id")) return order;
    if (!has(k.key)) order.push_back(k);
  }
  bool ascending = !sort.empty() && sort.front().ascending;
  for (const char* key : {"created_at", "id"}) {
    if (has("id")) break;
    if (!has(key)) order.push_back({key, ascending});
  }
  return order;
}

namespace {

// Upstream's API refuses a bad size_min, size_max, min_ram, protected or
// is_public with this text (glance/api/v1/images.py _get_filters, checks in
// glance/api/v1/filters.py) before the registry sees the request.
Status BadFilterValue(const std::string& name, const std::string& value) {
  return Status::InvalidArgument("Bad value passed to filter " + name + " got " + value);
}

Status NonNegativeFilter(const std::string& name, const std::string& value,
                         std::optional<int64_t>* out) {
  auto n = ParseInt64(value);
  if (!n || *n < 0) return BadFilterValue(name, value);
  *out = n;
  return Status::Ok();
}

// The booleans upstream's API lets through, "none" included.
bool FilterBoolean(const std::string& value) {
  std::string v = ToLower(value);
  return v == "none" || v == "true" || v == "false" || v == "1" || v == "0";
}

// Filter values end up in SQL text comparisons: PostgreSQL refuses bytes
// that are not UTF-8 and NUL, so such values are refused here with a 400.
Status FilterText(const std::string& name, const std::string& value) {
  return ValidateMetadataText(value, 65535, "Filter " + name);
}

}  // namespace

Status ParseListQuery(const QueryParams& params, const RequestContext& context,
                      const ListLimits& limits, ListQuery* query) {
  *query = ListQuery();
  std::map<std::string, std::string> last;  // WebOb's params.get: last one wins
  for (const auto& [key, value] : params) {
    if (key.rfind("property-", 0) == 0) {
      std::string property = key.substr(9);
      Status s = FilterText(key, property);
      if (!s.ok()) return s;
      s = FilterText(key, value);
      if (!s.ok()) return s;
      query->properties[property] = value;
    } else {
      last[key] = value;
    }
  }
  if (query->properties.size() > kMaxPropertyFilters) {
    return Status::InvalidArgument("Too many property filters: at most " +
                                   std::to_string(kMaxPropertyFilters));
  }
  auto get = [&](const char* key) -> const std::string* {
    auto it = last.find(key);
    return it == last.end() ? nullptr : &it->second;
  };

  for (const char* field : {"name", "status", "container_format", "disk_format"}) {
    if (const std::string* v = get(field)) {
      Status s = FilterText(field, *v);
      if (!s.ok()) return s;
      query->equals[field] = *v;
    }
  }
  if (const std::string* v = get("size_min")) {
    Status s = NonNegativeFilter("size_min", *v, &query->size_min);
    if (!s.ok()) return s;
  }
  if (const std::string* v = get("size_max")) {
    Status s = NonNegativeFilter("size_max", *v, &query->size_max);
    if (!s.ok()) return s;
  }
  if (const std::string* v = get("min_ram")) {
    Status s = NonNegativeFilter("min_ram", *v, &query->min_ram);
    if (!s.ok()) return s;
  }
  // Upstream passed min_disk to the database unchecked (spec §19.5).
  if (const std::string* v = get("min_disk")) {
    Status s = NonNegativeFilter("min_disk", *v, &query->min_disk);
    if (!s.ok()) return s;
  }
  if (const std::string* v = get("protected")) {
    if (!FilterBoolean(*v)) return BadFilterValue("protected", *v);
    // "none" passes upstream's API and is refused by its registry.
    query->is_protected = ParseStrictBool(*v);
    if (!query->is_protected) return Status::InvalidArgument("protected must be True, or False");
  }
  // Checked for every caller, as upstream's API does; only an admin's
  // is_public selects anything (spec §7.3).
  if (const std::string* v = get("is_public")) {
    if (!FilterBoolean(*v)) return BadFilterValue("is_public", *v);
  }
  if (const std::string* v = get("changes-since")) {
    query->changes_since = ParseIsoTimeToUtc(*v);
    if (!query->changes_since) return Status::InvalidArgument("Unrecognized changes-since value");
  }

  if (context.is_admin) {
    if (const std::string* v = get("is_public")) {
      std::string lowered = ToLower(*v);
      if (lowered == "none") {
        query->visibility = PublicSelector::kAll;
      } else if (lowered == "false" || lowered == "0") {
        query->visibility = PublicSelector::kPrivateOnly;
      }
    }
    if (const std::string* v = get("deleted")) query->deleted = BoolFromString(*v);
  }

  if (const std::string* v = get("sort_key")) {
    bool known = false;
    for (const char* key : kSortKeys) known = known || *v == key;
    if (!known) {
      return Status::InvalidArgument("Unsupported sort_key. Acceptable values: name, status, "
                                     "container_format, disk_format, size, id, created_at, "
                                     "updated_at");
    }
    query->sort[0].key = *v;
  }
  if (const std::string* v = get("sort_dir")) {
    if (*v != "asc" && *v != "desc") {
      return Status::InvalidArgument("Unsupported sort_dir. Acceptable values: asc, desc");
    }
    query->sort[0].ascending = *v == "asc";
  }

  query->limit = limits.limit_param_default;
  if (const std::string* v = get("limit")) {
    auto n = ParseInt64(*v);
    if (!n) {
      // A number too large for 64 bits is still a number: clamp it.
      bool digits = !v->empty() && v->find_first_not_of("0123456789") == std::string::npos;
      if (!digits) return Status::InvalidArgument("limit param must be an integer");
      n = limits.api_limit_max;
    }
    if (*n < 0) return Status::InvalidArgument("limit param must be positive");
    query->limit = *n;
  }
  if (query->limit > limits.api_limit_max) query->limit = limits.api_limit_max;

  if (const std::string* v = get("marker")) {
    if (!IsUuidLike(*v)) return Status::InvalidArgument("Invalid marker format");
    query->marker = ToLower(*v);
  }
  return Status::Ok();
}

}  // namespace glance
