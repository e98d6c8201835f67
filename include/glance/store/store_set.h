// StoreSet: the stores glance-api and glance-scrubber use, as one Store
// ([glance_store] stores = file, swift; default_store).
//
// New data goes to the default store.  Existing data is found where it
// is: the filesystem first (a stat), then Swift, so images already in the
// filesystem store keep working when the default changes, and each image's
// location URI (file://... or swift+config://...) records which store
// holds it.  The incoming area and hashing are always the filesystem
// store's (nginx writes bodies to local disk).  With image_cache_dir set
// (and swift among the stores), downloads from Swift go through nginx's
// cache (image_cache.h), whose copy of an image is dropped with the image.
#ifndef GLANCE_STORE_STORE_SET_H_
#define GLANCE_STORE_STORE_SET_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/config.h"
#include "glance/store/filesystem_store.h"
#include "glance/store/image_cache.h"
#include "glance/store/local_incoming.h"
#include "glance/store/store.h"
#include "glance/store/swift_options.h"
#include "glance/store/swift_store.h"

namespace glance {

struct StoreOptions {
  std::vector<std::string> stores{"file"};
  std::string default_store = "file";
  std::string datadir = "/var/lib/glance/images";
  std::string incoming_dir;  // default: <datadir>/_incoming
  std::string file_location = FilesystemStore::kDefaultServeLocation;
  std::optional<SwiftStoreOptions> swift;  // when "swift" is among the stores
  std::string image_cache_dir;             // [DEFAULT] image_cache_dir; empty: no cache
  std::string upload_companion_socket;     // glance-api's only (incoming_writeback.h)

  // Throws ConfigError for an unknown store, a default store that is not
  // among the stores, or a bad swift option.
  static StoreOptions FromConfig(const Config& config);
};

class StoreSet : public LocalIncoming {
 public:
  explicit StoreSet(StoreOptions options);
  ~StoreSet() override;

  const StoreOptions& options() const { return options_; }
  const FilesystemStore& file() const { return file_; }
  const SwiftStore* swift() const { return swift_.get(); }
  const ImageCache* cache() const { return cache_ ? &*cache_ : nullptr; }

  Status Prepare() const override { return file_.Prepare(); }
  // As the default store, which receives the upload, wants it.
  Status HashAndSync(const std::string& upload, ImageDigests* digests) const override {
    return default_->HashAndSync(upload, digests);
  }

  Status Adopt(const std::string& upload, const std::string& id, const ImageDigests& digests,
               std::string* location) const override {
    return default_->Adopt(upload, id, digests, location);
  }
  Status CheckWritable() const override { return default_->CheckWritable(); }
  Status Size(const std::string& id, int64_t* size) const override;
  Status Serve(const std::string& id, ServeTarget* target) const override;
  // A Swift image in the image cache is served from it without asking
  // Swift whether the object is there (as Glance's cache does): it
  // downloads while Swift is down, and a cached download costs no HEAD.
  Status ServeStored(const std::string& id, ServeTarget* target) const override;
  // From every store that has data of `id`; kNotFound when none has.
  Status Remove(const std::string& id) const override;
  Status ListImages(std::vector<StoredEntry>* images) const override;
  void DropCached(const std::string& id) const override;

 private:
  StoreOptions options_;
  FilesystemStore file_;
  std::unique_ptr<SwiftStore> swift_;
  std::optional<ImageCache> cache_;
  const Store* default_;
};

}  // namespace glance

#endif  // GLANCE_STORE_STORE_SET_H_
