// Internal to src/db: ImageRepository on PostgreSQL through SOCI.  The
// image reads are in postgres_image_reads.cc, the image writes in
// postgres_image_repository.cc, the members in postgres_members.cc; all
// build on image_rows.h and visibility.h.
#ifndef GLANCE_SRC_DB_POSTGRES_IMAGE_REPOSITORY_H_
#define GLANCE_SRC_DB_POSTGRES_IMAGE_REPOSITORY_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "glance/common/fresh_read.h"
#include "glance/db/image_repository.h"
#include "metadata_cache.h"
#include "session_pool.h"

namespace glance::db {

class PostgresImageRepository : public ImageRepository {
 public:
  // `replica` (may be null): see DatabaseOptions::slave_connection.
  // `cache` (may be null): see MetadataCache.
  PostgresImageRepository(std::unique_ptr<SessionPool> pool, std::unique_ptr<SessionPool> replica,
                          std::unique_ptr<MetadataCache> cache)
      : pool_(std::move(pool)), replica_(std::move(replica)), cache_(std::move(cache)) {}

  Status Get(const RequestContext& context, const std::string& id, Image* image) override;
  Status ListJson(const RequestContext& context, const ListQuery& query, ListShape shape,
                  std::string* json_array, ListTail* tail) override;
  Status Create(const RequestContext& context, const ImageChanges& changes,
                Image* image) override;
  Status Update(const RequestContext& context, const std::string& id,
                const ImageChanges& changes, bool purge_properties,
                const std::optional<std::string>& from_state, std::optional<int64_t> storage_quota,
                const std::optional<std::string>& if_updated_at, Image* image) override;
  Status Delete(const RequestContext& context, const std::string& id, Image* image) override;
  Status StorageUsage(const RequestContext& context, int64_t* bytes) override;
  Status KillStaleUploads(const RequestContext& context, int64_t stale_seconds,
                          std::vector<std::string>* ids) override;
  Status MetadataEpoch(int64_t* epoch) override;

  Status ListMembers(const RequestContext& context, const std::string& image_id,
                     std::vector<ImageMember>* members) override;
  Status ReplaceMembers(const RequestContext& context, const std::string& image_id,
                        const std::vector<MembershipEntry>& entries) override;
  Status AddMember(const RequestContext& context, const std::string& image_id,
                   const std::string& member, std::optional<bool> can_share) override;
  Status RemoveMember(const RequestContext& context, const std::string& image_id,
                      const std::string& member) override;
  Status SharedImages(const RequestContext& context, const std::string& member,
                      std::vector<ImageMember>* shared) override;
  Status CreateMember(const RequestContext& context, const std::string& image_id,
                      const std::string& member, ImageMember* created) override;
  Status SetMemberStatus(const RequestContext& context, const std::string& image_id,
                         const std::string& member, const std::string& status,
                         ImageMember* updated) override;

 private:
  // The epoch for the cache, or nullopt when there is no cache or the
  // epoch could not be read (the request then goes to the database).
  std::optional<int64_t> CacheEpoch();
  Status ListUncached(const RequestContext& context, const ListQuery& query, ListShape shape,
                      std::string* json_array, ListTail* tail);
  Status ListOn(DbSession& s, const RequestContext& context, const ListQuery& query,
                ListShape shape, std::string* json_array, ListTail* tail);

  std::unique_ptr<SessionPool> pool_;
  std::unique_ptr<SessionPool> replica_;
  std::unique_ptr<MetadataCache> cache_;
  FreshRead epoch_;
};

}  // namespace glance::db

#endif  // GLANCE_SRC_DB_POSTGRES_IMAGE_REPOSITORY_H_
