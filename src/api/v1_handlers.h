// Internal to src/api: the v1 handlers and what they share.  The
// controller routes; each handler reads one ApiCall and answers it through
// the collaborators in ApiServices (interfaces where a test stands in).
#ifndef GLANCE_SRC_API_V1_HANDLERS_H_
#define GLANCE_SRC_API_V1_HANDLERS_H_

#include <nlohmann/json.hpp>
#include <string>

#include "glance/api/api_options.h"
#include "glance/api/external_source.h"
#include "glance/api/http.h"
#include "glance/api/upload_flow.h"
#include "glance/common/request_context.h"
#include "glance/common/router.h"
#include "glance/registry/registry_api.h"
#include "glance/store/store.h"

namespace glance::api {

class ImageReadCache;

struct ApiCall {
  const HttpRequest& request;
  RequestContext context;
  PathParams params;
  HttpResponse* response;
  std::string allow;  // for 405 answers
};

struct ApiServices {
  const ApiOptions& options;
  RegistryApi& registry;
  const Store& store;
  const ExternalSources& sources;
  UploadFlow& uploads;
  // GET and HEAD requests read images through it when set
  // (image_read_cache.h); null in unit tests.
  ImageReadCache* read_cache = nullptr;
};

// The image `lower_id` as the registry shows it to the call's context,
// through the read cache for GET and HEAD requests.
Status ReadImage(const ApiServices& api, const ApiCall& call, const std::string& lower_id,
                 Image* image);

using V1Handler = Status (*)(const ApiServices&, ApiCall&);

// The public base URL for links (public_endpoint, else the request's).
std::string BaseUrl(const ApiOptions& options, const HttpRequest& request);
void SetJson(HttpResponse* response, int status, const nlohmann::json& body);

// Images (image_handlers.cc, image_write_handlers.cc).
Status ListIndex(const ApiServices& v1, ApiCall& call);
Status ListDetail(const ApiServices& v1, ApiCall& call);
Status ShowMeta(const ApiServices& v1, ApiCall& call);
Status Download(const ApiServices& v1, ApiCall& call);
Status CreateImage(const ApiServices& v1, ApiCall& call);
Status UpdateImage(const ApiServices& v1, ApiCall& call);
Status DeleteImage(const ApiServices& v1, ApiCall& call);

// Members (member_handlers.cc).
Status ListMembers(const ApiServices& v1, ApiCall& call);
Status ReplaceMembers(const ApiServices& v1, ApiCall& call);
Status AddMember(const ApiServices& v1, ApiCall& call);
Status RemoveMember(const ApiServices& v1, ApiCall& call);
Status SharedImages(const ApiServices& v1, ApiCall& call);

// Shared by the image handlers.
Status GetVisible(const ApiServices& v1, ApiCall& call, Image* image);
// The data of an active image with data, answered by nginx: from the store
// (X-Accel-Redirect) or proxied from its external location.  `packed` are
// the headers nginx puts back on the answer ([name, value] pairs).
Status ServeImageData(const ApiServices& v1, ApiCall& call, const Image& image,
                      nlohmann::json packed);
// Deletes a visible, unprotected image and its data (or leaves the data to
// the scrubber with delayed_delete).
Status RemoveImage(const ApiServices& v1, const ApiCall& call, const Image& image);
// The pre-flight's own checks of an upload (free space, quota).
Status PreflightUpload(const ApiServices& v1, const ApiCall& call, const ImageChanges& changes);

}  // namespace glance::api

#endif  // GLANCE_SRC_API_V1_HANDLERS_H_
