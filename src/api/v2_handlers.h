// Internal to src/api: the v2 handlers (v2 contract §3-§9).  Thin: the
// rules are the v2 codec's (glance/image/image_v2.h, v2_request.h), the
// data path UploadFlow's and ServeImageData's, the visibility rules the
// registry's; these functions put them in upstream's order.
#ifndef GLANCE_SRC_API_V2_HANDLERS_H_
#define GLANCE_SRC_API_V2_HANDLERS_H_

#include <functional>

#include "v1_handlers.h"

namespace glance::api::v2 {

// Images (v2_image_handlers.cc).
Status ListImages(const ApiServices& api, ApiCall& call);
Status CreateImage(const ApiServices& api, ApiCall& call);
Status ShowImage(const ApiServices& api, ApiCall& call);
Status PatchImage(const ApiServices& api, ApiCall& call);
Status DeleteImage(const ApiServices& api, ApiCall& call);
Status ShowSchema(const ApiServices& api, ApiCall& call);

// Image data (v2_data_handlers.cc).
Status UploadData(const ApiServices& api, ApiCall& call);
Status DownloadData(const ApiServices& api, ApiCall& call);

// Tags and members (v2_member_handlers.cc).
Status AddTag(const ApiServices& api, ApiCall& call);
Status RemoveTag(const ApiServices& api, ApiCall& call);
Status ListMembers(const ApiServices& api, ApiCall& call);
Status CreateMember(const ApiServices& api, ApiCall& call);
Status ShowMember(const ApiServices& api, ApiCall& call);
Status UpdateMember(const ApiServices& api, ApiCall& call);
Status DeleteMember(const ApiServices& api, ApiCall& call);

// Shared by the handlers above.
// The image of the path's {id}: 404 for an id that cannot exist, an image
// the caller may not see, or a deleted one.
Status GetLiveImage(const ApiServices& api, const ApiCall& call, Image* image);
// 403 for a caller who sees the image but may not change it (contract §10).
Status RequireOwner(const ApiCall& call, const Image& image);
// Answers with the image object.
void ReplyImage(ApiCall& call, int status, const Image& image);
// A read-modify-write of image `id`: `change` computes the changes from
// the current image; they apply only if nobody changed it meanwhile, else
// the whole is done again (a few times) on the newer image.
using ImageChangeFn = std::function<Status(const Image& current, ImageChanges* changes,
                                           bool* purge_properties)>;
Status ChangeImage(const ApiServices& api, const ApiCall& call, const Image& current,
                   const ImageChangeFn& change, Image* updated);

}  // namespace glance::api::v2

#endif  // GLANCE_SRC_API_V2_HANDLERS_H_
