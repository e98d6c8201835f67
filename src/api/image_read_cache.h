// Internal to src/api: each worker process's cache of the images GET and
// HEAD requests read, kept coherent with every api node and registry by
// leases on the registry's metadata epoch (sql/005_metadata_epoch.sql).
//
// The cache trusts what it holds for `lease` after the epoch read that
// vouched for it began, and drops everything when a later read finds the
// epoch moved.  A worker that changed an image answers its client only
// once `lease` has passed since the registry acknowledged the change
// (WaitOutLeases), so by the time anyone is told of a change every cache
// on every node has stopped trusting what it held before it: no client
// reads a stale image after a write was acknowledged to anyone.
//
// List pages take no lease (a create, which waits for nothing, changes
// them): each list request reads the epoch afresh (one read shared by the
// requests that arrive together) and gets the cached page only while the
// epoch is still the one the page was loaded at.  This
// holds while every node's monotonic clock runs at the same rate (the
// lease is a few milliseconds; clock rates differ by parts per million)
// and every node has the same `lease`.  Writes and the reads of write
// requests never use the cache; the registry's own cache answers misses
// (src/db/metadata_cache.h).  Thread-safe.
#ifndef GLANCE_SRC_API_IMAGE_READ_CACHE_H_
#define GLANCE_SRC_API_IMAGE_READ_CACHE_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "glance/common/fresh_read.h"
#include "glance/registry/registry_client.h"

namespace glance::api {

class ImageReadCache {
 public:
  // lease 0: no cache, and nothing to wait for.
  ImageReadCache(RegistryClient& registry, std::chrono::milliseconds lease, size_t max_entries)
      : registry_(registry), lease_(lease), max_entries_(max_entries) {}
  ~ImageReadCache();

  bool enabled() const { return lease_.count() > 0; }

  // RegistryClient::GetImage through the cache (`lower_id` is lower-case).
  Status GetImage(const RequestContext& context, const std::string& lower_id, Image* image);

  // RegistryClient::ListImagesJson and ::ListImagesV2 through the cache.
  Status ListImagesJson(const RequestContext& context, bool detail, const std::string& query,
                        std::string* body);
  Status ListImagesV2(const RequestContext& context, const std::string& query,
                      std::string* images_array, std::optional<std::string>* next_marker);

  // Before a request that changed an image is answered: sleeps out what is
  // left of the lease since the change (see above).
  void WaitOutLeases() const;

 private:
  using Clock = FreshRead::Clock;
  struct Page {
    int64_t epoch = 0;
    std::string body;
    std::optional<std::string> next_marker;
  };
  static constexpr size_t kMaxPageBytes = 2 << 20;

  // Whether the entries may be trusted now; reads the epoch when the lease
  // ran out.  Sets *epoch to the epoch they were loaded at.
  bool Trusted(const RequestContext& context, int64_t* epoch);
  // In the lease's second half: the renewer thread reads the epoch while
  // requests go on being answered, so a busy worker never waits for one.
  void RenewSoon(const RequestContext& context);
  void RenewLoop();
  // A fresh epoch read; false when the registry could not answer one.
  bool ReadEpoch(const RequestContext& context, FreshRead::Reading* reading);
  // With mutex_ held: takes in a reading (only one newer than any before).
  void Apply(const FreshRead::Reading& reading);
  // The page `key` at a fresh epoch, else `load` and keep what it loaded.
  Status CachedPage(const RequestContext& context, const std::string& key,
                    const std::function<Status(Page*)>& load, Page* page);

  RegistryClient& registry_;
  const std::chrono::milliseconds lease_;
  const size_t max_entries_;
  FreshRead epoch_read_;

  std::mutex mutex_;
  int64_t epoch_ = -1;
  Clock::time_point newest_reading_;  // when the epoch read epoch_ came from began
  Clock::time_point trusted_until_;
  // By id and the context's identity: the registry answers by those.
  std::unordered_map<std::string, std::shared_ptr<const Image>> images_;
  std::unordered_map<std::string, Page> pages_;
  size_t page_bytes_ = 0;

  std::mutex renew_mutex_;
  std::condition_variable renew_wanted_;
  std::optional<RequestContext> renew_for_;  // set: a renewal is wanted or under way
  bool renew_stopping_ = false;
  std::thread renewer_;  // started at the first renewal (in the worker, after the fork)
};

}  // namespace glance::api

#endif  // GLANCE_SRC_API_IMAGE_READ_CACHE_H_
