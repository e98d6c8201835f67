// Visibility rules and the loads, row locks and locked writes that apply them.
#include "visibility.h"

#include <soci/soci.h>

#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "image_rows.h"

namespace glance::db {

namespace {

bool IsMutable(const RequestContext& context, const Image& image) {
  if (context.is_admin) return true;
  return context.owner && image.owner && *context.owner == *image.owner;
}

// spec §8.1 with v2's four visibilities (v2 contract §10), for a row
// already loaded without a visibility filter: public and community images
// and those without an owner are everybody's; shared ones their owner's and
// members' (whatever the member's status); private ones their owner's.
bool IsVisible(const RequestContext& context, const Image& image, bool member) {
  if (context.is_admin) return true;
  if (image.deleted) return false;
  if (!image.owner || image.IsPublic() || image.visibility == "community") return true;
  if (context.owner && *context.owner == *image.owner) return true;
  return image.visibility == "shared" && member;
}

bool IsMember(DbSession& s, const std::string& id, const std::optional<std::string>& owner,
              bool* can_share = nullptr) {
  if (!owner) return false;
  auto rows = sql::Select(s,
                          "SELECT CAST(can_share AS text) FROM image_members "
                          "WHERE image_id = :p0 AND member = :p1 AND NOT deleted",
                          {id, *owner});
  if (rows.empty()) return false;
  if (can_share) *can_share = rows[0][0] == "true";
  return true;
}

// Loads an image by id with the visibility rule applied in C++ (so the
// caller can tell "invisible" from "visible but not mutable").
Status LoadRow(DbSession& s, const std::string& id, bool for_update, Image* image) {
  auto rows = sql::Select(s,
                          "SELECT " + ImageColumns() + " FROM images i WHERE i.id = :p0" +
                              (for_update ? " FOR UPDATE" : ""),
                          {id});
  if (rows.empty()) return NotFound(id);
  *image = ParseImage(rows[0]);
  return Status::Ok();
}

// spec §8.1; the membership query runs only when the answer depends on it
// (a private image of another owner, asked by a non-admin).
bool MembershipDecides(const RequestContext& context, const Image& image) {
  return !context.is_admin && !image.deleted && image.visibility == "shared" && image.owner &&
         image.owner != context.owner && context.owner;
}

bool VisibleTo(DbSession& s, const RequestContext& context, const Image& image) {
  return IsVisible(context, image,
                   MembershipDecides(context, image) && IsMember(s, image.id, context.owner));
}

}  // namespace

std::optional<bool> VisibleWithoutDatabase(const RequestContext& context, const Image& image) {
  if (MembershipDecides(context, image)) return std::nullopt;
  return IsVisible(context, image, false);
}

Status NotFound(const std::string& id) {
  return Status::NotFound("No image found with ID " + id);
}

Status ReadOnly() { return Status::Forbidden("Read-only access"); }

Status LoadVisible(DbSession& s, const RequestContext& context, const std::string& id,
                   Image* image) {
  Image loaded;
  Status found = LoadRow(s, ToLower(id), false, &loaded);
  if (!found.ok()) return found;
  if (!VisibleTo(s, context, loaded)) return NotFound(id);
  if (image) *image = std::move(loaded);
  return Status::Ok();
}

Status LoadLiveVisible(DbSession& s, const RequestContext& context, const std::string& id,
                       Image* image) {
  Status found = LoadVisible(s, context, id, image);
  if (found.ok() && image->deleted) return NotFound(id);
  return found;
}

// Locks the row; not visible → 404, visible but not mutable → 403 for a
// public image and 404 otherwise (spec §8.3).
Status LockMutable(DbSession& s, const RequestContext& context, const std::string& id,
                   Image* image) {
  Status found = LoadRow(s, id, true, image);
  if (!found.ok()) return found;
  if (!VisibleTo(s, context, *image)) return NotFound(id);
  if (!IsMutable(context, *image)) {
    if (image->IsPublic() || image->visibility == "community") {
      return Status::Forbidden("You are not permitted to modify this image.");
    }
    return NotFound(id);
  }
  return Status::Ok();
}

Status LockOwned(DbSession& s, const RequestContext& context, const std::string& id,
                 Image* image) {
  Status found = LoadRow(s, id, true, image);
  if (!found.ok()) return found;
  if (image->deleted || !VisibleTo(s, context, *image)) return NotFound(id);
  if (!IsMutable(context, *image)) {
    return Status::Forbidden("You are not permitted to modify image " + image->id + ".");
  }
  return Status::Ok();
}

Status LockVisible(DbSession& s, const RequestContext& context, const std::string& id,
                   Image* image) {
  Status found = LoadRow(s, id, true, image);
  if (!found.ok()) return found;
  if (image->deleted || !VisibleTo(s, context, *image)) return NotFound(id);
  return Status::Ok();
}

Status LockSharable(DbSession& s, const RequestContext& context, const std::string& id,
                    Image* image) {
  if (!context.is_admin && !context.owner) return Status::Unauthorized("No authenticated user");
  Status found = LoadRow(s, id, true, image);
  if (!found.ok()) return found;
  bool can_share = false;
  bool member = IsMember(s, image->id, context.owner, &can_share);
  if (!IsVisible(context, *image, member) || image->deleted) return NotFound(id);
  if (context.is_admin || (image->owner && context.owner && *image->owner == *context.owner) ||
      (member && can_share)) {
    return Status::Ok();
  }
  return Status::Forbidden("You are not permitted to share this image.");
}

Status WriteLocked(SessionPool& pool, const RequestContext& context, const std::string& id,
                   const RowLock& lock, const LockedWork& work, const LockedWork& then) {
  if (context.read_only) return ReadOnly();
  if (!IsUuidLike(id)) return NotFound(id);
  return pool.RunWrite([&](DbSession& s) {
    Image locked;
    {
      soci::transaction tx(s.sql);
      Status done = lock(s, context, ToLower(id), &locked);
      if (done.ok()) done = work(s, locked);
      if (!done.ok()) return done;  // the transaction rolls back
      tx.commit();
    }
    return then ? then(s, locked) : Status::Ok();
  });
}

}  // namespace glance::db
