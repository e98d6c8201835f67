#include "glance/api/upload_guard.h"

#include <sys/statvfs.h>

#include <cctype>

namespace glance::api {

std::optional<int64_t> ParseStorageQuota(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 18) return std::nullopt;
  std::string unit = text.substr(digits);
  int shift = 0;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "KB") shift = 10;
  else if (unit == "MB") shift = 20;
  else if (unit == "GB") shift = 30;
  else if (unit == "TB") shift = 40;
  else return std::nullopt;
  int64_t value = std::stoll(text.substr(0, digits));
  if (value > (INT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

std::string QuotaRefusal(const std::string& reason) {
  return "Denying attempt to upload image because it exceeds the quota: " + reason;
}

std::string QuotaExceededMessage(std::optional<int64_t> size, int64_t remaining) {
  return QuotaRefusal("The size of the data " + (size ? std::to_string(*size) : std::string("None")) +
                      " will exceed the limit. " + std::to_string(remaining) + " bytes remaining.");
}

Status CheckQuota(int64_t quota, int64_t used, std::optional<int64_t> size) {
  if (quota <= 0) return Status::Ok();
  int64_t remaining = quota - used;
  bool fits = size ? *size <= remaining : remaining > 0;
  if (fits) return Status::Ok();
  return Status::TooLarge(QuotaExceededMessage(size, remaining));
}

Status CheckFreeSpace(const std::string& dir, std::optional<int64_t> size) {
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0) return Status::Ok();
  int64_t available = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
  int64_t needed = size ? *size : kMinFreeForUnknownSize;
  if (needed <= available) return Status::Ok();
  return Status::TooLarge(kStorageFullMessage);
}

}  // namespace glance::api
