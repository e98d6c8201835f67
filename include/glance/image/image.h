// The image model shared by the registry, its client and the API: an image
// record, its members, and a partial update ("these fields, these values").
// Plain value types; no locking.
#ifndef GLANCE_IMAGE_IMAGE_H_
#define GLANCE_IMAGE_IMAGE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace glance {

// v1 statuses (spec §9).
inline constexpr const char* kImageStatuses[] = {"queued", "saving", "active", "killed",
                                                 "deleted", "pending_delete"};
bool IsValidImageStatus(const std::string& status);

// Who sees an image (v2 contract §10); v1's is_public is visibility ==
// "public", and a v1 is_public=false write makes an image "shared".
inline constexpr const char* kVisibilities[] = {"public", "private", "shared", "community"};
bool IsValidVisibility(const std::string& visibility);

// A v2 member's answer to a share (v2 contract §8).
inline constexpr const char* kMemberStatuses[] = {"pending", "accepted", "rejected"};
bool IsValidMemberStatus(const std::string& status);

// Column limits of the schema (spec §17, §20.1).
inline constexpr size_t kMaxNameChars = 255;
inline constexpr size_t kMaxFormatChars = 20;
inline constexpr size_t kMaxChecksumChars = 32;
inline constexpr size_t kMaxOwnerChars = 255;
inline constexpr size_t kMaxPropertyKeyChars = 255;
inline constexpr size_t kMaxPropertyValueBytes = 65535;
inline constexpr size_t kMaxMemberChars = 255;
inline constexpr int64_t kMaxDbInt = 2147483647;  // min_disk, min_ram
inline constexpr size_t kMaxTagChars = 255;

struct ImageLocation {
  int64_t id = 0;
  std::string url;
  std::string metadata_json = "{}";
  std::string status = "active";
};

struct Image {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> disk_format;
  std::optional<std::string> container_format;
  std::optional<int64_t> size;
  std::optional<int64_t> virtual_size;
  std::string status;
  std::string visibility = "shared";
  bool os_hidden = false;
  std::optional<std::string> checksum;
  std::optional<std::string> os_hash_algo;
  std::optional<std::string> os_hash_value;
  int64_t min_disk = 0;
  int64_t min_ram = 0;
  std::optional<std::string> owner;
  bool is_protected = false;
  std::string created_at;  // display form, spec §5.4
  std::string updated_at;
  std::optional<std::string> deleted_at;
  bool deleted = false;
  std::map<std::string, std::string> properties;  // undeleted only
  std::vector<ImageLocation> locations;          // undeleted only
  std::vector<std::string> tags;                 // undeleted only, sorted, unique

  bool IsPublic() const { return visibility == "public"; }
};

// The location an image's data is read from: its first location whose
// status is active, or nullptr.  The rule's one C++ statement; the
// registry's list SQL (JsonColumn in src/db) says it again in SQL.
const ImageLocation* ActiveLocation(const Image& image);

struct ImageMember {
  std::string image_id;
  std::string member;
  bool can_share = false;
  std::string status = "pending";
  std::string created_at;
  std::string updated_at;
};

// A set of field changes.  An outer nullopt means "not given"; for the
// nullable columns an inner nullopt means "set to NULL".
struct ImageChanges {
  template <typename T>
  using Nullable = std::optional<T>;

  std::optional<std::string> id;
  std::optional<Nullable<std::string>> name;
  std::optional<Nullable<std::string>> disk_format;
  std::optional<Nullable<std::string>> container_format;
  std::optional<Nullable<int64_t>> size;
  std::optional<Nullable<int64_t>> virtual_size;
  std::optional<std::string> status;
  // v1's flag: true -> "public", false -> "shared"; `visibility` wins
  // when both are given.
  std::optional<bool> is_public;
  std::optional<std::string> visibility;
  std::optional<bool> os_hidden;
  std::optional<Nullable<std::string>> checksum;
  std::optional<Nullable<std::string>> os_hash_algo;
  std::optional<Nullable<std::string>> os_hash_value;
  std::optional<int64_t> min_disk;
  std::optional<int64_t> min_ram;
  std::optional<Nullable<std::string>> owner;
  std::optional<bool> is_protected;
  std::optional<std::string> created_at;  // UTC, database form
  std::optional<std::string> updated_at;
  std::optional<std::map<std::string, std::string>> properties;
  std::optional<Nullable<std::string>> location;  // the single v1 location
  std::optional<std::vector<std::string>> tags;    // the whole new set
};

// A member entry of "replace the whole set"; can_share absent means "keep
// the current value, or false for a new member".
struct MembershipEntry {
  std::string member;
  std::optional<bool> can_share;
};

}  // namespace glance

#endif  // GLANCE_IMAGE_IMAGE_H_
