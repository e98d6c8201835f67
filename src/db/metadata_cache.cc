#include "metadata_cache.h"

namespace glance::db {

bool MetadataCache::AtEpoch(int64_t epoch) {
  if (epoch < epoch_) return false;
  if (epoch > epoch_) {
    images_.clear();
    lists_.clear();
    list_bytes_ = 0;
    epoch_ = epoch;
  }
  return true;
}

std::shared_ptr<const Image> MetadataCache::FindImage(const std::string& lower_id, int64_t epoch) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!AtEpoch(epoch)) return nullptr;
  auto found = images_.find(lower_id);
  return found == images_.end() ? nullptr : found->second;
}

void MetadataCache::PutImage(const Image& image, int64_t epoch) {
  auto entry = std::make_shared<const Image>(image);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!AtEpoch(epoch)) return;
  if (images_.size() >= max_entries_) images_.clear();
  images_[image.id] = std::move(entry);
}

bool MetadataCache::FindList(const std::string& key, int64_t epoch, std::string* json_array,
                             ListTail* tail) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!AtEpoch(epoch)) return false;
  auto found = lists_.find(key);
  if (found == lists_.end()) return false;
  *json_array = found->second.json_array;
  if (tail) *tail = found->second.tail;
  return true;
}

void MetadataCache::PutList(const std::string& key, int64_t epoch, const std::string& json_array,
                            const ListTail& tail) {
  if (json_array.size() > kMaxListBytes / 4) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!AtEpoch(epoch)) return;
  if (lists_.size() >= max_entries_ || list_bytes_ + json_array.size() > kMaxListBytes) {
    lists_.clear();
    list_bytes_ = 0;
  }
  auto [it, inserted] = lists_.try_emplace(key, ListPage{json_array, tail});
  if (inserted) list_bytes_ += json_array.size();
}

}  // namespace glance::db
