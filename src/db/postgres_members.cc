// Image members (spec §14): who an image is shared with, and what is shared with a tenant.
#include "postgres_image_repository.h"

#include <optional>
#include <string>
#include <vector>

#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "image_rows.h"
#include "sql_exec.h"
#include "visibility.h"

namespace glance::db {

namespace {

using sql::Row;
using sql::Value;

std::vector<ImageMember> LoadMembers(DbSession& s, const std::string& id) {
  std::vector<ImageMember> members;
  auto rows = sql::Select(s,
                          "SELECT member, CAST(can_share AS text), " + DisplayTime("created_at") +
                              ", " + DisplayTime("updated_at") + ", status" +
                              " FROM image_members WHERE image_id = :p0 AND NOT deleted "
                              "ORDER BY id",
                          {id});
  for (const Row& row : rows) {
    ImageMember m;
    m.image_id = id;
    m.member = row[0].value_or("");
    m.can_share = row[1] == "true";
    m.created_at = row[2].value_or("");
    m.updated_at = row[3].value_or("");
    m.status = row[4].value_or("pending");
    members.push_back(std::move(m));
  }
  return members;
}

void UpsertMember(DbSession& s, const std::string& id, const std::string& member,
                  std::optional<bool> can_share) {
  std::vector<Value> params{id, member};
  if (can_share) {
    params.emplace_back(std::string(*can_share ? "true" : "false"));
    long long updated = sql::Execute(
        s,
        "UPDATE image_members SET can_share = CAST(:p2 AS boolean), updated_at = " +
            std::string(kNow) + " WHERE image_id = :p0 AND member = :p1 AND NOT deleted",
        params);
    if (updated > 0) return;
  } else {
    auto rows = sql::Select(
        s, "SELECT '1' FROM image_members WHERE image_id = :p0 AND member = :p1 AND NOT deleted",
        params);
    if (!rows.empty()) return;
    params.emplace_back(std::string("false"));
  }
  sql::Execute(s,
               "INSERT INTO image_members (image_id, member, can_share, created_at, updated_at) "
               "VALUES (:p0, :p1, CAST(:p2 AS boolean), " +
                   std::string(kNow) + ", " + kNow + ")",
               params);
}

long long SoftDeleteMember(DbSession& s, const std::string& id, const std::string& member) {
  return sql::Execute(s,
                      "UPDATE image_members SET deleted = true, deleted_at = " +
                          std::string(kNow) + ", updated_at = " + kNow +
                          " WHERE image_id = :p0 AND member = :p1 AND NOT deleted",
                      {id, member});
}

Status FindMember(DbSession& s, const std::string& id, const std::string& member,
                  ImageMember* found) {
  for (ImageMember& m : LoadMembers(s, id)) {
    if (m.member == member) {
      *found = std::move(m);
      return Status::Ok();
    }
  }
  return Status::NotFound("Membership could not be found.");
}

Status OnlySharedImages(const Image& image) {
  if (image.visibility == "shared") return Status::Ok();
  return Status::Forbidden("Only shared images have members.");
}

}  // namespace

Status PostgresImageRepository::ListMembers(const RequestContext& context,
                                            const std::string& image_id,
                                            std::vector<ImageMember>* members) {
  if (!IsUuidLike(image_id)) return NotFound(image_id);
  return pool_->Run([&](DbSession& s) {
    Image image;
    Status found = LoadLiveVisible(s, context, ToLower(image_id), &image);
    if (!found.ok()) return found;
    *members = LoadMembers(s, image.id);
    return Status::Ok();
  });
}

Status PostgresImageRepository::ReplaceMembers(const RequestContext& context,
                                               const std::string& image_id,
                                               const std::vector<MembershipEntry>& entries) {
  auto replace = [&](DbSession& s, const Image& image) {
    std::vector<ImageMember> existing = LoadMembers(s, image.id);
    // Later entries for the same member win, as a dict would in upstream.
    std::vector<MembershipEntry> wanted;
    for (const MembershipEntry& entry : entries) {
      bool merged = false;
      for (auto& w : wanted) {
        if (w.member == entry.member) {
          if (entry.can_share) w.can_share = entry.can_share;
          merged = true;
        }
      }
      if (!merged) wanted.push_back(entry);
    }
    for (const ImageMember& member : existing) {
      bool keep = false;
      for (const auto& w : wanted) keep = keep || w.member == member.member;
      if (!keep) SoftDeleteMember(s, image.id, member.member);
    }
    for (const auto& w : wanted) UpsertMember(s, image.id, w.member, w.can_share);
    return Status::Ok();
  };
  return WriteLocked(*pool_, context, image_id, LockSharable, replace);
}

Status PostgresImageRepository::AddMember(const RequestContext& context,
                                          const std::string& image_id, const std::string& member,
                                          std::optional<bool> can_share) {
  auto add = [&](DbSession& s, const Image& image) {
    UpsertMember(s, image.id, member, can_share);
    return Status::Ok();
  };
  return WriteLocked(*pool_, context, image_id, LockSharable, add);
}

Status PostgresImageRepository::RemoveMember(const RequestContext& context,
                                             const std::string& image_id,
                                             const std::string& member) {
  auto unshare = [&](DbSession& s, const Image& image) {
    if (SoftDeleteMember(s, image.id, member) == 0) {
      return Status::NotFound("Membership could not be found.");
    }
    return Status::Ok();
  };
  return WriteLocked(*pool_, context, image_id, LockSharable, unshare);
}

Status PostgresImageRepository::SharedImages(const RequestContext& context,
                                             const std::string& member,
                                             std::vector<ImageMember>* shared) {
  return pool_->Run([&](DbSession& s) {
    std::string text =
        "SELECT m.image_id, CAST(m.can_share AS text) FROM image_members m "
        "JOIN images i ON i.id = m.image_id "
        "WHERE m.member = :p0 AND NOT m.deleted AND NOT i.deleted";
    std::vector<Value> params{member};
    if (!context.is_admin) {
      // A tenant sees its own memberships and those of images it owns.
      if (!context.owner) {
        shared->clear();
        return Status::Ok();
      }
      text += " AND (m.member = :p1 OR i.owner = :p2)";
      params.emplace_back(*context.owner);
      params.emplace_back(*context.owner);
    }
    text += " ORDER BY m.id";
    shared->clear();
    for (const Row& row : sql::Select(s, text, params)) {
      ImageMember m;
      m.image_id = row[0].value_or("");
      m.member = member;
      m.can_share = row[1] == "true";
      shared->push_back(std::move(m));
    }
    return Status::Ok();
  });
}

Status PostgresImageRepository::CreateMember(const RequestContext& context,
                                             const std::string& image_id,
                                             const std::string& member, ImageMember* created) {
  auto add = [&](DbSession& s, const Image& image) {
    Status shared = OnlySharedImages(image);
    if (!shared.ok()) return shared;
    ImageMember existing;
    if (FindMember(s, image.id, member, &existing).ok()) {
      return Status::Conflict("Member " + member + " already has membership of image " +
                              image.id + ".");
    }
    UpsertMember(s, image.id, member, std::nullopt);
    return FindMember(s, image.id, member, created);
  };
  return WriteLocked(*pool_, context, image_id, LockOwned, add);
}

Status PostgresImageRepository::SetMemberStatus(const RequestContext& context,
                                                const std::string& image_id,
                                                const std::string& member,
                                                const std::string& status,
                                                ImageMember* updated) {
  auto answer = [&](DbSession& s, const Image& image) {
    Status shared = OnlySharedImages(image);
    if (!shared.ok()) return shared;
    ImageMember existing;
    Status found = FindMember(s, image.id, member, &existing);
    if (!found.ok()) return found;
    // Only the member answers a share: not even its owner may accept for it.
    if (!context.is_admin && context.owner != std::optional<std::string>(member)) {
      return Status::Forbidden("Only the member " + member + " may change its status.");
    }
    sql::Execute(s,
                 "UPDATE image_members SET status = :p2, updated_at = " + std::string(kNow) +
                     " WHERE image_id = :p0 AND member = :p1 AND NOT deleted",
                 {image.id, member, status});
    return FindMember(s, image.id, member, updated);
  };
  return WriteLocked(*pool_, context, image_id, LockVisible, answer);
}

}  // namespace glance::db
