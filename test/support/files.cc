#include "files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "text.h"

namespace testsupport {

namespace fs = std::filesystem;

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

int64_t FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_directory(ec)) out.push_back(it->path().string());
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string TailOfFile(const std::string& path, size_t bytes) { return Tail(ReadFile(path), bytes); }

std::string TempPath(const std::string& stem, const std::string& suffix) {
  return RequireEnv("GLANCE_TEST_TMPDIR") + "/" + stem + "-" + std::to_string(getpid()) + "-" +
         std::to_string(NextNumber()) + suffix;
}

}  // namespace testsupport
