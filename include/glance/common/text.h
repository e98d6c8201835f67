// Parsing and validation of the small strings that arrive from clients:
// integers, booleans, and metadata text (names, keys, member ids).
// All functions are pure and thread-safe.
#ifndef GLANCE_COMMON_TEXT_H_
#define GLANCE_COMMON_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glance/common/status.h"

namespace glance {

// Base-10 integer with optional sign, no spaces, no trailing garbage.
std::optional<int64_t> ParseInt64(std::string_view text);

// Glance's bool_from_string: true iff the lower-cased value is one of
// 1, t, true, on, y, yes.  Anything else is false.
bool BoolFromString(std::string_view text);

// Strict boolean for query filters: true/false/1/0 (case-insensitive).
std::optional<bool> ParseStrictBool(std::string_view text);

std::string ToLower(std::string_view text);
std::string Trim(std::string_view text);
std::vector<std::string> SplitAndTrim(std::string_view text, char separator);

// Metadata text rules (spec §20.1): valid UTF-8, no control characters
// (below U+0020 and U+007F), no 4-byte sequences, at most max_chars
// characters.  `what` names the field in the error message.
Status ValidateMetadataText(std::string_view value, size_t max_chars, std::string_view what);

// Number of UTF-8 characters, or nullopt when the text is not valid UTF-8.
std::optional<size_t> Utf8Length(std::string_view text);

// Percent-encodes everything but RFC 3986's unreserved characters, for a
// path segment or a query component.
std::string UrlEncode(std::string_view text);

// Decodes %XX and '+' of a URL query component.  Returns nullopt on a
// malformed escape.
std::optional<std::string> UrlDecode(std::string_view text, bool plus_is_space);

}  // namespace glance

#endif  // GLANCE_COMMON_TEXT_H_
