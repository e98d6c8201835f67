// The v1 rules an image request must satisfy before anything is written
// (spec §4.1, §8, §10, §13, §14): pure functions of the request, the
// options and the image as it is, shared by create, update and the
// pre-flight, and by the API versions to come.
#ifndef GLANCE_API_IMAGE_RULES_H_
#define GLANCE_API_IMAGE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "glance/api/api_options.h"
#include "glance/api/http.h"
#include "glance/common/request_context.h"
#include "glance/common/status.h"
#include "glance/image/image.h"
#include "glance/image/image_headers.h"

namespace glance::api {

// The image's data location when it is an external http(s) source
// (x-image-meta-location) rather than a file of this store.
const ImageLocation* ExternalLocation(const Image& image);

// Known disk and container formats; for aki/ari/ami the two must match
// (one given alone is copied to the other).
Status ValidateFormats(const ApiOptions& options, ImageChanges* changes);

// The size a client declared: Content-Length of a body, else
// x-image-meta-size.
std::optional<int64_t> DeclaredSize(const HttpRequest& request, const ImageChanges& changes);
std::string SizeCapMessage(int64_t image_size_cap);

// The checks of spec §4.1 in order up to an external source (which the
// caller then resolves): formats, the declared size against the cap, the
// publicize policy, the property quota (`kept_properties` existing ones
// stay), the source policy.
Status CheckImageMeta(const ApiOptions& options, const HttpRequest& request,
                      const RequestContext& context, int64_t kept_properties, ImageMetaHeaders* meta);
// The checks after the source: a known store, and a body's content type.
Status CheckUploadTarget(const HttpRequest& request, const ImageMetaHeaders& meta);

// An image that gets data (a body or a source) needs both formats, given
// now or already set.
Status RequireFormats(const Image& image, const ImageChanges& changes);

// What an update may not do to `current` (spec §8, §9, §10.6): touch a
// deleted image, change an active image's size or checksum (non-admins),
// its status or id, upload to or set a location on a non-queued image.
Status CheckUpdateAllowed(const RequestContext& context, const Image& current,
                          const ImageMetaHeaders& meta, bool has_body);

// Existing properties an update keeps besides the ones it names.
int64_t KeptProperties(const Image& current, const ImageChanges& changes, bool purge);

// image_member_quota against the number of members after the change.
Status CheckMemberQuota(const ApiOptions& options, int64_t attempted);

}  // namespace glance::api

#endif  // GLANCE_API_IMAGE_RULES_H_
