// ImageCache: the image cache is nginx's proxy_cache in front of the Swift
// store's download location (Glance's image_cache_dir, image_cache_max_size,
// image_cache_stall_time; nginx/glance-api.conf.in).  nginx fills and evicts
// it; this class is what the api and the operator's command
// (glance-cache-manage) do beside nginx: name an image's cached file,
// remove it when the image goes, list what is cached, and note the last
// authorised read.  Entries are keyed by image id (the data of an active
// image never changes), in nginx's layout for `levels=1:2`:
// <dir>/<h[31]>/<h[29..30]>/<h> with h = md5(id).
#ifndef GLANCE_STORE_IMAGE_CACHE_H_
#define GLANCE_STORE_IMAGE_CACHE_H_

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "glance/common/status.h"

namespace glance {

struct CachedImage {
  std::string id;
  int64_t size = 0;           // of the cache file (nginx's header included)
  std::time_t cached_at = 0;  // when nginx wrote it
  std::time_t last_access = 0;  // the last download the api authorised
};

class ImageCache {
 public:
  // nginx's proxy_cache zone the downloads use.
  static constexpr char kZone[] = "glance_image_cache";

  explicit ImageCache(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  std::string PathOf(const std::string& id) const;
  // Whether nginx holds a complete cached copy of `id` (it writes a copy
  // under another name and renames it when complete).
  bool Holds(const std::string& id) const;

  // kNotFound when the image is not cached.
  Status Remove(const std::string& id) const;
  Status RemoveAll(int* removed) const;
  // Every cached image, by id (read from each file's "KEY:" line).
  Status List(std::vector<CachedImage>* images) const;
  // Marks a cached copy as read now (its atime); nothing if not cached.
  void Touch(const std::string& id) const;

 private:
  std::string dir_;
};

}  // namespace glance

#endif  // GLANCE_STORE_IMAGE_CACHE_H_
