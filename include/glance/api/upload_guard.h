// The limits an upload must fit before a byte of it is received and again
// once it is on disk: Glance's user_storage_quota and the free space of the
// store's filesystem.  Pure functions but for statvfs.
#ifndef GLANCE_API_UPLOAD_GUARD_H_
#define GLANCE_API_UPLOAD_GUARD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "glance/common/status.h"

namespace glance::api {

// user_storage_quota as upstream reads it: digits, optionally followed by
// B, KB, MB, GB or TB (binary multiples), no spaces; 0 means unlimited.
// nullopt for anything else.
std::optional<int64_t> ParseStorageQuota(const std::string& text);

// The 413 text of an upload the quota refuses, around the registry's (or
// QuotaExceededMessage's) reason: upload_utils' wording.
std::string QuotaRefusal(const std::string& reason);

// The 413 text of an upload the quota refuses (upstream's StorageQuotaFull
// inside upload_utils' message).  `size` is nullopt for a body of unknown
// length.
std::string QuotaExceededMessage(std::optional<int64_t> size, int64_t remaining);

// kTooLarge with QuotaExceededMessage unless `size` more bytes fit the
// `quota` next to `used` (a body of unknown size fits while anything is
// left, as upstream's check_quota).  Always OK for a quota of 0.
Status CheckQuota(int64_t quota, int64_t used, std::optional<int64_t> size);

inline constexpr const char* kStorageFullMessage =
    "Image storage media is full: There is not enough disk space on the image storage media.";

// kTooLarge (kStorageFullMessage) unless the filesystem holding `dir` has
// room for `size` bytes, or, for a body of unknown size, for at least
// kMinFreeForUnknownSize.  A directory that cannot be inspected passes:
// the write itself will tell.
inline constexpr int64_t kMinFreeForUnknownSize = 1 << 20;
Status CheckFreeSpace(const std::string& dir, std::optional<int64_t> size);

}  // namespace glance::api

#endif  // GLANCE_API_UPLOAD_GUARD_H_
