// FilesystemStore: image bytes as files named by image id in one directory
// (Glance's `filesystem_store_datadir`); the first Store (store.h).
//
// Uploads arrive as files nginx already wrote into `incoming_dir`, which
// lives on the same filesystem.  Adopting one means: hash it (MD5 for the
// v1 checksum and SHA-512 for os_hash_value) while it is flushed to disk,
// all three at once, then rename it to <datadir>/<id> without replacing
// anything and fsync the directory.  A file therefore appears in the store only whole and
// hashed.  nginx serves it from the internal location `serve_location`
// (an `alias` of the data directory) with sendfile and Range.  Paths are
// built only from validated image ids, never from client text.  Holds and
// copy files are flocks on the open files.  Thread-safe (no shared mutable
// state).
#ifndef GLANCE_STORE_FILESYSTEM_STORE_H_
#define GLANCE_STORE_FILESYSTEM_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "glance/common/status.h"
#include "glance/store/store.h"

namespace glance {

class FilesystemStore : public Store {
 public:
  static constexpr char kDefaultServeLocation[] = "/_glance_image_data/";

  FilesystemStore(std::string datadir, std::string incoming_dir,
                  std::string serve_location = kDefaultServeLocation, int file_mode = 0640);

  const std::string& datadir() const { return datadir_; }
  // Asks glance-api's upload companion (incoming_writeback.h), listening on
  // `socket`, for the digests of an upload before hashing it here.
  void UseUploadCompanion(std::string socket) { companion_socket_ = std::move(socket); }

  Status Prepare() const override;

  const std::string& incoming_dir() const override { return incoming_dir_; }
  Status CheckUpload(const std::string& path) const override;
  // A shared flock on the upload file.
  UploadHold HoldUpload(const std::string& upload_path) const override;
  // True when a living process holds a flock on the file.
  bool InUse(const std::string& path) const override;
  Status Discard(const std::string& upload_path) const override;
  // Regular files directly in the incoming directory, by path.
  Status ListUploads(std::vector<StoredEntry>* uploads) const override;
  Status NewCopyFile(const std::string& id, int* fd, std::string* path) const override;
  std::vector<std::string> ClaimOrphanCopies() const override;

  // MD5, SHA-512 and the flush (fdatasync) run on three threads at once.
  Status HashAndSync(const std::string& path, ImageDigests* digests) const override;
  // The same digests for an upload that goes elsewhere (Swift): its local
  // file is temporary, so flushing it would only cost disk time.
  Status HashWithoutSync(const std::string& path, ImageDigests* digests) const;
  // rename(2) into the data directory without replacing, then fsync of the
  // directory; `location` is the file:// URI.
  Status Adopt(const std::string& upload_path, const std::string& id, const ImageDigests& digests,
               std::string* location) const override;
  Status Size(const std::string& id, int64_t* size) const override;
  // <serve_location><id>, no extra headers.
  Status Serve(const std::string& id, ServeTarget* target) const override;
  Status Remove(const std::string& id) const override;
  // Regular files named like an image id (lower case); a file's `settled`
  // is the later of mtime and ctime, which the rename into the store sets.
  Status ListImages(std::vector<StoredEntry>* images) const override;

 private:
  std::string PathOf(const std::string& id) const;
  Status Hash(const std::string& path, bool sync, ImageDigests* digests) const;

  std::string datadir_;
  std::string incoming_dir_;
  std::string serve_location_;
  int file_mode_;
  std::string companion_socket_;
};

}  // namespace glance

#endif  // GLANCE_STORE_FILESYSTEM_STORE_H_
