// RegistryClient: glance-api's client of glance-registry (spec §16), the
// HTTP implementation of RegistryApi.
//
// Each calling thread keeps its own keep-alive HTTP connection, so the
// client is safe to share between threads without locks.  The request
// context travels as identity headers (the registry runs trusted-auth) and
// the request id is passed on.  Registry errors come back as the Status
// with the registry's message; a registry that cannot be reached gives
// kUnavailable.
#ifndef GLANCE_REGISTRY_REGISTRY_CLIENT_H_
#define GLANCE_REGISTRY_REGISTRY_CLIENT_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glance/common/config.h"
#include "glance/common/request_context.h"
#include "glance/common/status.h"
#include "glance/image/image.h"
#include "glance/registry/registry_api.h"

namespace glance {

struct RegistryClientOptions {
  // registry_host may list several registries ("10.0.0.4, 10.0.0.5"), each
  // on registry_port: a request that cannot connect to one goes to the next,
  // and a thread keeps using the one that answered.  Only a request that
  // never reached a registry moves: one that may have been applied is not
  // sent twice.
  std::vector<std::string> hosts{"127.0.0.1"};
  int port = 9191;
  // When set, the registry's unix socket is used instead of host:port.
  std::string unix_socket;
  int timeout_seconds = 60;
  int connect_timeout_seconds = 5;  // registry_connect_timeout
  std::string admin_role = "admin";
  // Sent as X-Glance-Registry-Secret when set (RegistryOptions::shared_secret).
  std::string shared_secret;

  // registry_host, registry_port, registry_socket, registry_client_timeout,
  // registry_connect_timeout and admin_role from glance-api.conf's [DEFAULT].
  static RegistryClientOptions FromConfig(const Config& config);
};

inline constexpr const char* kRegistrySecretHeader = "X-Glance-Registry-Secret";

class RegistryClient : public RegistryApi {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RegistryClient(RegistryClientOptions options);

  // The registry's metadata epoch (GET /metadata-epoch): it changes with
  // every committed write (src/api/image_read_cache.h).
  Status MetadataEpoch(const RequestContext& context, int64_t* epoch);
  // When the calling thread last sent the registry a change that a cached
  // image could miss (anything but a create: a new image is in no cache),
  // whatever the answer was; nullopt when it has not since the last call.
  static std::optional<Clock::time_point> TakeLastChange();

  Status GetImage(const RequestContext& context, const std::string& id, Image* image) override;
  Status ListImagesJson(const RequestContext& context, bool detail, const std::string& query_string,
                        std::string* body) override;
  Status ListImagesV2(const RequestContext& context, const std::string& query_string,
                      std::string* images_array, std::optional<std::string>* next_marker) override;
  Status CreateImage(const RequestContext& context, const ImageChanges& image,
                     Image* created) override;
  Status UpdateImage(const RequestContext& context, const std::string& id,
                     const ImageChanges& changes, const ImageUpdate& how, Image* updated) override;
  Status DeleteImage(const RequestContext& context, const std::string& id, Image* deleted) override;
  Status StorageUsage(const RequestContext& context, int64_t* bytes) override;
  Status KillStaleUploads(const RequestContext& context, int64_t stale_seconds,
                          std::vector<std::string>* killed) override;

  Status ListMembers(const RequestContext& context, const std::string& id,
                     std::vector<ImageMember>* members) override;
  Status ReplaceMembers(const RequestContext& context, const std::string& id,
                        const std::vector<MembershipEntry>& entries) override;
  Status AddMember(const RequestContext& context, const std::string& id, const std::string& member,
                   std::optional<bool> can_share) override;
  Status RemoveMember(const RequestContext& context, const std::string& id,
                      const std::string& member) override;
  Status SharedImages(const RequestContext& context, const std::string& member,
                      std::vector<ImageMember>* shared) override;
  Status CreateMember(const RequestContext& context, const std::string& id,
                      const std::string& member, ImageMember* created) override;
  Status SetMemberStatus(const RequestContext& context, const std::string& id,
                         const std::string& member, const std::string& status,
                         ImageMember* updated) override;

 private:
  struct Reply {
    bool parse = true;  // false: leave the body in `raw`
    int status = 0;
    nlohmann::json body;
    std::string raw;
  };
  Status Call(const RequestContext& context, const std::string& method, const std::string& path,
              const std::optional<nlohmann::json>& body, const std::vector<std::pair<std::string, std::string>>& extra_headers,
              Reply* reply);
  // GET `path`, whose answer is an object with the integer `key` (`what`
  // names it in the error for any other answer).
  Status GetInteger(const RequestContext& context, const std::string& path,
                    const std::string& key, const std::string& what, int64_t* value);

  RegistryClientOptions options_;
};

}  // namespace glance

#endif  // GLANCE_REGISTRY_REGISTRY_CLIENT_H_
