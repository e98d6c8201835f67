// v1 writes (spec §4, §8-§10, §12, §13): create, update (metadata, upload,
// location, copy-from) and delete.  The rules are image_rules'; the data
// path is UploadFlow's; these functions put them in upstream's order.
#include "glance/api/image_rules.h"
#include "glance/api/upload_guard.h"
#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/image/image_json.h"
#include "v1_handlers.h"

namespace glance::api {

using nlohmann::json;

namespace {

// The v1 JSON of an image: the registry dict without what v1 never shows
// (locations, spec §4.2; the v2-era fields).  An external location
// only when the operator turned show_image_direct_url on: store paths
// never.
json ImageToApiJson(const Image& image, bool show_direct_url) {
  json dict = ImageToRegistryJson(image);
  for (const char* hidden : {"location", "location_data", "os_hash_algo", "os_hash_value",
                             "visibility", "os_hidden", "tags"}) {
    dict.erase(hidden);
  }
  if (const ImageLocation* external = ExternalLocation(image); show_direct_url && external) {
    dict["location"] = external->url;
  }
  return dict;
}

void SetImageReply(const ApiServices& v1, ApiCall& call, int status, const Image& image) {
  SetJson(call.response, status,
          json{{"image", ImageToApiJson(image, v1.options.show_image_direct_url)}});
  if (image.checksum) call.response->SetHeader("ETag", *image.checksum);
}

// The rules of spec §4.1 shared by create and update, with an external
// source (spec §13, §20.7) resolved between them: its policy is checked
// before any network look-up, so whoever may not use sources cannot probe
// with them either.
Status ValidateMeta(const ApiServices& v1, const ApiCall& call, int64_t kept_properties,
                    ImageMetaHeaders* meta, std::optional<ResolvedSource>* source) {
  Status s = CheckImageMeta(v1.options, call.request, call.context, kept_properties, meta);
  if (!s.ok()) return s;
  if (meta->location || meta->copy_from) {
    ResolvedSource resolved;
    s = v1.sources.Resolve(meta->location ? *meta->location : *meta->copy_from, &resolved);
    if (!s.ok()) return s;
    *source = std::move(resolved);
  }
  return CheckUploadTarget(call.request, *meta);
}

// After the image record is written: the body becomes its data, or a copy
// starts in the background.
Status FinishData(const ApiServices& v1, ApiCall& call, const ImageMetaHeaders& meta, bool copy,
                  std::optional<ResolvedSource>* source, Image* image) {
  if (call.request.HasBody()) {
    Status s = v1.uploads.Upload(call.context, image->id, call.request.body_file, meta.changes, image);
    if (!s.ok()) return s;
  }
  if (copy) v1.uploads.StartCopy(call.context, image->id, std::move(**source), meta.changes);
  return Status::Ok();
}

}  // namespace

Status PreflightUpload(const ApiServices& v1, const ApiCall& call, const ImageChanges& changes) {
  std::optional<int64_t> declared = DeclaredSize(call.request, changes);
  // Free space first: it needs no registry round trip.
  Status s = CheckFreeSpace(v1.store.incoming_dir(), declared);
  if (s.ok()) s = v1.store.CheckWritable();
  if (!s.ok() || v1.options.user_storage_quota <= 0) return s;
  int64_t used = 0;
  s = v1.registry.StorageUsage(call.context, &used);
  if (!s.ok()) return s;
  return CheckQuota(v1.options.user_storage_quota, used, declared);
}

Status CreateImage(const ApiServices& v1, ApiCall& call) {
  if (call.context.read_only) return Status::Forbidden("Read-only access");
  ImageMetaHeaders meta;
  Status s = ParseImageMetaHeaders(call.request.headers, &meta);
  if (!s.ok()) return s;
  if (meta.raw_id) {
    if (!IsUuidLike(*meta.raw_id)) return Status::InvalidArgument("Invalid image id format");
    meta.changes.id = ToLower(*meta.raw_id);
  }
  std::optional<ResolvedSource> source;
  s = ValidateMeta(v1, call, 0, &meta, &source);
  if (!s.ok()) return s;
  bool body = call.request.HasBody();
  bool copy = source && meta.copy_from;
  if (body || source) {
    s = RequireFormats(Image(), meta.changes);
    if (!s.ok()) return s;
  }
  if (call.request.preflight) return PreflightUpload(v1, call, meta.changes);
  ImageChanges reserve = meta.changes;
  if (!call.context.is_admin) reserve.owner.reset();
  if (source && meta.location) {
    s = v1.uploads.ApplyLocation(*source, &reserve);
    if (!s.ok()) return s;
  } else {
    bool empty_image = !body && !copy && reserve.size && *reserve.size && **reserve.size == 0;
    reserve.status = empty_image ? "active" : "queued";
    if (body || !reserve.size || !*reserve.size) reserve.size = std::optional<int64_t>(0);
  }
  if (copy) {
    s = v1.uploads.ReserveCopySlot();
    if (!s.ok()) return s;
  }
  Image image;
  s = v1.registry.CreateImage(call.context, reserve, &image);
  if (!s.ok()) {
    if (copy) v1.uploads.ReleaseCopySlot();
    if (s.code() == Status::Code::kConflict) {
      return Status::Conflict("An image with identifier " + meta.changes.id.value_or("") +
                              " already exists");
    }
    return s;
  }
  s = FinishData(v1, call, meta, copy, &source, &image);
  if (!s.ok()) return s;
  SetImageReply(v1, call, 201, image);
  call.response->SetHeader("Location", BaseUrl(v1.options, call.request) + "/v1/images/" + image.id);
  return Status::Ok();
}

Status UpdateImage(const ApiServices& v1, ApiCall& call) {
  if (call.context.read_only) return Status::Forbidden("Read-only access");
  ImageMetaHeaders meta;
  Status s = ParseImageMetaHeaders(call.request.headers, &meta);
  if (!s.ok()) return s;
  Image current;
  s = GetVisible(v1, call, &current);
  if (!s.ok()) return s;
  bool body = call.request.HasBody();
  s = CheckUpdateAllowed(call.context, current, meta, body);
  if (!s.ok()) return s;
  bool purge = !body && BoolFromString(call.request.Header("X-Glance-Registry-Purge-Props").value_or("true"));
  std::optional<ResolvedSource> source;
  s = ValidateMeta(v1, call, KeptProperties(current, meta.changes, purge), &meta, &source);
  if (!s.ok()) return s;
  bool copy = source && meta.copy_from;
  if (body || source) {
    s = RequireFormats(current, meta.changes);
    if (!s.ok()) return s;
  }
  if (call.request.preflight) return PreflightUpload(v1, call, meta.changes);
  ImageChanges changes = meta.changes;
  changes.id.reset();
  changes.status.reset();
  changes.created_at.reset();
  changes.updated_at.reset();
  if (!call.context.is_admin) changes.owner.reset();
  ImageUpdate how;
  how.purge_properties = purge;
  if (source && meta.location) {
    s = v1.uploads.ApplyLocation(*source, &changes);
    if (!s.ok()) return s;
    how.from_state = "queued";  // activation is a compare-and-set (spec §9)
  }
  if (copy) {
    s = v1.uploads.ReserveCopySlot();
    if (!s.ok()) return s;
  }
  Image image;
  s = v1.registry.UpdateImage(call.context, current.id, changes, how, &image);
  if (!s.ok()) {
    if (copy) v1.uploads.ReleaseCopySlot();
    return s;
  }
  s = FinishData(v1, call, meta, copy, &source, &image);
  if (!s.ok()) return s;
  SetImageReply(v1, call, 200, image);
  return Status::Ok();
}

Status RemoveImage(const ApiServices& v1, const ApiCall& call, const Image& image) {
  Status s;
  bool has_data = image.status == "active" && image.size && *image.size > 0;
  if (v1.options.delayed_delete && has_data) {
    // The scrubber removes the data after scrub_time.
    Image pending;
    s = v1.registry.UpdateImage(call.context, image.id, StatusChange("pending_delete"),
                                ImageUpdate::From(image.status), &pending);
    if (!s.ok()) return s;
  }
  Image deleted;
  s = v1.registry.DeleteImage(call.context, image.id, &deleted);
  if (!s.ok()) return s;
  v1.store.DropCached(image.id);
  if (!v1.options.delayed_delete || !has_data) {
    Status removed = v1.store.Remove(image.id);
    if (!removed.ok() && removed.code() != Status::Code::kNotFound) {
      LogWarning("image " + image.id + " deleted but its data stays: " + removed.message());
    }
  }
  return Status::Ok();
}

Status DeleteImage(const ApiServices& v1, ApiCall& call) {
  if (call.context.read_only) return Status::Forbidden("Read-only access");
  Image image;
  Status s = GetVisible(v1, call, &image);
  if (!s.ok()) return s;
  if (image.is_protected) return Status::Forbidden("Image is protected");
  if (image.status == "pending_delete") {
    return Status::Forbidden("Forbidden to delete a pending_delete image.");
  }
  if (image.deleted || image.status == "deleted") {
    return Status::NotFound("Image " + image.id + " was already deleted.");
  }
  s = RemoveImage(v1, call, image);
  if (!s.ok()) return s;
  call.response->status = 200;
  return Status::Ok();
}

}  // namespace glance::api
