// Logging: oslo.log-style lines on stderr, one write per line so lines from
// different threads never interleave.
//   2026-11-26 00:01:53.123 4242 INFO glance.registry [req-…] message
#ifndef GLANCE_COMMON_LOGGING_H_
#define GLANCE_COMMON_LOGGING_H_

#include <string>
#include <string_view>

namespace glance {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// The program name shown in each line ("glance.registry"); set once at start.
void SetLogComponent(std::string component);
void SetLogDebug(bool enabled);

void Log(LogLevel level, std::string_view request_id, std::string_view message);
inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, "-", message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, "-", message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, "-", message); }

}  // namespace glance

#endif  // GLANCE_COMMON_LOGGING_H_
