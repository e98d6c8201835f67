#include "glance/api/upload_flow.h"

#include <sys/stat.h>
#include <unistd.h>

#include "glance/api/image_rules.h"
#include "glance/api/upload_guard.h"
#include "glance/common/logging.h"
#include "glance/common/text.h"

namespace glance::api {

UploadFlow::UploadFlow(const ApiOptions& options, RegistryApi* registry, const Store* store,
                       const ExternalSources* sources)
    : options_(options),
      registry_(registry),
      store_(store),
      sources_(sources),
      copies_(options.external_sources.max_concurrent_copies),
      leases_(registry, options.interrupted_upload_timeout,
              [this](const std::string& id) { RemoveData(id); }) {}

void UploadFlow::StartWorker() {
  leases_.Start();
  RecoverOrphanCopies();
}

void UploadFlow::StopWorker(std::chrono::seconds limit) {
  copies_.Stop(limit);
  leases_.Stop();
}

std::optional<int64_t> UploadFlow::StorageQuota() const {
  if (options_.user_storage_quota <= 0) return std::nullopt;
  return options_.user_storage_quota;
}

void UploadFlow::RemoveData(const std::string& id) const {
  Status s = store_->Remove(id);
  if (!s.ok() && s.code() != Status::Code::kNotFound) {
    LogWarning("image " + id + ": its data could not be removed: " + s.message());
  } else {
    LogDebug("image " + id + ": data removed from the store");
  }
}

// A worker that starts finds the copies of workers that died (killed,
// crashed) in the incoming directory: their images stay `saving` for ever
// unless someone marks them killed.
void UploadFlow::RecoverOrphanCopies() {
  std::vector<std::string> orphans = store_->ClaimOrphanCopies();
  if (orphans.empty()) return;
  RequestContext admin;
  admin.is_admin = true;
  admin.request_id = ResolveRequestId(std::nullopt);
  for (const std::string& id : orphans) {
    LogWarning("image " + id + ": its copy-from died with its worker; marking it killed");
    Image ignored;
    registry_->UpdateImage(admin, id, StatusChange("killed"), ImageUpdate::From("saving"), &ignored);
  }
}

void UploadFlow::Kill(const RequestContext& context, const std::string& id, const std::string& file) {
  store_->Discard(file);
  Image ignored;
  Status s = registry_->UpdateImage(context, id, StatusChange("killed"), ImageUpdate(), &ignored);
  if (!s.ok()) LogWarning("could not mark image " + id + " killed: " + s.message());
}

Status UploadFlow::Upload(const RequestContext& context, const std::string& id,
                          const std::string& file, const ImageChanges& declared, Image* image) {
  Status s = store_->CheckUpload(file);
  if (!s.ok()) {
    LogError("upload for " + id + ": " + s.message() + " (" + file + ")");
    Kill(context, id, "");
    return Status::InvalidArgument("The image data was not received.");
  }
  struct stat received {};
  if (stat(file.c_str(), &received) != 0) {
    Kill(context, id, file);
    return Status::InvalidArgument("The image data was not received.");
  }
  // Becoming `saving` reserves the received size against the tenant's
  // quota, atomically with every other upload of that tenant.
  ImageChanges saving = StatusChange("saving");
  saving.size = std::optional<int64_t>(static_cast<int64_t>(received.st_size));
  ImageUpdate reserve = ImageUpdate::From("queued");
  reserve.storage_quota = StorageQuota();
  Image reserved;
  s = registry_->UpdateImage(context, id, saving, reserve, &reserved);
  if (!s.ok()) {
    store_->Discard(file);
    if (s.code() == Status::Code::kConflict) return Status::Conflict("Attempt to upload duplicate image");
    if (s.code() == Status::Code::kTooLarge) {
      Kill(context, id, "");
      return Status::TooLarge(QuotaRefusal(s.message()));
    }
    return s;
  }
  auto lease = leases_.Hold(id, context.request_id);
  UploadHold held = store_->HoldUpload(file);
  return Ingest(context, id, file, declared, image);
}

// Makes a complete file of the incoming directory the data of image `id`,
// which is `saving`: hash and flush it, check it against the cap and the
// declared size and checksum, rename it into the store, mark the image
// active.  Any failure kills the image and removes the file (spec §10).
Status UploadFlow::Ingest(const RequestContext& context, const std::string& id,
                          const std::string& file, const ImageChanges& c, Image* image) {
  ImageDigests digests;
  Status s = store_->HashAndSync(file, &digests);
  if (!s.ok()) {
    Kill(context, id, file);
    return s;
  }
  LogDebug("image " + id + ": hashed " + std::to_string(digests.size) + " bytes, md5 " + digests.md5);
  if (digests.size > options_.image_size_cap) {
    Kill(context, id, file);
    return Status::TooLarge(SizeCapMessage(options_.image_size_cap));
  }
  if (c.size && *c.size && **c.size != digests.size) {
    Kill(context, id, file);
    return Status::InvalidArgument("Supplied size (" + std::to_string(**c.size) +
                                   ") and size generated from uploaded image (" +
                                   std::to_string(digests.size) +
                                   ") did not match. Setting image status to 'killed'.");
  }
  if (c.checksum && *c.checksum && ToLower(**c.checksum) != digests.md5) {
    Kill(context, id, file);
    return Status::InvalidArgument("Supplied checksum (" + **c.checksum +
                                   ") and checksum generated from uploaded image (" + digests.md5 +
                                   ") did not match. Setting image status to 'killed'.");
  }
  std::string location;
  s = store_->Adopt(file, id, digests, &location);
  if (!s.ok()) {
    Kill(context, id, file);
    return s;
  }
  ImageChanges done = StatusChange("active");
  done.size = std::optional<int64_t>(digests.size);
  done.checksum = std::optional<std::string>(digests.md5);
  done.os_hash_algo = std::optional<std::string>("sha512");
  done.os_hash_value = std::optional<std::string>(digests.sha512);
  done.location = std::optional<std::string>(location);
  ImageUpdate activate = ImageUpdate::From("saving");
  activate.storage_quota = StorageQuota();
  s = registry_->UpdateImage(context, id, done, activate, image);
  if (!s.ok()) {
    // Deleted (or changed) while we hashed: its data must not stay behind.
    store_->Remove(id);
    if (s.code() == Status::Code::kTooLarge) {
      Kill(context, id, "");
      return Status::TooLarge(QuotaRefusal(s.message()));
    }
    if (s.code() == Status::Code::kNotFound || s.code() == Status::Code::kConflict) {
      return Status::PreconditionFailed("Image " + id +
                                        " could not be found after upload. The image may have "
                                        "been deleted during the upload.");
    }
    return s;
  }
  return Status::Ok();
}

// x-image-meta-location (spec §13): the data stays at the source and the
// image is active at once, with the source's size and no checksum (nothing
// was hashed; a client's checksum is not evidence).
Status UploadFlow::ApplyLocation(const ResolvedSource& source, ImageChanges* changes) const {
  std::optional<int64_t> remote;
  Status s = sources_->ProbeSize(source, &remote);
  if (!s.ok()) return s;
  std::optional<int64_t> declared;
  if (changes->size && *changes->size) declared = **changes->size;
  if (declared && remote && *declared != *remote) {
    return Status::Conflict(
        "Provided image size must match the stored image size. (provided size: " +
        std::to_string(*declared) + ", stored size: " + std::to_string(*remote) + ")");
  }
  std::optional<int64_t> size = declared ? declared : remote;
  if (!size) {
    return Status::InvalidArgument("The source '" + source.uri.uri +
                                   "' does not tell its size: give x-image-meta-size.");
  }
  if (*size > options_.image_size_cap) return Status::InvalidArgument(SizeCapMessage(options_.image_size_cap));
  changes->size = size;
  changes->checksum = std::optional<std::string>();
  changes->location = std::optional<std::string>(source.uri.uri);
  changes->status = "active";
  return Status::Ok();
}

Status UploadFlow::ReserveCopySlot() {
  if (copies_.TryReserve()) return Status::Ok();
  return Status::Unavailable(
      "This API server is copying as many images as it may at once; try again later.");
}

void UploadFlow::ReleaseCopySlot() { copies_.Release(); }

// The reply goes out with the image queued, then a thread of this worker
// copies the bytes (CopyRunner bounds how many, and cancels them when the
// worker stops).
void UploadFlow::StartCopy(const RequestContext& context, const std::string& id,
                           ResolvedSource source, ImageChanges declared) {
  copies_.Start([this, context, id, source = std::move(source),
                 declared = std::move(declared)](const std::function<bool()>& cancelled) {
    Copy(context, id, source, declared, cancelled);
  });
}

// queued -> saving -> active, or killed.  The bytes go to a locked file of
// the incoming directory and become the image's data exactly as an upload
// does (Ingest), so a copy that dies half way is never active.
void UploadFlow::Copy(const RequestContext& context, const std::string& id,
                      const ResolvedSource& source, const ImageChanges& declared,
                      const std::function<bool()>& cancelled) {
  const std::string& request_id = context.request_id;
  if (cancelled()) {
    // The worker began stopping between the reply and this thread: the
    // image stays queued, and the client may ask again.
    Log(LogLevel::kWarning, request_id, "copy-from for image " + id + " not started: worker stopping");
    return;
  }
  Image image;
  Status s = registry_->UpdateImage(context, id, StatusChange("saving"), ImageUpdate::From("queued"),
                                    &image);
  if (!s.ok()) {
    Log(LogLevel::kWarning, request_id, "copy-from for image " + id + " not started: " + s.message());
    return;
  }
  auto lease = leases_.Hold(id, request_id);
  int fd = -1;
  std::string file;
  s = store_->NewCopyFile(id, &fd, &file);
  if (!s.ok()) {
    Kill(context, id, "");
  } else {
    int64_t limit = options_.image_size_cap;
    if (declared.size && *declared.size) limit = std::min(limit, **declared.size);
    int64_t bytes = 0;
    s = sources_->Fetch(source, fd, limit, cancelled, &bytes);
    if (s.ok() && cancelled()) {
      s = Status::Unavailable("The copy was cancelled: the API worker is stopping.");
    }
    if (s.ok()) {
      s = Ingest(context, id, file, declared, &image);  // kills the image itself on failure
    } else {
      Kill(context, id, file);
    }
    close(fd);  // only now: the lock tells sweepers the copy is alive
  }
  if (s.ok()) {
    Log(LogLevel::kInfo, request_id,
        "copy-from for image " + id + " done: " + std::to_string(image.size.value_or(0)) +
            " bytes from " + source.uri.Origin());
  } else {
    Log(LogLevel::kWarning, request_id,
        "copy-from for image " + id + " from " + source.uri.Origin() + " failed, image killed: " +
            s.message());
  }
}

}  // namespace glance::api
