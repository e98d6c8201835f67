// Internal to src/db: the row codec of images (the select lists over alias
// i and ParseImage, which reads them) and the SQL time forms every
// statement shares.
#ifndef GLANCE_SRC_DB_IMAGE_ROWS_H_
#define GLANCE_SRC_DB_IMAGE_ROWS_H_

#include <string>

#include "glance/db/image_repository.h"
#include "glance/image/image.h"
#include "sql_exec.h"

namespace glance::db {

// The current time as the schema stores it (UTC, timestamp without zone).
inline constexpr const char* kNow = "(now() AT TIME ZONE 'UTC')";

// The JSON array of an image's live tags, sorted (`alias` is the images
// alias of the enclosing query).
std::string TagsArray(const std::string& alias);

// A timestamp column in the display form (spec §5.4).
std::string DisplayTime(const std::string& column);

// Select list of an image row over alias i; ParseImage reads it in order.
// Without children the properties and locations are not queried and read
// as none (a row just inserted without them).
const std::string& ImageColumns(bool with_children = true);

// One list entry as a JSON object built by PostgreSQL over alias i, with
// the same keys and value forms as ImageToRegistryJson (spec §4.2, §16),
// or for kV2 as glance::v2::ImageToJson (v2 contract §2).
std::string JsonColumn(ListShape shape);

// An image from a row selected with ImageColumns.
Image ParseImage(const sql::Row& r);

}  // namespace glance::db

#endif  // GLANCE_SRC_DB_IMAGE_ROWS_H_
