// The x-image-meta-* header codec of the v1 API (spec §5).
//
// Requests: header names arrive in CGI form (X_IMAGE_META_DISK_FORMAT), so
// "-" and "_" are already one and the same, as Glance treats them.
// Responses: one x-image-meta-<field> per non-null field, properties as
// x-image-meta-property-<key>, booleans as True/False.
#ifndef GLANCE_IMAGE_IMAGE_HEADERS_H_
#define GLANCE_IMAGE_IMAGE_HEADERS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "glance/common/status.h"
#include "glance/image/image.h"

namespace glance {

using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

struct ImageMetaHeaders {
  ImageChanges changes;                    // fields the client gave, typed and checked
  std::optional<std::string> raw_id;       // as sent (the caller decides what a bad one means)
  std::optional<std::string> raw_status;   // as sent; never applied from clients
  std::optional<std::string> location;     // x-image-meta-location
  std::optional<std::string> copy_from;    // x-glance-api-copy-from / x-image-meta-copy_from
  std::optional<std::string> store;        // x-image-meta-store
};

// Parses the request headers (CGI names without the HTTP_ prefix).
// Errors (all kInvalidArgument) carry the spec's messages: "Bad header: ...",
// "Cannot convert image size 'x' to an integer.", "Cannot be a negative
// value.", "'min_ram' value out of range...", "Invalid time format for
// created_at.", "Image name too long", "Invalid checksum '...': can't exceed
// 32 characters".
Status ParseImageMetaHeaders(const HeaderPairs& cgi_headers, ImageMetaHeaders* meta);

// The response headers describing an image (HEAD and GET).
HeaderPairs ImageToMetaHeaders(const Image& image);

}  // namespace glance

#endif  // GLANCE_IMAGE_IMAGE_HEADERS_H_
