// Internal to src/image: what each top-level key of a v2 image means to a
// request (read-only, reserved, core, custom) and the image schema's rule
// for its value.  Create (v2_request.cc) and PATCH (json_patch.cc) share it
// so that both refuse exactly the same values.
#ifndef GLANCE_SRC_IMAGE_V2_FIELDS_H_
#define GLANCE_SRC_IMAGE_V2_FIELDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "glance/common/request_context.h"
#include "glance/common/status.h"

namespace glance::v2::internal {

enum class Request { kCreate, kPatch };

// Server-owned keys: 403 "Attribute 'k' is read-only.".  PATCH adds "id"
// (create may choose it); both refuse os_hash_algo/os_hash_value.
bool IsReadOnly(const std::string& key, Request request);
// location, locations, deleted, deleted_at and the os_glance namespace:
// 403 "Attribute 'k' is reserved.".
bool IsReserved(const std::string& key);
Status ReadOnlyError(const std::string& key);
// Client text as an error message may show it: unchanged when it is valid
// UTF-8, else with every non-ASCII byte as '?' (a message must survive
// JSON encoding, which throws on invalid UTF-8).
std::string Printable(const std::string& text);
Status ReservedError(const std::string& key);

// The writable attributes of the image itself (not custom properties):
// name, visibility, protected, os_hidden, min_ram, min_disk, owner,
// disk_format, container_format, tags.
bool IsCoreAttribute(const std::string& key);

// The image schema's rule for `value` under `key` (400 on violation):
// core types and enums, Debian's typed extras, and for any other key a
// custom property (key 1-255 characters of metadata text, value a string).
Status CheckValue(const std::string& key, const nlohmann::json& value);

// Only for values CheckValue accepted.
std::optional<std::string> NullableString(const nlohmann::json& value);
std::vector<std::string> TagSet(const nlohmann::json& value);  // sorted, unique

// The extras whose schema type admits null (kernel_id, ramdisk_id); null
// there means "no such property", as we store only strings.
bool IsNullableExtra(const std::string& key);

// Policy shared by both requests.
Status CheckVisibilityAllowed(const std::string& visibility, const RequestContext& context);
Status TagQuota(size_t count, size_t quota);
// Counts the properties outside the os_glance namespace, as upstream does.
Status PropertyQuota(const std::map<std::string, std::string>& properties, size_t quota);

}  // namespace glance::v2::internal

#endif  // GLANCE_SRC_IMAGE_V2_FIELDS_H_
