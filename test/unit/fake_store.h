// FakeStore: a Store (glance/store/store.h) in memory, for tests of what
// uses a store (the scrubber).  Image data and uploads are entries with
// times the test chooses; uploads in `in_use` count as held.  What was
// removed or discarded is recorded.  Not thread-safe.
#ifndef GLANCE_TEST_UNIT_FAKE_STORE_H_
#define GLANCE_TEST_UNIT_FAKE_STORE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "glance/store/store.h"

namespace glance::test {

class FakeStore : public Store {
 public:
  // mutable: a Store's methods are const (it keeps its state elsewhere).
  mutable std::map<std::string, StoredEntry> images;   // by id
  mutable std::map<std::string, StoredEntry> uploads;  // by upload name
  std::set<std::string> in_use;
  mutable std::vector<std::string> removed;    // ids, in call order
  mutable std::vector<std::string> discarded;  // uploads, in call order
  Status fail_listing = Status::Ok();          // what both List methods answer

  void AddImage(const std::string& id, std::time_t settled) { images[id] = {id, settled, settled}; }
  void AddUpload(const std::string& name, std::time_t modified) {
    uploads[name] = {name, modified, modified};
  }

  Status Prepare() const override { return Status::Ok(); }

  const std::string& incoming_dir() const override { return incoming_dir_; }
  Status CheckUpload(const std::string& upload) const override {
    return uploads.count(upload) ? Status::Ok() : Status::InvalidArgument("no such upload");
  }
  UploadHold HoldUpload(const std::string&) const override { return UploadHold(); }
  bool InUse(const std::string& upload) const override { return in_use.count(upload) > 0; }
  Status Discard(const std::string& upload) const override {
    discarded.push_back(upload);
    return uploads.erase(upload) ? Status::Ok() : Status::NotFound("no such upload");
  }
  Status ListUploads(std::vector<StoredEntry>* out) const override {
    return List(uploads, out);
  }
  Status NewCopyFile(const std::string&, int*, std::string*) const override {
    return Status::Unavailable("the fake store makes no copy files");
  }
  std::vector<std::string> ClaimOrphanCopies() const override { return {}; }

  Status HashAndSync(const std::string&, ImageDigests*) const override {
    return Status::Unavailable("the fake store hashes nothing");
  }
  Status Adopt(const std::string&, const std::string&, const ImageDigests&,
               std::string*) const override {
    return Status::Unavailable("the fake store adopts nothing");
  }
  Status Size(const std::string& id, int64_t* size) const override {
    if (!images.count(id)) return Status::NotFound("no such image data");
    *size = 1;
    return Status::Ok();
  }
  Status Serve(const std::string& id, ServeTarget* target) const override {
    target->redirect = "/_fake/" + id;
    target->headers = {{"X-Fake-Token", "secret"}};
    return Status::Ok();
  }
  Status Remove(const std::string& id) const override {
    removed.push_back(id);
    return images.erase(id) ? Status::Ok() : Status::NotFound("no such image data");
  }
  Status ListImages(std::vector<StoredEntry>* out) const override { return List(images, out); }

 private:
  Status List(const std::map<std::string, StoredEntry>& from,
              std::vector<StoredEntry>* out) const {
    if (!fail_listing.ok()) return fail_listing;
    for (const auto& [key, entry] : from) out->push_back(entry);
    return Status::Ok();
  }

  std::string incoming_dir_ = "/fake/incoming";
};

}  // namespace glance::test

#endif  // GLANCE_TEST_UNIT_FAKE_STORE_H_
