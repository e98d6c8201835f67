// FilesystemStore: image bytes as files named by image id in one directory
// (Glance's `filesystem_store_datadir`).
//
// Uploads arrive as files nginx already wrote into `incoming_dir`, which
// lives on the same filesystem.  Adopting one means: hash it (MD5 for the
// v1 checksum and SHA-512 for os_hash_value) while it is flushed to disk,
// all three at once, then rename it to <datadir>/<id> without replacing
// anything and fsync the directory.  A file therefore appears in the store only whole and
// hashed.  Paths are built only from validated image ids, never from client
// text.  Thread-safe (no shared mutable state).
#ifndef GLANCE_STORE_FILESYSTEM_STORE_H_
#define GLANCE_STORE_FILESYSTEM_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "glance/common/status.h"

namespace glance {

struct ImageDigests {
  int64_t size = 0;
  std::string md5;     // lower-case hex
  std::string sha512;  // lower-case hex
};

class FilesystemStore {
 public:
  FilesystemStore(std::string datadir, std::string incoming_dir, int file_mode = 0640);

  const std::string& datadir() const { return datadir_; }
  const std::string& incoming_dir() const { return incoming_dir_; }

  // kInvalidArgument unless `path` names a regular file directly inside the
  // incoming directory.
  Status CheckUpload(const std::string& path) const;
  // Size and digests of an uploaded file, which is also flushed to disk:
  // MD5, SHA-512 and the flush run on three threads at once.
  Status HashAndSync(const std::string& path, ImageDigests* digests) const;
  // Makes a hashed and synced upload the data of image `id`: kConflict if
  // the image already has data, kTooLarge when the disk is full,
  // kUnavailable when the store cannot be written.  `location` receives the
  // file:// URI.
  Status Adopt(const std::string& upload_path, const std::string& id, std::string* location) const;
  // Removes the data of image `id`; kNotFound when there is none.
  Status Remove(const std::string& id) const;
  // Size of the stored data, or kNotFound.
  Status Size(const std::string& id, int64_t* size) const;
  // Removes an upload that will not be adopted (ignores a missing file).
  void Discard(const std::string& upload_path) const;

  // While the returned descriptor is open, the upload file holds a shared
  // flock: sweepers of the incoming directory (the scrubber) leave files
  // someone is hashing alone, however old.  -1 when it cannot be opened.
  int HoldUpload(const std::string& upload_path) const;
  // True when a living process holds a flock on the file (an upload being
  // hashed, a copy being written).
  static bool InUse(const std::string& path);

  // A new, empty file in the incoming directory for a copy of image `id`'s
  // data, open for writing in `*fd` (the caller closes it).  The open file
  // holds an exclusive flock for as long as the copying process lives, so
  // ClaimOrphanCopies can tell a copy in progress from one whose process
  // died.
  Status NewCopyFile(const std::string& id, int* fd, std::string* path) const;
  // Removes the copy files no living process holds and returns the ids of
  // their images (those copies will never finish).
  std::vector<std::string> ClaimOrphanCopies() const;

  // Checks the directories exist and are writable; creates them if missing.
  Status Prepare() const;

 private:
  std::string PathOf(const std::string& id) const;

  std::string datadir_;
  std::string incoming_dir_;
  int file_mode_;
};

}  // namespace glance

#endif  // GLANCE_STORE_FILESYSTEM_STORE_H_
