// Internal to src/db: the registry's cache of image rows and list pages,
// coherent across every registry that shares the database.
//
// Every transaction that changes image metadata adds one to the epoch
// counter as it commits (sql/005_metadata_epoch.sql), in commit order.  An
// entry is stamped with the epoch read before it was loaded and is served
// only while a read of the epoch that began after the request arrived still
// gives that stamp: nothing committed since, so no write acknowledged to
// anyone (by any registry, on any host) is missed, and a deletion or a
// revoked membership is never served.  Concurrent requests share one epoch
// read (glance/common/fresh_read.h), so a burst of reads costs the database
// one tiny query per round trip instead of a full load each.  Thread-safe.
#ifndef GLANCE_SRC_DB_METADATA_CACHE_H_
#define GLANCE_SRC_DB_METADATA_CACHE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "glance/common/status.h"
#include "glance/db/image_repository.h"
#include "glance/image/image.h"

namespace glance::db {

class MetadataCache {
 public:
  // At most `max_entries` images and as many list pages (of at most
  // kMaxListBytes in all) are kept.
  explicit MetadataCache(size_t max_entries) : max_entries_(max_entries) {}

  // The image cached at `epoch`, or null.
  std::shared_ptr<const Image> FindImage(const std::string& lower_id, int64_t epoch);
  // `image` was loaded after the epoch was read as `epoch`.
  void PutImage(const Image& image, int64_t epoch);

  bool FindList(const std::string& key, int64_t epoch, std::string* json_array, ListTail* tail);
  void PutList(const std::string& key, int64_t epoch, const std::string& json_array,
               const ListTail& tail);

 private:
  static constexpr size_t kMaxListBytes = 8 << 20;
  struct ListPage {
    std::string json_array;
    ListTail tail;
  };

  // With mutex_ held: entries of an older epoch are dropped once a newer
  // one is seen; false when `epoch` is older than the entries held.
  bool AtEpoch(int64_t epoch);

  const size_t max_entries_;

  std::mutex mutex_;
  int64_t epoch_ = -1;  // the epoch every entry below was loaded at
  std::unordered_map<std::string, std::shared_ptr<const Image>> images_;
  std::unordered_map<std::string, ListPage> lists_;
  size_t list_bytes_ = 0;
};

}  // namespace glance::db

#endif  // GLANCE_SRC_DB_METADATA_CACHE_H_
