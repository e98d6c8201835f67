// FakeRegistry: a RegistryApi (glance/registry/registry_api.h) in memory,
// for unit tests of the api's handlers and upload flow.  It holds images
// and memberships the test puts in, records the calls made (`calls`, one
// "Method id[ arg]" string each), and answers `refuse[method]` instead
// when the test set one.  It applies no visibility rule of its own: what a
// test puts in is what every context sees.  Not thread-safe.
#ifndef GLANCE_TEST_UNIT_FAKE_REGISTRY_H_
#define GLANCE_TEST_UNIT_FAKE_REGISTRY_H_

#include <map>
#include <string>
#include <vector>

#include "glance/registry/registry_api.h"

namespace glance::test {

class FakeRegistry : public RegistryApi {
 public:
  std::map<std::string, Image> images;                            // by id
  std::map<std::string, std::vector<ImageMember>> members;        // by image id
  std::map<std::string, Status> refuse;                           // by method name
  std::vector<std::string> calls;
  int64_t usage = 0;  // what StorageUsage answers

  Image& AddImage(const std::string& id, const std::string& status, int64_t size) {
    Image& image = images[id];
    image.id = id;
    image.status = status;
    image.size = size;
    return image;
  }

  std::string Calls() const {
    std::string out;
    for (const std::string& c : calls) out += (out.empty() ? "" : "; ") + c;
    return out;
  }

  Status GetImage(const RequestContext&, const std::string& id, Image* image) override {
    if (Status s = Record("GetImage", id); !s.ok()) return s;
    auto it = images.find(id);
    if (it == images.end()) return Status::NotFound("No image found with ID " + id);
    *image = it->second;
    return Status::Ok();
  }
  Status ListImagesJson(const RequestContext&, bool detail, const std::string& query,
                        std::string* body) override {
    if (Status s = Record(detail ? "ListDetail" : "ListIndex", query); !s.ok()) return s;
    *body = R"({"images": []})";
    return Status::Ok();
  }
  Status CreateImage(const RequestContext&, const ImageChanges& c, Image* created) override {
    if (Status s = Record("CreateImage", c.id.value_or("")); !s.ok()) return s;
    created->id = c.id.value_or("");
    created->status = c.status.value_or("queued");
    images[created->id] = *created;
    return Status::Ok();
  }
  Status UpdateImage(const RequestContext&, const std::string& id, const ImageChanges& c,
                     const ImageUpdate&, Image* updated) override {
    if (Status s = Record("UpdateImage", id, c.status.value_or("")); !s.ok()) return s;
    Image& image = images[id];
    image.id = id;
    if (c.status) image.status = *c.status;
    *updated = image;
    return Status::Ok();
  }
  Status DeleteImage(const RequestContext&, const std::string& id, Image* deleted) override {
    if (Status s = Record("DeleteImage", id); !s.ok()) return s;
    auto it = images.find(id);
    if (it == images.end()) return Status::NotFound("No image found with ID " + id);
    *deleted = it->second;
    images.erase(it);
    return Status::Ok();
  }
  Status StorageUsage(const RequestContext&, int64_t* bytes) override {
    if (Status s = Record("StorageUsage", ""); !s.ok()) return s;
    *bytes = usage;
    return Status::Ok();
  }
  Status KillStaleUploads(const RequestContext&, int64_t, std::vector<std::string>*) override {
    return Record("KillStaleUploads", "");
  }

  Status ListMembers(const RequestContext&, const std::string& id,
                     std::vector<ImageMember>* out) override {
    if (Status s = Record("ListMembers", id); !s.ok()) return s;
    *out = members[id];
    return Status::Ok();
  }
  Status ReplaceMembers(const RequestContext&, const std::string& id,
                        const std::vector<MembershipEntry>& entries) override {
    if (Status s = Record("ReplaceMembers", id, std::to_string(entries.size())); !s.ok()) return s;
    std::vector<ImageMember>& list = members[id];
    list.clear();
    for (const MembershipEntry& e : entries) list.push_back({id, e.member, e.can_share.value_or(false), "pending", "", ""});
    return Status::Ok();
  }
  Status AddMember(const RequestContext&, const std::string& id, const std::string& member,
                   std::optional<bool> can_share) override {
    std::string share = can_share ? (*can_share ? "share" : "no-share") : "share-unset";
    if (Status s = Record("AddMember", id, member + " " + share); !s.ok()) return s;
    members[id].push_back({id, member, can_share.value_or(false), "pending", "", ""});
    return Status::Ok();
  }
  Status RemoveMember(const RequestContext&, const std::string& id,
                      const std::string& member) override {
    return Record("RemoveMember", id, member);
  }
  Status ListImagesV2(const RequestContext&, const std::string& query, std::string* array,
                      std::optional<std::string>* next_marker) override {
    if (Status s = Record("ListImagesV2", query); !s.ok()) return s;
    *array = "[]";
    next_marker->reset();
    return Status::Ok();
  }
  Status CreateMember(const RequestContext&, const std::string& id, const std::string& member,
                      ImageMember* created) override {
    if (Status s = Record("CreateMember", id, member); !s.ok()) return s;
    members[id].push_back({id, member, false, "pending", "", ""});
    *created = members[id].back();
    return Status::Ok();
  }
  Status SetMemberStatus(const RequestContext&, const std::string& id, const std::string& member,
                         const std::string& status, ImageMember* updated) override {
    if (Status s = Record("SetMemberStatus", id, member + " " + status); !s.ok()) return s;
    for (ImageMember& m : members[id]) {
      if (m.member != member) continue;
      m.status = status;
      *updated = m;
      return Status::Ok();
    }
    return Status::NotFound("Membership could not be found.");
  }
  Status SharedImages(const RequestContext&, const std::string& member,
                      std::vector<ImageMember>* shared) override {
    if (Status s = Record("SharedImages", member); !s.ok()) return s;
    for (const auto& [id, list] : members) {
      for (const ImageMember& m : list) {
        if (m.member == member) shared->push_back(m);
      }
    }
    return Status::Ok();
  }

 protected:
  // Records the call; the refusal set for `method`, if any, is its answer.
  Status Record(const std::string& method, const std::string& id, const std::string& arg = "") {
    calls.push_back(method + " " + id + (arg.empty() ? "" : " " + arg));
    auto it = refuse.find(method);
    return it == refuse.end() ? Status::Ok() : it->second;
  }
};

}  // namespace glance::test

#endif  // GLANCE_TEST_UNIT_FAKE_REGISTRY_H_
