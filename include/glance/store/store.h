// Store: where image data lives, as the api, the scrubber and a test see
// it.  FilesystemStore (filesystem_store.h) is the first implementation; the
// interface is written so that a Swift store (objects, segments, served by
// nginx proxying with a token) can implement it too.
//
// Two halves:
//
//  * The incoming area.  Image bytes never reach a worker through FastCGI:
//    nginx writes a request body to a file of a local directory and hands
//    the worker its path; an x-glance-api-copy-from copy is written by the
//    worker into a file of the same directory.  Either is an "upload",
//    named by that path.  This area is local whatever holds the data (a
//    Swift store would keep one too: nginx can only buffer a body on local
//    disk), which is why its operations, the copy-from helpers included
//    (NewCopyFile, ClaimOrphanCopies: a copy file is an upload the worker
//    writes itself, and it goes through the same Check/Hold/HashAndSync/
//    Adopt path), are part of this interface rather than of one
//    implementation, and why the api can hold a plain Store.
//
//  * The data of images, named by validated image id: settle an upload as
//    an image's data (HashAndSync, then Adopt, which answers the location
//    URI the registry records), tell nginx how to serve it (Serve), size,
//    remove and list it.
//
// An image becomes active only after Adopt succeeded: Adopt makes the data
// appear whole and durable, or not at all.  Every method is safe to call
// from several threads at once.
#ifndef GLANCE_STORE_STORE_H_
#define GLANCE_STORE_STORE_H_

#include <cstdint>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "glance/common/status.h"

namespace glance {

struct ImageDigests {
  int64_t size = 0;
  std::string md5;     // lower-case hex
  std::string sha512;  // lower-case hex
};

// How nginx sends an image's data: the worker answers
// `X-Accel-Redirect: <redirect>` and nginx serves that internal location
// (a file for the filesystem store; a proxy to Swift for a Swift store).
// `headers` go on the same answer for that location to read
// ($upstream_http_<name>, e.g. a token to proxy with); the location must
// not pass them on to the client.
struct ServeTarget {
  std::string redirect;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One thing a store holds, for the scrubber's sweeps.
struct StoredEntry {
  std::string key;           // the image id (ListImages) or the upload (ListUploads)
  std::time_t modified = 0;  // the last write
  std::time_t settled = 0;   // since when it has been where it is (>= modified)
};

// While alive, the upload it was made for counts as in use (InUse), so
// sweepers leave it alone however old it is.  Move-only; an empty hold
// (the upload could not be opened) holds nothing.
class UploadHold {
 public:
  UploadHold() = default;
  explicit UploadHold(int fd) : fd_(fd) {}
  UploadHold(UploadHold&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UploadHold& operator=(UploadHold&& other) noexcept;
  UploadHold(const UploadHold&) = delete;
  UploadHold& operator=(const UploadHold&) = delete;
  ~UploadHold();

  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;  // a descriptor holding a shared flock on the upload
};

class Store {
 public:
  virtual ~Store() = default;

  // Checks the store can be used (creating what is missing); glance-api
  // calls it before it serves.
  virtual Status Prepare() const = 0;

  // ---- the incoming area ----------------------------------------------

  // The local directory uploads arrive in (for free-space checks).
  virtual const std::string& incoming_dir() const = 0;
  // kInvalidArgument unless `upload` names a regular file directly inside
  // the incoming area.
  virtual Status CheckUpload(const std::string& upload) const = 0;
  // Holds `upload` while it is processed (see UploadHold); an empty hold
  // when it cannot be opened.
  virtual UploadHold HoldUpload(const std::string& upload) const = 0;
  // True when a living process holds the upload (an upload being hashed,
  // a copy being written).
  virtual bool InUse(const std::string& upload) const = 0;
  // Removes an upload that will not be adopted: kNotFound when it is not
  // there, kInvalidArgument when it is no upload; callers that only tidy
  // up may ignore the answer.
  virtual Status Discard(const std::string& upload) const = 0;
  // Every upload in the incoming area (key: the upload); none, and no
  // error, when the area does not exist yet.
  virtual Status ListUploads(std::vector<StoredEntry>* uploads) const = 0;
  // A new, empty upload for a copy of image `id`'s data, open for writing
  // in `*fd` (the caller closes it).  The open file holds an exclusive
  // flock for as long as the copying process lives, so ClaimOrphanCopies
  // can tell a copy in progress from one whose process died.
  virtual Status NewCopyFile(const std::string& id, int* fd, std::string* upload) const = 0;
  // Removes the copy files no living process holds and returns the ids of
  // their images (those copies will never finish).
  virtual std::vector<std::string> ClaimOrphanCopies() const = 0;

  // ---- image data ------------------------------------------------------

  // Size and digests of an upload (MD5 for the v1 checksum, SHA-512 for
  // os_hash_value), which is also made durable.
  virtual Status HashAndSync(const std::string& upload, ImageDigests* digests) const = 0;
  // Makes a hashed and synced upload the data of image `id`: kConflict if
  // the image already has data, kTooLarge when the store is full,
  // kUnavailable when it cannot be written.  `location` receives the URI
  // the registry records.
  // `digests` are HashAndSync's of the same upload (a remote store checks
  // what it received against them).
  virtual Status Adopt(const std::string& upload, const std::string& id,
                       const ImageDigests& digests, std::string* location) const = 0;
  // Size of the stored data, or kNotFound.
  virtual Status Size(const std::string& id, int64_t* size) const = 0;
  bool Exists(const std::string& id) const;
  // How nginx is to serve image `id`'s data (the caller has checked that
  // it exists).
  virtual Status Serve(const std::string& id, ServeTarget* target) const = 0;
  // Serve after checking that the data exists: kNotFound when it does not.
  // A store with a local copy of the data (the image cache) may answer
  // from it alone, so a download need not wait for, or on, the remote store.
  virtual Status ServeStored(const std::string& id, ServeTarget* target) const;
  // Removes the data of image `id`; kNotFound when there is none.
  virtual Status Remove(const std::string& id) const = 0;
  // The data the store holds, as image ids (key) it was written for;
  // anything else it may contain is not listed.
  virtual Status ListImages(std::vector<StoredEntry>* images) const = 0;
  // Whether an upload could be stored now (a remote store that is down
  // refuses it before its body is received); Ok for a local store.
  virtual Status CheckWritable() const { return Status::Ok(); }
  // Forgets the local copies kept beside the data (nginx's image cache)
  // of an image that is going; the data itself stays for Remove.
  virtual void DropCached(const std::string& /*id*/) const {}
};

}  // namespace glance

#endif  // GLANCE_STORE_STORE_H_
