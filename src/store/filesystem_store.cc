#include "glance/store/filesystem_store.h"

#include "glance/store/incoming_writeback.h"

#include "digest.h"
#include "unique_fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <memory>
#include <vector>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"

namespace glance {

namespace {

Status ErrnoStatus(const std::string& what, int error) {
  std::string message = what + ": " + std::strerror(error);
  if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
    return Status::TooLarge("Image storage media is full: " + message);
  }
  if (error == EACCES || error == EPERM || error == EROFS) {
    return Status::Unavailable("Permission to write image storage media denied: " + message);
  }
  if (error == ENOENT) return Status::NotFound(message);
  return Status::Unavailable(message);
}

// Hashes the whole file with one digest; reads with pread so that two
// digests can run on the same file at once.
Status DigestFile(const std::string& path, const EVP_MD* algorithm, std::string* hex,
                  int64_t* size) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("cannot open upload " + path, errno);
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  int error = DigestRange(fd.get(), algorithm, 0, -1, hex, size);
  if (error != 0) return ErrnoStatus("cannot read upload " + path, error);
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || fsync(fd.get()) != 0) return ErrnoStatus("cannot sync " + dir, errno);
  return Status::Ok();
}

// Regular files directly in `dir`.  A rename into the store keeps the
// upload's mtime but sets ctime, so for the store the later of the two says
// how long the file has been where it is; an upload still being written has
// a fresh mtime.
Status ListRegularFiles(const std::string& dir, bool (*wanted)(const std::string& name),
                        const std::string& key_prefix, std::vector<StoredEntry>* files) {
  struct CloseDir {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> handle(opendir(dir.c_str()));
  if (!handle) return Status::Unavailable("cannot read " + dir + ": " + std::strerror(errno));
  while (dirent* entry = readdir(handle.get())) {
    std::string name = entry->d_name;
    if (!wanted(name)) continue;
    struct stat st {};
    if (fstatat(dirfd(handle.get()), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode)) continue;
    files->push_back({key_prefix + name, st.st_mtime, std::max(st.st_mtime, st.st_ctime)});
  }
  return Status::Ok();
}

// kInvalidArgument unless `path` names a regular file directly inside
// `incoming_dir`; kNotFound when nothing is there.
Status CheckIncomingFile(const std::string& incoming_dir, const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || path.substr(0, slash) != incoming_dir ||
      path.find("/../") != std::string::npos || path.find('\0') != std::string::npos) {
    return Status::InvalidArgument("upload file is outside the incoming directory");
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return Status::NotFound("upload file is missing");
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("upload file is missing");
  return Status::Ok();
}

// Files not named like an image (in lower case) were not written by us.
bool NamedLikeImage(const std::string& name) { return IsUuidLike(name) && name == ToLower(name); }
bool AnyName(const std::string&) { return true; }

}  // namespace

FilesystemStore::FilesystemStore(std::string datadir, std::string incoming_dir,
                                 std::string serve_location, int file_mode)
    : datadir_(std::move(datadir)),
      incoming_dir_(std::move(incoming_dir)),
      serve_location_(std::move(serve_location)),
      file_mode_(file_mode) {
  while (datadir_.size() > 1 && datadir_.back() == '/') datadir_.pop_back();
  while (incoming_dir_.size() > 1 && incoming_dir_.back() == '/') incoming_dir_.pop_back();
}

std::string FilesystemStore::PathOf(const std::string& id) const { return datadir_ + "/" + id; }

Status FilesystemStore::Prepare() const {
  for (const std::string& dir : {datadir_, incoming_dir_}) {
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return ErrnoStatus("cannot create " + dir, errno);
    }
    if (access(dir.c_str(), W_OK | X_OK) != 0) return ErrnoStatus("cannot write " + dir, errno);
  }
  return Status::Ok();
}

Status FilesystemStore::CheckUpload(const std::string& path) const {
  Status s = CheckIncomingFile(incoming_dir_, path);
  if (s.code() == Status::Code::kNotFound) return Status::InvalidArgument(s.message());
  return s;
}

Status FilesystemStore::HashAndSync(const std::string& path, ImageDigests* digests) const {
  return Hash(path, true, digests);
}

Status FilesystemStore::HashWithoutSync(const std::string& path, ImageDigests* digests) const {
  return Hash(path, false, digests);
}

Status FilesystemStore::Hash(const std::string& path, bool sync, ImageDigests* digests) const {
  // MD5 and SHA-512 each run near 600 MB/s on one core and the flush is disk
  // bound: run all three at once, so the upload costs the slowest of them.
  auto flush = std::async(std::launch::async, [&path, sync]() -> Status {
    if (!sync) return Status::Ok();
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || fdatasync(fd.get()) != 0) return ErrnoStatus("cannot sync upload", errno);
    return Status::Ok();
  });
  // The companion hashed the body while nginx received it (most of it,
  // usually): its digests of exactly this file, or our own.
  if (!companion_socket_.empty() && AskCompanionForDigests(companion_socket_, path, digests).ok()) {
    LogDebug("upload " + path + ": digests from the companion");
    return flush.get();
  }
  int64_t sha_size = 0;
  std::string sha_hex;
  auto sha = std::async(std::launch::async, [&] {
    return DigestFile(path, EVP_sha512(), &sha_hex, &sha_size);
  });
  Status md5 = DigestFile(path, EVP_md5(), &digests->md5, &digests->size);
  Status sha_status = sha.get();
  Status flushed = flush.get();
  if (!md5.ok()) return md5;
  if (!sha_status.ok()) return sha_status;
  if (!flushed.ok()) return flushed;
  if (sha_size != digests->size) return Status::Conflict("upload changed while it was hashed");
  digests->sha512 = std::move(sha_hex);
  return Status::Ok();
}

Status FilesystemStore::Adopt(const std::string& upload_path, const std::string& id,
                              const ImageDigests&, std::string* location) const {
  if (!IsUuidLike(id)) return Status::InvalidArgument("invalid image id");
  if (chmod(upload_path.c_str(), static_cast<mode_t>(file_mode_)) != 0) {
    return ErrnoStatus("cannot set the mode of the upload", errno);
  }
  std::string target = PathOf(id);
  if (renameat2(AT_FDCWD, upload_path.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) return Status::Conflict("Image data already exists for " + id);
    return ErrnoStatus("cannot move upload into the store", errno);
  }
  Status synced = SyncDirectory(datadir_);
  if (!synced.ok()) return synced;
  *location = "file://" + target;
  return Status::Ok();
}

Status FilesystemStore::Remove(const std::string& id) const {
  if (!IsUuidLike(id)) return Status::NotFound("no such image data");
  if (unlink(PathOf(id).c_str()) != 0) {
    return ErrnoStatus("cannot remove image data " + id, errno);
  }
  return SyncDirectory(datadir_);
}

Status FilesystemStore::Size(const std::string& id, int64_t* size) const {
  if (!IsUuidLike(id)) return Status::NotFound("no such image data");
  struct stat st {};
  if (stat(PathOf(id).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::NotFound("Image data for " + id + " is missing from the store");
  }
  *size = st.st_size;
  return Status::Ok();
}

namespace {

constexpr char kCopyPrefix[] = "copy-";
// A copy file is created under this prefix and renamed to kCopyPrefix once
// locked: a sweeper never sees a named copy that is not yet locked.
constexpr char kNewCopyPrefix[] = ".copy-";

}  // namespace

Status FilesystemStore::NewCopyFile(const std::string& id, int* fd, std::string* path) const {
  if (!IsUuidLike(id)) return Status::InvalidArgument("invalid image id");
  std::string pattern = incoming_dir_ + "/" + kNewCopyPrefix + id + "-XXXXXX";
  int created = mkostemp(pattern.data(), O_CLOEXEC);
  if (created < 0) return ErrnoStatus("cannot create a copy file", errno);
  std::string final_path = incoming_dir_ + "/" + kCopyPrefix + pattern.substr(pattern.rfind('/') + 1 +
                                                                             sizeof kNewCopyPrefix - 1);
  if (flock(created, LOCK_EX) != 0 || rename(pattern.c_str(), final_path.c_str()) != 0) {
    Status s = ErrnoStatus("cannot prepare the copy file", errno);
    unlink(pattern.c_str());
    close(created);
    return s;
  }
  *fd = created;
  *path = final_path;
  return Status::Ok();
}

std::vector<std::string> FilesystemStore::ClaimOrphanCopies() const {
  std::vector<std::string> ids;
  DIR* dir = opendir(incoming_dir_.c_str());
  if (dir == nullptr) return ids;
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) names.emplace_back(entry->d_name);
  closedir(dir);
  for (const std::string& name : names) {
    bool named = name.rfind(kCopyPrefix, 0) == 0;
    if (!named && name.rfind(kNewCopyPrefix, 0) != 0) continue;
    std::string path = incoming_dir_ + "/" + name;
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0 || flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // alive
    unlink(path.c_str());
    size_t skip = named ? sizeof kCopyPrefix - 1 : sizeof kNewCopyPrefix - 1;
    std::string id = name.substr(skip, 36);
    if (IsUuidLike(id)) ids.push_back(id);
  }
  return ids;
}

UploadHold FilesystemStore::HoldUpload(const std::string& upload_path) const {
  if (!CheckUpload(upload_path).ok()) return UploadHold();
  int fd = open(upload_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) flock(fd, LOCK_SH);
  return UploadHold(fd);
}

bool FilesystemStore::InUse(const std::string& path) const {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) return false;  // cannot tell (not ours to read): not known in use
  return flock(fd.get(), LOCK_EX | LOCK_NB) != 0;
}

Status FilesystemStore::Discard(const std::string& upload_path) const {
  Status s = CheckIncomingFile(incoming_dir_, upload_path);
  if (!s.ok()) return s;
  if (unlink(upload_path.c_str()) == 0) return Status::Ok();
  if (errno == ENOENT) return Status::NotFound("upload file is missing");
  return Status::Unavailable(std::strerror(errno));
}

Status FilesystemStore::ListUploads(std::vector<StoredEntry>* uploads) const {
  // No incoming directory yet (nothing was ever uploaded) is not an error.
  struct stat st {};
  if (stat(incoming_dir_.c_str(), &st) != 0 && errno == ENOENT) return Status::Ok();
  return ListRegularFiles(incoming_dir_, AnyName, incoming_dir_ + "/", uploads);
}

Status FilesystemStore::Serve(const std::string& id, ServeTarget* target) const {
  if (!IsUuidLike(id)) return Status::NotFound("no such image data");
  target->redirect = serve_location_ + id;
  target->headers.clear();
  return Status::Ok();
}

Status FilesystemStore::ListImages(std::vector<StoredEntry>* images) const {
  return ListRegularFiles(datadir_, NamedLikeImage, "", images);
}

}  // namespace glance
