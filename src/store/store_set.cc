#include "glance/store/store_set.h"

#include <algorithm>

namespace glance {

namespace {

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

StoreOptions StoreOptions::FromConfig(const Config& config) {
  StoreOptions o;
  o.stores = config.GetList("glance_store", "stores", o.stores);
  for (const std::string& store : o.stores) {
    if (store != "file" && store != "swift") {
      throw ConfigError("[glance_store] stores: unknown store '" + store + "' (file, swift)");
    }
  }
  o.default_store = config.GetString("glance_store", "default_store", o.default_store);
  if (!Has(o.stores, o.default_store)) {
    throw ConfigError("[glance_store] default_store = " + o.default_store +
                      " is not among the stores (" + config.GetString("glance_store", "stores", "file") +
                      ")");
  }
  o.datadir = config.GetString("glance_store", "filesystem_store_datadir", o.datadir);
  o.incoming_dir =
      config.GetString("glance_store", "filesystem_store_incoming_dir", o.datadir + "/_incoming");
  if (Has(o.stores, "swift")) {
    o.swift = SwiftStoreOptions::FromConfig(config);
    o.image_cache_dir = config.GetString("DEFAULT", "image_cache_dir", "");
    while (o.image_cache_dir.size() > 1 && o.image_cache_dir.back() == '/') o.image_cache_dir.pop_back();
  }
  return o;
}

StoreSet::StoreSet(StoreOptions options)
    : LocalIncoming(file_),
      options_(std::move(options)),
      file_(options_.datadir, options_.incoming_dir, options_.file_location) {
  if (!options_.image_cache_dir.empty()) cache_.emplace(options_.image_cache_dir);
  if (!options_.upload_companion_socket.empty()) file_.UseUploadCompanion(options_.upload_companion_socket);
  if (options_.swift) {
    swift_ = std::make_unique<SwiftStore>(*options_.swift, file_, SwiftStore::kDefaultServeLocation,
                                          cache_ ? ImageCache::kZone : "off");
  }
  default_ = options_.default_store == "swift" ? static_cast<const Store*>(swift_.get()) : &file_;
}

StoreSet::~StoreSet() = default;

Status StoreSet::Size(const std::string& id, int64_t* size) const {
  Status s = file_.Size(id, size);
  if (s.code() != Status::Code::kNotFound || !swift_) return s;
  return swift_->Size(id, size);
}

Status StoreSet::Serve(const std::string& id, ServeTarget* target) const {
  if (!swift_ || file_.Exists(id)) return file_.Serve(id, target);
  if (cache_) cache_->Touch(id);
  return swift_->Serve(id, target);
}

Status StoreSet::ServeStored(const std::string& id, ServeTarget* target) const {
  // One look at the filesystem store, whose images are most downloads.
  int64_t size = 0;
  Status s = file_.Size(id, &size);
  if (s.ok()) return file_.Serve(id, target);
  if (s.code() != Status::Code::kNotFound || !swift_) return s;
  if (cache_ && cache_->Holds(id)) {
    cache_->Touch(id);
    return swift_->ServeCached(id, target);
  }
  return swift_->ServeStored(id, target);
}

Status StoreSet::Remove(const std::string& id) const {
  // An image's data is in one store: found in the filesystem, it is done,
  // and an outage of Swift does not touch it.
  Status s = file_.Remove(id);
  if (s.code() != Status::Code::kNotFound || !swift_) return s;
  return swift_->Remove(id);
}

Status StoreSet::ListImages(std::vector<StoredEntry>* images) const {
  Status s = file_.ListImages(images);
  if (!s.ok() || !swift_) return s;
  return swift_->ListImages(images);
}

void StoreSet::DropCached(const std::string& id) const {
  if (cache_) cache_->Remove(id);
}

}  // namespace glance
