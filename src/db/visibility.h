// Internal to src/db: who may see, change and share an image (spec §8.1,
// §8.3, §14.1), applied in C++ to a row loaded by id so that a caller can
// tell "invisible" (404) from "visible but not yours" (403).  Lists apply
// the same rule in SQL (list_sql.cc).
#ifndef GLANCE_SRC_DB_VISIBILITY_H_
#define GLANCE_SRC_DB_VISIBILITY_H_

#include <functional>
#include <optional>
#include <string>

#include "glance/common/request_context.h"
#include "glance/common/status.h"
#include "glance/image/image.h"
#include "session_pool.h"

namespace glance::db {

Status NotFound(const std::string& id);
Status ReadOnly();

// The image `id` (any case) if the context may see it; kNotFound
// otherwise.  `image` may be null (only the answer is wanted).
Status LoadVisible(DbSession& s, const RequestContext& context, const std::string& id,
                   Image* image);
// Visible and not deleted (members routes treat a deleted image as gone,
// even for admins).
Status LoadLiveVisible(DbSession& s, const RequestContext& context, const std::string& id,
                       Image* image);

// Whether the context sees an image already loaded, or nullopt when that
// depends on a membership only the database knows.
std::optional<bool> VisibleWithoutDatabase(const RequestContext& context, const Image& image);

// Row locks for a change, taken inside the caller's transaction; `id` is
// lower-case.  Mutable: by an admin or the owner.
Status LockMutable(DbSession& s, const RequestContext& context, const std::string& id,
                   Image* image);
// v2's locks (contract §10): not visible (or deleted) -> 404; LockOwned
// then refuses with 403 whoever sees the image but does not own it.
Status LockOwned(DbSession& s, const RequestContext& context, const std::string& id,
                 Image* image);
Status LockVisible(DbSession& s, const RequestContext& context, const std::string& id,
                   Image* image);
// Membership changes: by an admin, the owner, or a member with can_share
// (§14.1); kUnauthorized for a context without a tenant.
Status LockSharable(DbSession& s, const RequestContext& context, const std::string& id,
                    Image* image);

using RowLock = std::function<Status(DbSession&, const RequestContext&, const std::string& id,
                                     Image* locked)>;
using LockedWork = std::function<Status(DbSession&, const Image& locked)>;

// The prelude every change to one image shares.  A read-only context is
// refused and an id that is no UUID not found, before any database work;
// then, in one transaction, `lock` (LockMutable, LockSharable, or one that
// takes other locks first) locks the row and applies the change's rule,
// and `work` runs on the locked image.  Commits when `work` succeeds,
// otherwise rolls back and returns its failure.  `then`, when given, runs
// on the same session after the commit and gives the answer.
Status WriteLocked(SessionPool& pool, const RequestContext& context, const std::string& id,
                   const RowLock& lock, const LockedWork& work, const LockedWork& then = {});

}  // namespace glance::db

#endif  // GLANCE_SRC_DB_VISIBILITY_H_
