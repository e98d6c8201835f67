// ListQuery: the filters, sort and page of an image list request (v1 spec
// §7, v2 contract §4.2), parsed and validated from its query parameters.
// The registry turns it into SQL; the API forwards the same parameters.
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

// Which contract's visibility rules a list follows.
enum class ListApi { kV1, kV2 };

// v2's `visibility=` (contract §4.2); kDefault when none was given.
enum class VisibilitySelector { kDefault, kPublic, kPrivate, kShared, kCommunity, kAll };

// v2's `member_status=`: which images shared with a non-admin caller it
// lists (kAll: whatever the caller answered).
enum class MemberStatus { kAccepted, kPending, kRejected, kAll };

// One key of a list's order.
struct SortKey {
  std::string key;  // one of kSortKeys
  bool ascending = false;
  bool operator==(const SortKey&) const = default;
};

enum class CompareOp { kEq, kNeq, kGt, kGte, kLt, kLte };

// v2's created_at / updated_at filters ("gt:2026-01-01T00:00:00Z").  They
// compare the time as v2 shows it, to the second: `eq:` with the shown
// value matches although the stored time has microseconds (list_sql.cc).
struct TimeFilter {
  std::string column;  // created_at or updated_at
  CompareOp op = CompareOp::kEq;
  std::string utc;     // the threshold in UTC, database form
  bool operator==(const TimeFilter&) const = default;
};

struct ListQuery {
  ListApi api = ListApi::kV1;

  // Exact-match text filters: name, status, container_format, disk_format
  // (v1 and v2); v2 also id, checksum, os_hash_algo, os_hash_value, owner.
  std::map<std::string, std::string> equals;
  // v2 `in:a,b,...` filters on name, id, status, container_format or
  // disk_format: the column is one of the values (none: nothing matches).
  std::map<std::string, std::vector<std::string>> in_lists;
  std::optional<int64_t> size_min;
  std::optional<int64_t> size_max;
  std::optional<int64_t> min_ram;
  std::optional<int64_t> min_disk;
  // v2 exact integer filters: size, virtual_size.
  std::map<std::string, int64_t> int_equals;
  std::optional<bool> is_protected;
  std::optional<bool> os_hidden;             // v2; its parser defaults it to false
  std::vector<TimeFilter> time_filters;      // v2; at most one per column
  std::vector<std::string> tags;             // v2; every one must match
  std::optional<std::string> changes_since;  // UTC, database form
  std::optional<bool> deleted;               // admin-only filter
  std::map<std::string, std::string> properties;
  PublicSelector visibility = PublicSelector::kVisibleToOwner;     // v1
  VisibilitySelector v2_visibility = VisibilitySelector::kDefault;  // v2
  MemberStatus member_status = MemberStatus::kAccepted;             // v2

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
// then created_at and id in the first key's direction (v1 spec §7.2, v2
// contract §4.2), and nothing after id, which is unique: v1's one key k
// gives (k, created_at, id), (created_at, id) or (id).
std::vector<SortKey> OrderKeys(const std::vector<SortKey>& sort);

// At most this many values in one v2 `in:` filter and this many `tag`
// filters: every one is a bound parameter, and PostgreSQL takes at most
// 65535 per statement.
inline constexpr size_t kMaxInValues = 1000;
inline constexpr size_t kMaxTagFilters = 256;

struct ListLimits {
  int64_t limit_param_default = 25;
  int64_t api_limit_max = 1000;
};

// Query parameters in arrival order (duplicates kept; the last one wins as
// in WebOb's `params.get`).
using QueryParams = std::vector<std::pair<std::string, std::string>>;

Status ParseListQuery(const QueryParams& params, const RequestContext& context,
                      const ListLimits& limits, ListQuery* query);

// GET /v2/images (v2 contract §4.2; src/image/list_query_v2.cc): every bad
// parameter is kInvalidArgument (400) with the reason.  A parameter given
// twice counts once, the last one (tag, sort_key and sort_dir excepted).
Status ParseV2ListQuery(const QueryParams& params, const RequestContext& context,
                        const ListLimits& limits, ListQuery* query);

// The `first` (no marker) and `next` links of a v2 list:
// "/v2/images?<every parameter but marker, URL-encoded, in arrival
// order>&marker=<id>", "/v2/images" when nothing is left.
std::string V2ListLink(const QueryParams& params, const std::optional<std::string>& marker);

// Splits a raw query string ("a=1&b=%20x") into decoded pairs; fails on a
// malformed %-escape.
Status ParseQueryString(const std::string& raw, QueryParams* params);

}  // namespace glance

#endif  // GLANCE_IMAGE_LIST_QUERY_H_
