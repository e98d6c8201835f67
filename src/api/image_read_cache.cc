#include "image_read_cache.h"

#include <thread>

namespace glance::api {

namespace {

// Everything of the context the registry's answer may depend on (it sees
// the identity headers RegistryClient sends from these).
std::string CacheKey(const RequestContext& context, const std::string& what) {
  std::string key = what;
  key += context.is_admin ? "\na\n" : "\nu\n";
  for (const auto* part : {&context.owner, &context.tenant, &context.user}) {
    key += part->has_value() ? "=" + **part : "-";
    key += '\n';
  }
  for (const std::string& role : context.roles) key += role + ',';
  return key;
}

}  // namespace

bool ImageReadCache::ReadEpoch(const RequestContext& context, FreshRead::Reading* reading) {
  return epoch_read_
      .Get([&](int64_t* value) { return registry_.MetadataEpoch(context, value); }, reading)
      .ok();
}

void ImageReadCache::Apply(const FreshRead::Reading& reading) {
  // Threads may apply their readings out of order: only a newer one counts.
  if (reading.began <= newest_reading_) return;
  if (reading.value != epoch_) {
    images_.clear();
    pages_.clear();
    page_bytes_ = 0;
    epoch_ = reading.value;
  }
  newest_reading_ = reading.began;
  trusted_until_ = reading.began + lease_;
}

ImageReadCache::~ImageReadCache() {
  {
    std::lock_guard<std::mutex> lock(renew_mutex_);
    renew_stopping_ = true;
  }
  renew_wanted_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

void ImageReadCache::RenewSoon(const RequestContext& context) {
  std::lock_guard<std::mutex> lock(renew_mutex_);
  if (renew_for_ || renew_stopping_) return;
  renew_for_ = context;
  if (!renewer_.joinable()) renewer_ = std::thread([this] { RenewLoop(); });
  renew_wanted_.notify_one();
}

void ImageReadCache::RenewLoop() {
  std::unique_lock<std::mutex> lock(renew_mutex_);
  for (;;) {
    renew_wanted_.wait(lock, [this] { return renew_stopping_ || renew_for_; });
    if (renew_stopping_) return;
    RequestContext context = *renew_for_;
    context.request_id = ResolveRequestId(std::nullopt);  // its own, in the registry's log
    lock.unlock();
    FreshRead::Reading reading;
    if (ReadEpoch(context, &reading)) {
      std::lock_guard<std::mutex> applying(mutex_);
      Apply(reading);
    }
    lock.lock();
    renew_for_.reset();
  }
}

bool ImageReadCache::Trusted(const RequestContext& context, int64_t* epoch) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    if (now < trusted_until_) {
      *epoch = epoch_;
      bool renew = now > trusted_until_ - lease_ / 2;
      lock.unlock();
      if (renew) RenewSoon(context);
      return true;
    }
  }
  // The read began after this request arrived (FreshRead), so what it
  // vouches for is at least as new as the request, however long the read
  // took: a slow registry (or a sanitizer build) must not turn every read
  // into a miss.  Later requests trust it only for the rest of the lease.
  FreshRead::Reading reading;
  if (!ReadEpoch(context, &reading)) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  Apply(reading);
  *epoch = epoch_;
  return true;
}

Status ImageReadCache::CachedPage(const RequestContext& context, const std::string& key,
                                  const std::function<Status(Page*)>& load, Page* page) {
  FreshRead::Reading reading;
  if (!ReadEpoch(context, &reading)) return load(page);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Apply(reading);
    auto found = pages_.find(key);
    if (found != pages_.end() && found->second.epoch == reading.value) {
      *page = found->second;
      return Status::Ok();
    }
  }
  Status s = load(page);
  if (!s.ok() || page->body.size() > kMaxPageBytes / 8) return s;
  page->epoch = reading.value;
  std::lock_guard<std::mutex> lock(mutex_);
  if (epoch_ != reading.value) return s;  // the epoch moved meanwhile: not kept
  if (page_bytes_ + page->body.size() > kMaxPageBytes) {
    pages_.clear();
    page_bytes_ = 0;
  }
  auto [it, inserted] = pages_.try_emplace(key, *page);
  if (inserted) page_bytes_ += page->body.size();
  return s;
}

Status ImageReadCache::ListImagesJson(const RequestContext& context, bool detail,
                                      const std::string& query, std::string* body) {
  if (!enabled()) return registry_.ListImagesJson(context, detail, query, body);
  Page page;
  Status s = CachedPage(context, CacheKey(context, (detail ? "v1 detail?" : "v1 index?") + query),
                        [&](Page* loaded) {
                          return registry_.ListImagesJson(context, detail, query, &loaded->body);
                        },
                        &page);
  if (s.ok()) *body = std::move(page.body);
  return s;
}

Status ImageReadCache::ListImagesV2(const RequestContext& context, const std::string& query,
                                    std::string* images_array,
                                    std::optional<std::string>* next_marker) {
  if (!enabled()) return registry_.ListImagesV2(context, query, images_array, next_marker);
  Page page;
  Status s = CachedPage(context, CacheKey(context, "v2?" + query),
                        [&](Page* loaded) {
                          return registry_.ListImagesV2(context, query, &loaded->body,
                                                        &loaded->next_marker);
                        },
                        &page);
  if (!s.ok()) return s;
  *images_array = std::move(page.body);
  *next_marker = std::move(page.next_marker);
  return s;
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
