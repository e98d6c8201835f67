#include "upload_accounting.h"

namespace glance::db {

namespace {

sql::Value OwnerValue(const std::optional<std::string>& owner) {
  return owner ? sql::Value(*owner) : sql::Value();
}

}  // namespace

int64_t StorageUsage(DbSession& s, const std::optional<std::string>& owner,
                     const std::string& exclude_id) {
  auto rows = sql::Select(
      s,
      "SELECT CAST(coalesce(sum(size), 0) AS text) FROM images "
      "WHERE owner IS NOT DISTINCT FROM CAST(:p0 AS text) AND id <> :p1 AND size > 0 "
      "AND status IN ('saving', 'active', 'pending_delete')",
      {OwnerValue(owner), exclude_id});
  if (rows.empty() || !rows[0][0]) return 0;
  return std::stoll(*rows[0][0]);
}

void LockOwnerQuota(DbSession& s, const std::optional<std::string>& owner) {
  // Two keys: a fixed class for quota locks, then the owner's hash.
  sql::Select(s,
              "SELECT 'locked' FROM (SELECT pg_advisory_xact_lock(hashtext('glance-storage-quota'), "
              "hashtext(coalesce(CAST(:p0 AS text), '')))) AS held",
              {OwnerValue(owner)});
}

Status CheckStorageQuota(DbSession& s, const std::optional<std::string>& owner,
                         const std::string& id, int64_t size, int64_t limit) {
  int64_t used = StorageUsage(s, owner, id);
  if (used + size <= limit) return Status::Ok();
  int64_t remaining = limit - used;  // negative once over, as upstream says it
  return Status::TooLarge("The size of the data " + std::to_string(size) +
                          " will exceed the limit. " + std::to_string(remaining) +
                          " bytes remaining.");
}

std::vector<std::string> KillStaleUploads(DbSession& s, int64_t stale_seconds) {
  auto rows = sql::Select(
      s,
      "UPDATE images SET status = 'killed', updated_at = (now() AT TIME ZONE 'UTC') "
      "WHERE status = 'saving' AND NOT deleted "
      "AND updated_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => CAST(:p0 AS bigint)) "
      "RETURNING id",
      {std::to_string(stale_seconds)});
  std::vector<std::string> ids;
  for (const auto& row : rows) {
    if (row[0]) ids.push_back(*row[0]);
  }
  return ids;
}

}  // namespace glance::db
