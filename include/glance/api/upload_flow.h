// UploadFlow: the upload state machine (spec §9, §10, §13), shared by every
// way data reaches an image.  queued -> saving (the received size reserved
// against the tenant's quota) -> hashed, flushed, renamed into the store ->
// active; any failure -> killed, its bytes removed.  Also copy-from, which
// feeds a file of the incoming directory into the same path on a bounded
// background thread, and the location of x-image-meta-location images.
//
// The collaborators are interfaces or plain values so that a test can
// stand in for the registry.  Thread-safe.
#ifndef GLANCE_API_UPLOAD_FLOW_H_
#define GLANCE_API_UPLOAD_FLOW_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "glance/api/api_options.h"
#include "glance/api/copy_runner.h"
#include "glance/api/external_source.h"
#include "glance/api/upload_leases.h"
#include "glance/registry/registry_api.h"
#include "glance/store/store.h"

namespace glance::api {

class UploadFlow {
 public:
  UploadFlow(const ApiOptions& options, RegistryApi* registry, const Store* store,
             const ExternalSources* sources);

  // Per worker process (after fork): the lease thread, and the copies of
  // workers that died; Stop cancels this worker's copies.
  void StartWorker();
  void StopWorker(std::chrono::seconds limit);

  // nginx's body file `body_file` becomes the data of queued image `id`
  // (`declared`: what the client said of size and checksum).  On success
  // `image` is the active image.
  Status Upload(const RequestContext& context, const std::string& id, const std::string& body_file,
                const ImageChanges& declared, Image* image);

  // x-image-meta-location: the source's size (checked against the declared
  // one and the cap) and the location go into `changes`, status active.
  Status ApplyLocation(const ResolvedSource& source, ImageChanges* changes) const;

  // x-glance-api-copy-from: a slot first (503 when this worker copies as
  // many as it may), then, once the image exists, the copy in background.
  Status ReserveCopySlot();
  void ReleaseCopySlot();
  void StartCopy(const RequestContext& context, const std::string& id, ResolvedSource source,
                 ImageChanges declared);

  // user_storage_quota for the registry, when one is set.
  std::optional<int64_t> StorageQuota() const;
  // Removes image `id`'s bytes from the store (logged, never fatal).
  void RemoveData(const std::string& id) const;

 private:
  Status Ingest(const RequestContext& context, const std::string& id, const std::string& file,
                const ImageChanges& declared, Image* image);
  void Kill(const RequestContext& context, const std::string& id, const std::string& file);
  void Copy(const RequestContext& context, const std::string& id, const ResolvedSource& source,
            const ImageChanges& declared, const std::function<bool()>& cancelled);
  void RecoverOrphanCopies();

  const ApiOptions& options_;
  RegistryApi* registry_;
  const Store* store_;
  const ExternalSources* sources_;
  CopyRunner copies_;
  UploadLeases leases_;
};

}  // namespace glance::api

#endif  // GLANCE_API_UPLOAD_FLOW_H_
