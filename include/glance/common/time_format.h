// Timestamps as Glance shows them: UTC, "YYYY-MM-DDTHH:MM:SS.ffffff".
#ifndef GLANCE_COMMON_TIME_FORMAT_H_
#define GLANCE_COMMON_TIME_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glance {

// Parses ISO 8601: a date, optionally "T" or " " and a time with optional
// seconds and fraction, optionally "Z" or a +hh[:mm]/-hh[:mm] offset.
// Returns the instant in UTC as "YYYY-MM-DD HH:MM:SS.ffffff" (the form
// PostgreSQL reads), or nullopt when the text is not such a timestamp (a
// date that does not exist included) or the instant in UTC falls outside
// the years 1900 to 9999.
std::optional<std::string> ParseIsoTimeToUtc(std::string_view text);
// The same instant as whole seconds since the epoch (a naive time is UTC).
std::optional<int64_t> ParseIsoTimeToEpochSeconds(std::string_view text);

// The current UTC time in Glance's display form.
std::string NowIsoTime();

}  // namespace glance

#endif  // GLANCE_COMMON_TIME_FORMAT_H_
