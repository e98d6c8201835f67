// RegistryApi: what glance-api and glance-scrubber ask of glance-registry
// (spec §16), as an interface, so that the api's rules can be tested with
// a stand-in.  RegistryClient is the implementation that talks HTTP.
//
// Results are Status codes that map 1:1 to HTTP: the registry's own
// refusals with its message, kUnavailable when it cannot be reached.
#ifndef GLANCE_REGISTRY_REGISTRY_API_H_
#define GLANCE_REGISTRY_REGISTRY_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/request_context.h"
#include "glance/common/status.h"
#include "glance/image/image.h"

namespace glance {

// How an update applies (the registry's purge_props, from_state and
// storage_quota).
struct ImageUpdate {
  bool purge_properties = false;
  // Only while the image has this status; kConflict otherwise.
  std::optional<std::string> from_state;
  // user_storage_quota in bytes, when the update gives a saving/active
  // image its size; kTooLarge when the caller's tenant would pass it.
  std::optional<int64_t> storage_quota;
  // Only while the image's updated_at is still this one (display form);
  // kPreconditionFailed otherwise: a read-modify-write loses nothing.
  std::optional<std::string> if_updated_at;

  static ImageUpdate From(std::string status) {
    ImageUpdate u;
    u.from_state = std::move(status);
    return u;
  }
};

// Changes that only set a status.
inline ImageChanges StatusChange(std::string status) {
  ImageChanges c;
  c.status = std::move(status);
  return c;
}

class RegistryApi {
 public:
  virtual ~RegistryApi() = default;

  virtual Status GetImage(const RequestContext& context, const std::string& id, Image* image) = 0;
  // The registry's list body, {"images": [...]}, in the v1 API's shape;
  // `query_string` is passed through as given (already validated).
  virtual Status ListImagesJson(const RequestContext& context, bool detail,
                                const std::string& query_string, std::string* body) = 0;
  // The v2 list (v2 contract §4.2): `query_string` as the client sent it;
  // `images_array` is the JSON array of v2 image objects, `next_marker`
  // the last id when the page came back full.
  virtual Status ListImagesV2(const RequestContext& context, const std::string& query_string,
                              std::string* images_array,
                              std::optional<std::string>* next_marker) = 0;
  virtual Status CreateImage(const RequestContext& context, const ImageChanges& image,
                             Image* created) = 0;
  virtual Status UpdateImage(const RequestContext& context, const std::string& id,
                             const ImageChanges& changes, const ImageUpdate& how,
                             Image* updated) = 0;
  virtual Status DeleteImage(const RequestContext& context, const std::string& id,
                             Image* deleted) = 0;
  // Bytes the context's tenant holds or has reserved (user_storage_quota).
  virtual Status StorageUsage(const RequestContext& context, int64_t* bytes) = 0;
  // Kills the uploads that gave no sign of life for stale_seconds (admin).
  virtual Status KillStaleUploads(const RequestContext& context, int64_t stale_seconds,
                                  std::vector<std::string>* killed) = 0;

  virtual Status ListMembers(const RequestContext& context, const std::string& id,
                             std::vector<ImageMember>* members) = 0;
  virtual Status ReplaceMembers(const RequestContext& context, const std::string& id,
                                const std::vector<MembershipEntry>& entries) = 0;
  virtual Status AddMember(const RequestContext& context, const std::string& id,
                           const std::string& member, std::optional<bool> can_share) = 0;
  virtual Status RemoveMember(const RequestContext& context, const std::string& id,
                              const std::string& member) = 0;
  virtual Status SharedImages(const RequestContext& context, const std::string& member,
                              std::vector<ImageMember>* shared) = 0;
  // v2 members (see ImageRepository::CreateMember, SetMemberStatus).
  virtual Status CreateMember(const RequestContext& context, const std::string& id,
                              const std::string& member, ImageMember* created) = 0;
  virtual Status SetMemberStatus(const RequestContext& context, const std::string& id,
                                 const std::string& member, const std::string& status,
                                 ImageMember* updated) = 0;
};

}  // namespace glance

#endif  // GLANCE_REGISTRY_REGISTRY_API_H_
