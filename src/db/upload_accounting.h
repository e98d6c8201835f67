// Internal to src/db: the storage quota and the recovery of interrupted
// uploads, in SQL.  Both are decided by the database alone so that any
// number of api hosts and registries agree on them.
#ifndef GLANCE_SRC_DB_UPLOAD_ACCOUNTING_H_
#define GLANCE_SRC_DB_UPLOAD_ACCOUNTING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/status.h"
#include "sql_exec.h"

namespace glance::db {

// Bytes the owner's images hold or have reserved: every image of that
// owner (NULL included, as upstream) that is `saving` (an upload in
// progress has reserved its size), `active` or `pending_delete` (its data
// is still stored), except `exclude_id`.
int64_t StorageUsage(DbSession& s, const std::optional<std::string>& owner,
                     const std::string& exclude_id);

// Serialises every quota decision for one owner until the transaction
// ends, so that concurrent uploads cannot each see the others' bytes as
// free.  Call inside a transaction, before any row lock.
void LockOwnerQuota(DbSession& s, const std::optional<std::string>& owner);

// kTooLarge with upstream's StorageQuotaFull text when `size` more bytes
// for image `id` would take the owner past `limit`.
Status CheckStorageQuota(DbSession& s, const std::optional<std::string>& owner,
                         const std::string& id, int64_t size, int64_t limit);

// Marks killed every `saving` image whose upload has not shown a sign of
// life (its row's updated_at) for `stale_seconds`, by the database's
// clock; returns their ids.  One statement: two sweepers never both claim
// an image.
std::vector<std::string> KillStaleUploads(DbSession& s, int64_t stale_seconds);

}  // namespace glance::db

#endif  // GLANCE_SRC_DB_UPLOAD_ACCOUNTING_H_
