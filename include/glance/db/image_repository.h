// ImageRepository: every read and write of image metadata, with Glance's
// visibility and ownership rules applied (spec §7, §8, §14).
//
// Results are Status codes the registry maps 1:1 to HTTP: kNotFound for an
// image the context may not see, kForbidden for one it sees but may not
// change (public images), kConflict for from_state races and duplicate ids,
// kUnavailable while the database cannot be reached.  Implementations are
// thread-safe: one repository serves every request thread.
#ifndef GLANCE_DB_IMAGE_REPOSITORY_H_
#define GLANCE_DB_IMAGE_REPOSITORY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/request_context.h"
#include "glance/common/status.h"
#include "glance/image/image.h"
#include "glance/image/list_query.h"

namespace glance {

// What each entry of a list holds.
enum class ListShape {
  kIndex,                   // id, name, size, disk_format, container_format, checksum
  kDetail,                  // the registry image dict (spec §16)
  kDetailWithoutLocations,  // the v1 API's detail entry (spec §4.2)
  kV2,                      // the v2 API's image object (v2 contract §2)
};

// What a list's caller needs beyond its entries: how many came back and the
// last one's id (v2's `next` link).
struct ListTail {
  int64_t count = 0;
  std::string last_id;
};

class ImageRepository {
 public:
  virtual ~ImageRepository() = default;

  virtual Status Get(const RequestContext& context, const std::string& id, Image* image) = 0;
  // The JSON array of a list, built by the database itself (no per-image
  // objects on the way).  Fails with kInvalidArgument "Invalid marker..."
  // when the marker is not an image the context can see.
  // `tail` may be null.
  virtual Status ListJson(const RequestContext& context, const ListQuery& query,
                          ListShape shape, std::string* json_array, ListTail* tail) = 0;
  // `changes` must carry a status; the id is generated when absent.
  virtual Status Create(const RequestContext& context, const ImageChanges& changes,
                        Image* image) = 0;
  // purge_properties: the given properties become the whole set.
  // from_state: the update applies only while the image has that status.
  // storage_quota: when set and the update gives the image a size while it
  // is or becomes `saving` or `active`, the caller's tenant may hold at
  // most that many bytes with it (user_storage_quota), decided atomically
  // against concurrent updates; kTooLarge otherwise, and nothing changes.
  // if_updated_at: the update applies only while the image's updated_at
  // (display form) is still that one, else kPreconditionFailed: a
  // read-modify-write (v2's JSON patch, tags) cannot lose a concurrent one.
  virtual Status Update(const RequestContext& context, const std::string& id,
                        const ImageChanges& changes, bool purge_properties,
                        const std::optional<std::string>& from_state,
                        std::optional<int64_t> storage_quota,
                        const std::optional<std::string>& if_updated_at, Image* image) = 0;
  // Soft delete of the image and its properties, members and locations.
  virtual Status Delete(const RequestContext& context, const std::string& id, Image* image) = 0;

  // Bytes the caller's tenant holds or has reserved (see storage_quota).
  virtual Status StorageUsage(const RequestContext& context, int64_t* bytes) = 0;
  // Admin only: kills the `saving` images whose upload gave no sign of life
  // for stale_seconds and returns their ids (see the registry's
  // /maintenance/stale-uploads).
  virtual Status KillStaleUploads(const RequestContext& context, int64_t stale_seconds,
                                  std::vector<std::string>* ids) = 0;
  // The metadata epoch (sql/005_metadata_epoch.sql) as a read that began
  // after this call began saw it: it changes with every committed write.
  virtual Status MetadataEpoch(int64_t* epoch) = 0;

  virtual Status ListMembers(const RequestContext& context, const std::string& image_id,
                             std::vector<ImageMember>* members) = 0;
  virtual Status ReplaceMembers(const RequestContext& context, const std::string& image_id,
                                const std::vector<MembershipEntry>& entries) = 0;
  virtual Status AddMember(const RequestContext& context, const std::string& image_id,
                           const std::string& member, std::optional<bool> can_share) = 0;
  virtual Status RemoveMember(const RequestContext& context, const std::string& image_id,
                              const std::string& member) = 0;
  // v2 (contract §8): a new member of a shared image, `pending`; only the
  // owner or an admin (kForbidden for others who see the image),
  // kConflict when it is one already, kForbidden unless the image is shared.
  virtual Status CreateMember(const RequestContext& context, const std::string& image_id,
                              const std::string& member, ImageMember* created) = 0;
  // v2: the member's answer; only that member or an admin may give it.
  virtual Status SetMemberStatus(const RequestContext& context, const std::string& image_id,
                                 const std::string& member, const std::string& status,
                                 ImageMember* updated) = 0;
  virtual Status SharedImages(const RequestContext& context, const std::string& member,
                              std::vector<ImageMember>* shared) = 0;
};

struct DatabaseOptions {
  std::string connection;  // [database] connection: postgresql://...
  // [database] slave_connection: a streaming replica that list queries go
  // to while it has replayed every write acknowledged before the list began
  // (else they stay on the primary); empty: none.
  std::string slave_connection;
  int pool_size = 10;      // [database] max_pool_size
  int pool_timeout_seconds = 30;
  int statement_timeout_ms = 30000;
  // [database] metadata_cache_entries: images (and as many list pages) the
  // registry keeps between writes (src/db/metadata_cache.h); 0: no cache.
  int metadata_cache_entries = 10000;
};

// Fails with kInvalidArgument for a connection URL that is not PostgreSQL.
// Connects lazily: the repository is usable before the database is up.
Status OpenPostgresImageRepository(const DatabaseOptions& options,
                                   std::unique_ptr<ImageRepository>* repository);

}  // namespace glance

#endif  // GLANCE_DB_IMAGE_REPOSITORY_H_
