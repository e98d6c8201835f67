// ListQuery: the filters, sort and page of an image list request (spec §7),
// parsed and validated from its query parameters.  The registry turns it
// into SQL; the API forwards the same parameters.
#ifndef GLANCE_IMAGE_LIST_QUERY_H_
#define GLANCE_IMAGE_LIST_QUERY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/request_context.h"
#include "glance/common/status.h"

namespace glance {

inline constexpr const char* kSortKeys[] = {"name", "status", "container_format", "disk_format",
                                            "size", "id", "created_at", "updated_at"};

// At most this many distinct property-<key> filters in one list request;
// more is a 400 "Too many property filters: at most 256".  (An image holds
// at most image_property_quota properties, 128 by default, so no image could
// match more anyway.)
inline constexpr size_t kMaxPropertyFilters = 256;

enum class PublicSelector {
  kVisibleToOwner,  // public + own + shared with the owner (non-admins, and
                    // admins without is_public or with is_public=true)
  kAll,             // admin, is_public=none
  kPrivateOnly,     // admin, is_public=false: every non-public image
};

// One key of a list's order.
struct SortKey {
  std::string key;  // one of kSortKeys
  bool ascending = false;
  bool operator==(const SortKey&) const = default;
};

struct ListQuery {
  // Exact-match text filters: name, status, container_format, disk_format.
  std::map<std::string, std::string> equals;
  std::optional<int64_t> size_min;
  std::optional<int64_t> size_max;
  std::optional<int64_t> min_ram;
  std::optional<int64_t> min_disk;
  std::optional<bool> is_protected;
  std::optional<std::string> changes_since;  // UTC, database form
  std::optional<bool> deleted;               // admin-only filter
  std::map<std::string, std::string> properties;
  PublicSelector visibility = PublicSelector::kVisibleToOwner;

  // The keys the client asked for, in order (v1: always one).  The full
  // order adds tie-breakers: see OrderKeys.
  std::vector<SortKey> sort{{"created_at", false}};
  int64_t limit = 25;
  std::optional<std::string> marker;

  // Deleted and killed images are listed only with changes-since or an
  // explicit admin `deleted` filter.
  bool ShowsDeleted() const { return changes_since.has_value() || deleted.has_value(); }
};

// The full order of a list: the asked keys (a repeated key adds nothing),
// then created_at and id in the first key's direction (spec §7.2), and
// nothing after id, which is unique: v1's one key k gives (k, created_at,
// id), (created_at, id) or (id).
std::vector<SortKey> OrderKeys(const std::vector<SortKey>& sort);

struct ListLimits {
  int64_t limit_param_default = 25;
  int64_t api_limit_max = 1000;
};

// Query parameters in arrival order (duplicates kept; the last one wins as
// in WebOb's `params.get`).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

Status ParseListQuery(const QueryParams& params, const RequestContext& context,
                      const ListLimits& limits, ListQuery* query);

// Splits a raw query string ("a=1&b=%20x") into decoded pairs; fails on a
// malformed %-escape.
Status ParseQueryString(const std::string& raw, QueryParams* params);

}  // namespace glance

#endif  // GLANCE_IMAGE_LIST_QUERY_H_
