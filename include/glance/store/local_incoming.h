// LocalIncoming: the part of a Store that stays on local disk whatever
// holds the data — the incoming area nginx writes bodies to, and the copy
// files of copy-from — taken from a FilesystemStore.  The Swift store and
// StoreSet are built on it.
#ifndef GLANCE_STORE_LOCAL_INCOMING_H_
#define GLANCE_STORE_LOCAL_INCOMING_H_

#include <string>
#include <vector>

#include "glance/store/filesystem_store.h"
#include "glance/store/store.h"

namespace glance {

class LocalIncoming : public Store {
 public:
  // `local` must outlive this store (it may be a member of the derived
  // class: it is not used before the derived constructor has run).
  explicit LocalIncoming(const FilesystemStore& local) : local_(local) {}

  const std::string& incoming_dir() const override { return local_.incoming_dir(); }
  Status CheckUpload(const std::string& upload) const override { return local_.CheckUpload(upload); }
  UploadHold HoldUpload(const std::string& upload) const override { return local_.HoldUpload(upload); }
  bool InUse(const std::string& upload) const override { return local_.InUse(upload); }
  Status Discard(const std::string& upload) const override { return local_.Discard(upload); }
  Status ListUploads(std::vector<StoredEntry>* uploads) const override {
    return local_.ListUploads(uploads);
  }
  Status NewCopyFile(const std::string& id, int* fd, std::string* upload) const override {
    return local_.NewCopyFile(id, fd, upload);
  }
  std::vector<std::string> ClaimOrphanCopies() const override { return local_.ClaimOrphanCopies(); }

 protected:
  const FilesystemStore& local_;
};

}  // namespace glance

#endif  // GLANCE_STORE_LOCAL_INCOMING_H_
