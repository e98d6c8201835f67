#include "glance/common/logging.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace glance {

namespace {
std::mutex component_mutex;
std::string component = "glance";
std::atomic<bool> debug_enabled{false};
std::mutex log_file_mutex;
std::string log_file_path;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kError: return "ERROR";
  }
  return "INFO";
}
}  // namespace

void SetLogComponent(std::string name) {
  std::lock_guard<std::mutex> lock(component_mutex);
  component = std::move(name);
}

void SetLogDebug(bool enabled) { debug_enabled = enabled; }
bool DebugLogging() { return debug_enabled; }

void Log(LogLevel level, std::string_view request_id, std::string_view message) {
  if (level == LogLevel::kDebug && !debug_enabled) return;
  timeval now{};
  gettimeofday(&now, nullptr);
  std::tm local{};
  localtime_r(&now.tv_sec, &local);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02d %02d:%02d:%02d.%03ld %d ",
                local.tm_year + 1900, local.tm_mon + 1, local.tm_mday, local.tm_hour,
                local.tm_min, local.tm_sec, static_cast<long>(now.tv_usec / 1000),
                static_cast<int>(getpid()));
  std::string line;
  line.reserve(128 + message.size());
  line += stamp;
  line += LevelName(level);
  line += ' ';
  {
    std::lock_guard<std::mutex> lock(component_mutex);
    line += component;
  }
  line += " [";
  line += request_id;
  line += "] ";
  line += message;
  line += '\n';
  // One write(2) per line keeps concurrent lines whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

bool RedirectLogToFile(const std::string& path, std::string* error) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = "cannot open log file " + path + ": " + std::strerror(errno);
    return false;
  }
  // dup2 swaps the descriptor atomically: a concurrent line goes whole to
  // the old file or the new one.
  dup2(fd, STDERR_FILENO);
  close(fd);
  std::lock_guard<std::mutex> lock(log_file_mutex);
  log_file_path = path;
  return true;
}

void ReopenLogFile() {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(log_file_mutex);
    path = log_file_path;
  }
  std::string error;
  if (!path.empty() && !RedirectLogToFile(path, &error)) LogError(error);
}

}  // namespace glance
