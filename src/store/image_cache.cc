#include "glance/store/image_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>

#include "digest.h"
#include "glance/common/uuid.h"

namespace glance {

namespace {

bool IsCacheFileName(const std::string& name) {
  return name.size() == 32 && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Calls `visit` with the path of every cache file below `dir` (nginx's
// temporary files, named <hash>.<n>, are skipped).
Status ForEachCacheFile(const std::string& dir, int depth,
                        const std::function<void(const std::string&, const struct stat&)>& visit) {
  struct CloseDir {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> handle(opendir(dir.c_str()));
  if (!handle) {
    if (errno == ENOENT && depth == 0) return Status::Ok();
    return Status::Unavailable("cannot read " + dir + ": " + std::strerror(errno));
  }
  while (dirent* entry = readdir(handle.get())) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && depth < 2) {
      if (Status s = ForEachCacheFile(path, depth + 1, visit); !s.ok()) return s;
    } else if (S_ISREG(st.st_mode) && depth == 2 && IsCacheFileName(name)) {
      visit(path, st);
    }
  }
  return Status::Ok();
}

// The key nginx wrote into the file's header ("\nKEY: <key>\n").
std::string KeyOf(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string head(4096, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(file.gcount()));
  size_t at = head.find("\nKEY: ");
  if (at == std::string::npos) return "";
  at += 6;
  size_t end = head.find('\n', at);
  return end == std::string::npos ? "" : head.substr(at, end - at);
}

}  // namespace

std::string ImageCache::PathOf(const std::string& id) const {
  std::string h = Md5Hex(id);
  return dir_ + "/" + h.substr(31, 1) + "/" + h.substr(29, 2) + "/" + h;
}

bool ImageCache::Holds(const std::string& id) const {
  struct stat info;
  return IsUuidLike(id) && stat(PathOf(id).c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

Status ImageCache::Remove(const std::string& id) const {
  if (!IsUuidLike(id)) return Status::NotFound("not a cached image");
  if (unlink(PathOf(id).c_str()) == 0) return Status::Ok();
  if (errno == ENOENT) return Status::NotFound("Image " + id + " is not cached");
  return Status::Unavailable("cannot remove the cached copy of " + id + ": " + std::strerror(errno));
}

Status ImageCache::RemoveAll(int* removed) const {
  *removed = 0;
  return ForEachCacheFile(dir_, 0, [removed](const std::string& path, const struct stat&) {
    if (unlink(path.c_str()) == 0) ++*removed;
  });
}

Status ImageCache::List(std::vector<CachedImage>* images) const {
  return ForEachCacheFile(dir_, 0, [images](const std::string& path, const struct stat& st) {
    std::string key = KeyOf(path);
    if (!IsUuidLike(key)) return;
    images->push_back({key, static_cast<int64_t>(st.st_size), st.st_mtime, st.st_atime});
  });
}

void ImageCache::Touch(const std::string& id) const {
  if (!IsUuidLike(id)) return;
  const timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  utimensat(AT_FDCWD, PathOf(id).c_str(), times, 0);
}

}  // namespace glance
