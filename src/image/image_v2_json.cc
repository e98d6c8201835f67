// The v2 image and member objects (v2 contract §2, §8).
#include "glance/image/image_v2.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace glance::v2 {

using nlohmann::json;

namespace {

template <typename T>
json OrNull(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

}  // namespace

std::string V2Time(const std::string& display_time) {
  // "YYYY-MM-DDTHH:MM:SS" is 19 characters; the fraction is dropped, not
  // rounded, as upstream's isotime() does.
  constexpr size_t kSecondsPrefix = 19;
  if (display_time.size() < kSecondsPrefix) return display_time;
  std::string out = display_time.substr(0, kSecondsPrefix);
  if (out[10] == ' ') out[10] = 'T';
  out += 'Z';
  return out;
}

json ImageToJson(const Image& image) {
  json out = json::object();
  // Custom properties first, so that the core keys assigned below replace
  // any property that shares a name with one (a v1 client may set such a
  // property; v2 clients must still see the real attribute).
  for (const auto& [key, value] : image.properties) {
    if (key == kHiddenStageHostProperty) continue;
    out[key] = value;
  }
  out["id"] = image.id;
  out["name"] = OrNull(image.name);
  out["status"] = image.status;
  out["visibility"] = image.visibility;
  out["protected"] = image.is_protected;
  out["os_hidden"] = image.os_hidden;
  out["checksum"] = OrNull(image.checksum);
  out["os_hash_algo"] = OrNull(image.os_hash_algo);
  out["os_hash_value"] = OrNull(image.os_hash_value);
  out["owner"] = OrNull(image.owner);
  out["size"] = OrNull(image.size);
  out["virtual_size"] = OrNull(image.virtual_size);
  out["min_ram"] = image.min_ram;
  out["min_disk"] = image.min_disk;
  out["disk_format"] = OrNull(image.disk_format);
  out["container_format"] = OrNull(image.container_format);
  out["created_at"] = V2Time(image.created_at);
  out["updated_at"] = V2Time(image.updated_at);
  // The model keeps tags sorted and unique; sorting again costs little and
  // keeps the answer a set whoever filled the model.
  std::vector<std::string> tags = image.tags;
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  out["tags"] = json::array();
  for (std::string& tag : tags) out["tags"].push_back(std::move(tag));
  out["self"] = "/v2/images/" + image.id;
  out["file"] = "/v2/images/" + image.id + "/file";
  out["schema"] = "/v2/schemas/image";
  return out;
}

json MemberToJson(const ImageMember& member) {
  return {{"member_id", member.member},
          {"image_id", member.image_id},
          {"status", member.status},
          {"created_at", V2Time(member.created_at)},
          {"updated_at", V2Time(member.updated_at)},
          {"schema", "/v2/schemas/member"}};
}

}  // namespace glance::v2
