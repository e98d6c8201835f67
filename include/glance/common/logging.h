// Logging: oslo.log-style lines on stderr, one write per line so lines from
// different threads never interleave.  The bracket holds oslo's context:
// request id, user, tenant and three unused domain fields, or "-" for a
// line outside any request.
//   2026-11-26 00:01:53.123 4242 INFO glance.registry [req-… user tenant - - -] message
// With `log_file` configured, stderr itself is pointed at the file, so
// output of libraries lands there too.
#ifndef GLANCE_COMMON_LOGGING_H_
#define GLANCE_COMMON_LOGGING_H_

#include <string>
#include <string_view>

namespace glance {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// The program name shown in each line ("glance.registry"); set once at start.
void SetLogComponent(std::string component);
void SetLogDebug(bool enabled);
// Whether debug lines are written (--debug, [DEFAULT] debug): lets hot
// paths skip building a message nobody will read.
bool DebugLogging();

void Log(LogLevel level, std::string_view request_id, std::string_view message);
inline void LogDebug(std::string_view message) { Log(LogLevel::kDebug, "-", message); }
inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, "-", message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, "-", message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, "-", message); }

// Points stderr at `path` (appending, created 0640).  False with `error`
// set when the file cannot be opened; stderr is then left as it was.
bool RedirectLogToFile(const std::string& path, std::string* error);
// Opens the log file again (after logrotate moved it); a no-op without one.
void ReopenLogFile();

}  // namespace glance

#endif  // GLANCE_COMMON_LOGGING_H_
