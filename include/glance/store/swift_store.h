// SwiftStore: image data as objects of one Swift container (glance_store's
// swift driver, with its option names: swift_options.h).
//
// The incoming area stays local (nginx can only write a body to local
// disk): every incoming-area call goes to the FilesystemStore given, which
// also hashes.  Adopt then sends the hashed upload to Swift with
// sendfile(2), never through user space: one object up to
// swift_store_large_object_size, above it a static large object whose
// segments (<container>_segments/<id>/00000001, ...) are
// swift_store_large_object_chunk_size each.  The data counts as stored
// only when Swift's ETag matches our MD5 (of the object, or of each
// segment and of their list for the manifest); otherwise everything
// written is removed and the upload stays for the caller to discard.
//
// Locations are swift+config://<reference>/<container>/<id>: they name a
// configured reference, never a user or a key.  Downloads go through
// nginx's internal location `serve_location`, which proxies the object
// with the service's token (handed to nginx in a header of the worker's
// answer, never shown to the client) and may cache it (image_cache.h).
// A 401 from Swift makes the store authenticate again once and retry.
// Thread-safe.
#ifndef GLANCE_STORE_SWIFT_STORE_H_
#define GLANCE_STORE_SWIFT_STORE_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "glance/store/filesystem_store.h"
#include "glance/store/local_incoming.h"
#include "glance/store/swift_options.h"

namespace glance {

namespace swift {
class SwiftAccount;
struct Reply;
struct Session;
}  // namespace swift

class SwiftStore : public LocalIncoming {
 public:
  static constexpr char kDefaultServeLocation[] = "/_glance_swift_data/";

  // `local` holds the incoming area and must outlive the store.
  // `cache_zone` is nginx's proxy_cache zone for the downloads, or "off".
  SwiftStore(SwiftStoreOptions options, const FilesystemStore& local,
             std::string serve_location = kDefaultServeLocation, std::string cache_zone = "off");
  ~SwiftStore() override;

  const SwiftStoreOptions& options() const { return options_; }

  // The local incoming area only: Swift may be down when the api starts,
  // and filesystem images must still be served then.
  Status Prepare() const override { return local_.Prepare(); }

  // Swift keeps the data: the local file is not flushed.
  Status HashAndSync(const std::string& upload, ImageDigests* digests) const override {
    return local_.HashWithoutSync(upload, digests);
  }

  // Sends the upload to Swift (see above) and removes the local file once
  // Swift has confirmed it.
  Status Adopt(const std::string& upload, const std::string& id, const ImageDigests& digests,
               std::string* location) const override;
  // HEAD of the container, answered again from memory for a second (the
  // pre-flight of every upload asks).
  Status CheckWritable() const override;
  // HEAD of the object.
  Status Size(const std::string& id, int64_t* size) const override;
  Status Serve(const std::string& id, ServeTarget* target) const override;
  // Serve for an image nginx has cached: it is served also when no
  // session can be had now (Keystone or Swift down).
  Status ServeCached(const std::string& id, ServeTarget* target) const;
  // The object (or manifest) and every segment of `id`, also segments left
  // without a manifest by an upload that failed half-way.
  Status Remove(const std::string& id) const override;
  // Objects of the container named like an image id, and the ids of
  // segments whose manifest is missing.
  Status ListImages(std::vector<StoredEntry>* images) const override;

 private:
  // One request with the current token; after a 401 once more with a new one.
  swift::Reply Request(const std::string& method, const std::string& object_path,
                       const std::string& query, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers) const;
  Status PutObject(const std::string& container, const std::string& name, int fd, off_t offset,
                   int64_t length, const std::string& md5, bool if_none_match,
                   std::string* etag) const;
  Status PutManifest(const std::string& id, const std::string& manifest,
                     const std::string& expected_etag) const;
  Status EnsureContainer(const std::string& container) const;
  Status ListContainer(const std::string& container, const std::string& prefix,
                       std::vector<StoredEntry>* names) const;
  Status RemoveSegments(const std::string& id, bool* removed_any) const;
  // Fills `target` for the download location with `session`'s URL and token.
  void ServeFrom(const swift::Session& session, const std::string& id, ServeTarget* target) const;

  SwiftStoreOptions options_;
  std::string serve_location_;
  std::string cache_zone_;
  std::unique_ptr<swift::SwiftAccount> account_;
  mutable std::mutex writable_mutex_;
  mutable std::chrono::steady_clock::time_point writable_checked_;
  mutable Status writable_;
};

}  // namespace glance

#endif  // GLANCE_STORE_SWIFT_STORE_H_
