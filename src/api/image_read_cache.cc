#include "image_read_cache.h"

#include <thread>

namespace glance::api {

namespace {

std::string CacheKey(const RequestContext& context, const std::string& lower_id) {
  return (context.is_admin ? "a:" : "u:") + context.owner.value_or("") + '\n' + lower_id;
}

}  // namespace

bool ImageReadCache::Trusted(const RequestContext& context, int64_t* epoch) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (Clock::now() < trusted_until_) {
      *epoch = epoch_;
      return true;
    }
  }
  FreshRead::Reading reading;
  Status s = epoch_read_.Get(
      [&](int64_t* value) { return registry_.MetadataEpoch(context, value); }, &reading);
  if (!s.ok()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  // Threads may apply their readings out of order: only a newer one counts.
  if (reading.began > newest_reading_) {
    if (reading.value != epoch_) {
      images_.clear();
      epoch_ = reading.value;
    }
    newest_reading_ = reading.began;
    trusted_until_ = reading.began + lease_;
  }
  *epoch = epoch_;
  return Clock::now() < trusted_until_;
}

Status ImageReadCache::GetImage(const RequestContext& context, const std::string& lower_id,
                                Image* image) {
  int64_t epoch = 0;
  if (!enabled() || !Trusted(context, &epoch)) return registry_.GetImage(context, lower_id, image);
  const std::string key = CacheKey(context, lower_id);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = images_.find(key);
    if (found != images_.end()) {
      *image = *found->second;
      return Status::Ok();
    }
  }
  Status s = registry_.GetImage(context, lower_id, image);
  if (!s.ok()) return s;
  auto entry = std::make_shared<const Image>(*image);
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch_ != epoch) return s;  // loaded while the epoch moved: not kept
  if (images_.size() >= max_entries_) images_.clear();
  images_[key] = std::move(entry);
  return s;
}

void ImageReadCache::WaitOutLeases() const {
  std::optional<Clock::time_point> changed = RegistryClient::TakeLastChange();
  if (!enabled() || !changed) return;
  std::this_thread::sleep_until(*changed + lease_);
}

}  // namespace glance::api
