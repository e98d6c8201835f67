// The Image API v2 view of the model (v2 contract §2, §8, §9): image and
// member objects as v2 clients see them, and the JSON schemas that
// python-glanceclient fetches and validates every answer against.
// Pure functions, no I/O; thread-safe.
#ifndef GLANCE_IMAGE_IMAGE_V2_H_
#define GLANCE_IMAGE_IMAGE_V2_H_

#include <string>

#include <nlohmann/json.hpp>

#include "glance/image/image.h"

namespace glance::v2 {

// The formats the v2 schema's enums allow (upstream 25.1's defaults of
// [image_format] disk_formats / container_formats).  Create and PATCH
// validate against exactly these, so that whatever we accept the schema
// declares valid.
inline constexpr const char* kDiskFormats[] = {"ami", "ari",   "aki", "vhd", "vhdx", "vmdk",
                                               "raw", "qcow2", "vdi", "iso", "ploop"};
inline constexpr const char* kContainerFormats[] = {"ami", "ari", "aki",    "bare",
                                                    "ovf", "ova", "docker", "compressed"};

// The one custom property v2 never shows (v2 contract §2).
inline constexpr char kHiddenStageHostProperty[] = "os_glance_stage_host";

// v2 times are UTC to the second with a "Z": "YYYY-MM-DDTHH:MM:SSZ", made
// from the model's display form "YYYY-MM-DDTHH:MM:SS.ffffff" (a space in
// place of the "T" is accepted too).  Text shorter than a full time is
// returned unchanged.
std::string V2Time(const std::string& display_time);

// The v2 image object (§2): every core key always present (null where
// unset), custom properties as top-level string keys; a core key wins over
// a custom property of the same name and os_glance_stage_host is left out.
// The registry's list SQL renders the same key set; change both together.
nlohmann::json ImageToJson(const Image& image);

// {member_id, image_id, status, created_at, updated_at, schema} (§8).
// Call it qualified (v2::MemberToJson): glance::MemberToJson, the v1 entry,
// takes the same argument and ADL finds it too.
nlohmann::json MemberToJson(const ImageMember& member);

// The documents of GET /v2/schemas/{image,images,member,members} (§9), in
// the shape upstream 25.1 serves them (with Debian's schema-image.json
// extras in the image schema).  Built once; the references stay valid for
// the life of the program.
const nlohmann::json& ImageSchema();
const nlohmann::json& ImagesSchema();
const nlohmann::json& MemberSchema();
const nlohmann::json& MembersSchema();

}  // namespace glance::v2

#endif  // GLANCE_IMAGE_IMAGE_V2_H_
