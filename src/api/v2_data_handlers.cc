// v2 image data (v2 contract §6): upload and download.  As in v1, nginx
// writes the body to the incoming area (after the pre-flight accepted it)
// and sends the bytes of a download itself; the worker only decides.
#include <sys/file.h>
#include <unistd.h>

#include "glance/api/image_rules.h"
#include "glance/api/upload_guard.h"
#include "glance/common/text.h"
#include "v2_handlers.h"

namespace glance::api::v2 {

using nlohmann::json;

namespace {

// The media type without parameters, lower-case.
std::string MediaType(const std::string& content_type) {
  return ToLower(Trim(content_type.substr(0, content_type.find(';'))));
}

bool ParseOffset(const std::string& text, int64_t* value) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  *value = std::stoll(text);
  return true;
}

// Range (contract §6.2): one range, `a-b`, `a-` or `-n`, of an image of
// `size` bytes.  nginx serves a valid one itself (206, Content-Range, the
// end clamped to the size); what it would ignore or answer in HTML is
// answered here: several ranges 400, anything it cannot satisfy 416.
Status CheckRange(const std::string& range, int64_t size) {
  const std::string unit = "bytes=";
  std::string spec = Trim(range);
  if (ToLower(spec.substr(0, unit.size())) != unit) {
    return Status::RangeNotSatisfiable("Invalid Range header: only byte ranges are supported.");
  }
  spec = Trim(spec.substr(unit.size()));
  if (spec.find(',') != std::string::npos) {
    return Status::InvalidArgument("Multiple ranges are not supported.");
  }
  size_t dash = spec.find('-');
  if (dash == std::string::npos) return Status::RangeNotSatisfiable("Invalid Range header.");
  std::string first = Trim(spec.substr(0, dash)), last = Trim(spec.substr(dash + 1));
  int64_t start = 0, end = 0;
  bool ok = first.empty() ? ParseOffset(last, &end) && end > 0
                          : ParseOffset(first, &start) &&
                                (last.empty() || (ParseOffset(last, &end) && end >= start));
  if (!ok || (!first.empty() && start >= size) || size == 0) {
    return Status::RangeNotSatisfiable("Requested range not satisfiable: the image has " +
                                       std::to_string(size) + " bytes.");
  }
  return Status::Ok();
}

// An empty body (Content-Length: 0) reaches the worker without a file:
// nginx only writes bodies it receives.  A 0-byte image is valid (§6.1),
// so an empty upload is made for it.
Status UploadEmpty(const ApiServices& api, const ApiCall& call, const Image& image,
                   Image* uploaded) {
  int fd = -1;
  std::string file;
  Status s = api.store.NewCopyFile(image.id, &fd, &file);
  if (!s.ok()) return s;
  // The copy file is locked exclusively; the upload path takes a shared
  // hold of it, which would wait for ours forever.  Shared, it still tells
  // sweepers the upload is alive.
  flock(fd, LOCK_SH);
  s = api.uploads.Upload(call.context, image.id, file, ImageChanges(), uploaded);
  close(fd);  // only now: the lock tells sweepers the upload is alive
  return s;
}

}  // namespace

Status UploadData(const ApiServices& api, ApiCall& call) {
  if (MediaType(call.request.content_type) != "application/octet-stream") {
    return Status::UnsupportedMediaType(
        "The upload's Content-Type must be application/octet-stream.");
  }
  Image image;
  Status s = GetLiveImage(api, call, &image);
  if (!s.ok()) return s;
  s = RequireOwner(call, image);
  if (!s.ok()) return s;
  if (image.status != "queued") {
    return Status::Conflict("Image status transition from " + image.status +
                            " to saving is not allowed");
  }
  if (!image.disk_format || !image.container_format) {
    return Status::InvalidArgument(
        "Properties disk_format and container_format must be set prior to uploading data.");
  }
  std::optional<int64_t> declared = DeclaredSize(call.request, ImageChanges());
  if (declared && *declared > api.options.image_size_cap) {
    return Status::TooLarge(SizeCapMessage(api.options.image_size_cap));
  }
  if (call.request.preflight) return PreflightUpload(api, call, ImageChanges());
  Image uploaded;
  s = call.request.HasBody()
          ? api.uploads.Upload(call.context, image.id, call.request.body_file, ImageChanges(),
                               &uploaded)
          : UploadEmpty(api, call, image, &uploaded);
  if (!s.ok()) return s;
  call.response->status = 204;
  return Status::Ok();
}

Status DownloadData(const ApiServices& api, ApiCall& call) {
  Image image;
  Status s = GetLiveImage(api, call, &image);
  if (!s.ok()) return s;
  if (image.status == "deactivated" && !call.context.is_admin) {
    return Status::Forbidden("The requested image has been deactivated. "
                             "Image data download is forbidden.");
  }
  // An image without data (queued, or one whose upload failed) answers 204.
  if (image.status != "active" || !image.size) {
    call.response->status = 204;
    return Status::Ok();
  }
  if (auto range = call.request.Header("Range")) {
    s = CheckRange(*range, *image.size);
    if (!s.ok()) return s;
  }
  json packed = json::array();
  if (image.checksum) packed.push_back({"Content-MD5", *image.checksum});
  if (*image.size == 0) {
    call.response->status = 200;
    call.response->SetHeader("Content-Type", "application/octet-stream");
    call.response->SetHeader("Content-Length", "0");
    if (image.checksum) call.response->SetHeader("Content-MD5", *image.checksum);
    return Status::Ok();
  }
  return ServeImageData(api, call, image, std::move(packed));
}

}  // namespace glance::api::v2
