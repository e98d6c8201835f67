#include "glance/store/swift_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <future>
#include <set>

#include <nlohmann/json.hpp>

#include "digest.h"
#include "unique_fd.h"
#include "glance/common/logging.h"
#include "glance/common/time_format.h"
#include "glance/common/uuid.h"
#include "swift_account.h"
#include "swift_http.h"

namespace glance {

using nlohmann::json;
using swift::Reply;
using swift::Session;

namespace {

std::string Unquoted(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

std::string SegmentName(const std::string& id, int64_t index) {
  char number[24];
  std::snprintf(number, sizeof number, "%08lld", static_cast<long long>(index));
  return id + "/" + number;
}

// Clients learn what failed, the log also where and how (addresses and
// Swift's answers are the operator's business).
Status Outage(const std::string& what, const Reply& reply) {
  LogError("swift store: " + what + ": " + reply.Describe());
  return Status::Unavailable("The image store is unavailable (" + what + "); try again later.");
}

Status Outage(const std::string& what, const Status& cause) {
  LogError("swift store: " + what + ": " + cause.message());
  return Status::Unavailable("The image store is unavailable (" + what + "); try again later.");
}

}  // namespace

SwiftStore::SwiftStore(SwiftStoreOptions options, const FilesystemStore& local,
                       std::string serve_location, std::string cache_zone)
    : LocalIncoming(local),
      options_(std::move(options)),
      serve_location_(std::move(serve_location)),
      cache_zone_(std::move(cache_zone)),
      account_(std::make_unique<swift::SwiftAccount>(options_)) {}

SwiftStore::~SwiftStore() = default;

Reply SwiftStore::Request(const std::string& method, const std::string& object_path,
                          const std::string& query, const std::string& body,
                          const std::vector<std::pair<std::string, std::string>>& headers) const {
  Reply reply;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Session session;
    Status s = account_->Current(&session);
    if (!s.ok()) {
      reply = Reply();
      reply.error = s.message();
      return reply;
    }
    httplib::Headers sent{{"X-Auth-Token", session.token}};
    for (const auto& [name, value] : headers) sent.emplace(name, value);
    std::string path = session.storage.path + object_path + (query.empty() ? "" : "?" + query);
    reply = swift::Send(session.storage, method, path, sent, body, options_.timeout_seconds);
    if (reply.status != 401) return reply;
    account_->Refused(session.token);
  }
  return reply;
}

Status SwiftStore::EnsureContainer(const std::string& container) const {
  Reply reply = Request("PUT", "/" + container, "", "", {});
  if (reply.status == 201 || reply.status == 202) {
    LogInfo("swift store: container " + container + " ready");
    return Status::Ok();
  }
  return Outage("cannot create container " + container, reply);
}

// One object from a range of the upload.  A known `md5` goes along for
// Swift to check; either way `*etag` receives what Swift says it stored.
// With `if_none_match` an existing object is a conflict.
Status SwiftStore::PutObject(const std::string& container, const std::string& name, int fd,
                             off_t offset, int64_t length, const std::string& md5,
                             bool if_none_match, std::string* etag) const {
  bool created_container = false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    Session session;
    Status s = account_->Current(&session);
    if (!s.ok()) return Outage("storing " + name, s);
    httplib::Headers headers{{"X-Auth-Token", session.token},
                             {"Content-Type", "application/octet-stream"}};
    if (!md5.empty()) headers.emplace("ETag", md5);
    if (if_none_match) headers.emplace("If-None-Match", "*");
    Reply reply = swift::PutFileRange(session.storage, session.storage.path + "/" + container + "/" + name,
                                      headers, fd, offset, length, options_.timeout_seconds);
    switch (reply.status) {
      case 201:
        *etag = Unquoted(reply.Header("Etag"));
        return Status::Ok();
      case 401:
        account_->Refused(session.token);
        continue;
      case 404:
        if (!options_.create_container_on_put || created_container) {
          return Status::Unavailable("The image store's Swift container " + container +
                                     " does not exist (swift_store_create_container_on_put is off)");
        }
        if (Status made = EnsureContainer(container); !made.ok()) return made;
        created_container = true;
        continue;
      case 412:
        return Status::Conflict("Image data already exists in the store");
      case 413:
      case 507:
        return Status::TooLarge("Image storage media is full (Swift answered " +
                                std::to_string(reply.status) + ")");
      case 422:
        return Status::Unavailable("Swift received other bytes than were sent for " + name);
      default:
        return Outage("storing " + name, reply);
    }
  }
  return Outage("storing " + name, Status::Unauthorized("Swift refused a fresh token twice"));
}

Status SwiftStore::PutManifest(const std::string& id, const std::string& manifest,
                               const std::string& expected_etag) const {
  Reply reply = Request("PUT", "/" + options_.container + "/" + id, "multipart-manifest=put",
                        manifest,
                        {{"Content-Type", "application/octet-stream"}, {"If-None-Match", "*"}});
  if (reply.status == 404 && options_.create_container_on_put) {
    if (Status made = EnsureContainer(options_.container); !made.ok()) return made;
    reply = Request("PUT", "/" + options_.container + "/" + id, "multipart-manifest=put", manifest,
                    {{"Content-Type", "application/octet-stream"}, {"If-None-Match", "*"}});
  }
  if (reply.status == 412) return Status::Conflict("Image data already exists in the store");
  if (reply.status != 201) return Outage("storing the manifest of " + id, reply);
  if (Unquoted(reply.Header("Etag")) != expected_etag) {
    return Status::Unavailable("Swift confirmed the manifest of " + id + " with ETag " +
                               reply.Header("Etag") + ", not " + expected_etag);
  }
  return Status::Ok();
}

Status SwiftStore::Adopt(const std::string& upload, const std::string& id,
                         const ImageDigests& digests, std::string* location) const {
  if (!IsUuidLike(id)) return Status::InvalidArgument("image id is not valid");
  if (Status s = local_.CheckUpload(upload); !s.ok()) return s;
  Fd fd(open(upload.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd.get() < 0 || fstat(fd.get(), &st) != 0) {
    return Status::Unavailable("cannot open upload " + upload);
  }
  if (st.st_size != digests.size) {
    return Status::Unavailable("upload " + upload + " changed after it was hashed");
  }
  const int64_t size = st.st_size;
  if (size <= options_.large_object_size) {
    std::string etag;
    Status s = PutObject(options_.container, id, fd.get(), 0, size, digests.md5, true, &etag);
    if (s.ok() && etag != digests.md5) {
      Request("DELETE", "/" + options_.container + "/" + id, "", "", {});
      s = Status::Unavailable("Swift stored " + id + " with ETag " + etag + ", not the MD5 " +
                              digests.md5 + " of the data");
    }
    if (!s.ok()) return s;
  } else {
    // A static large object: the segments first, then the manifest, whose
    // If-None-Match keeps an existing image's data.
    if (Size(id, nullptr).ok()) return Status::Conflict("Image data already exists in the store");
    json manifest = json::array();
    std::string etags;
    Status s;
    for (int64_t offset = 0, index = 1; offset < size && s.ok(); offset += options_.large_object_chunk_size, ++index) {
      int64_t length = std::min(options_.large_object_chunk_size, size - offset);
      // The segment's MD5 is computed from the page cache while sendfile
      // sends the same range.
      auto digest = std::async(std::launch::async, [&, offset, length] {
        std::string hex;
        int64_t read = 0;
        int error = DigestRange(fd.get(), EVP_md5(), offset, length, &hex, &read);
        return error == 0 && read == length ? hex : std::string();
      });
      std::string name = SegmentName(id, index);
      std::string etag;
      s = PutObject(options_.segment_container(), name, fd.get(), offset, length, "", false, &etag);
      std::string md5 = digest.get();
      if (s.ok() && md5.empty()) s = Status::Unavailable("cannot read upload " + upload);
      if (s.ok() && etag != md5) {
        s = Status::Unavailable("Swift stored segment " + name + " with ETag " + etag +
                                ", not the MD5 " + md5 + " of the data");
      }
      manifest.push_back({{"path", "/" + options_.segment_container() + "/" + name},
                          {"etag", md5},
                          {"size_bytes", length}});
      etags += md5;
    }
    if (s.ok()) s = PutManifest(id, manifest.dump(), Md5Hex(etags));
    if (!s.ok()) {
      bool ignored = false;
      if (s.code() != Status::Code::kConflict) Request("DELETE", "/" + options_.container + "/" + id, "", "", {});
      RemoveSegments(id, &ignored);
      return s;
    }
  }
  unlink(upload.c_str());
  *location = "swift+config://" + options_.reference + "/" + options_.container + "/" + id;
  return Status::Ok();
}

Status SwiftStore::CheckWritable() const {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(writable_mutex_);
    if (now - writable_checked_ < std::chrono::seconds(1)) return writable_;
  }
  Reply reply = Request("HEAD", "/" + options_.container, "", "", {});
  Status s;
  if (reply.status == 404 && !options_.create_container_on_put) {
    s = Outage("accepting uploads", Status::NotFound("container " + options_.container +
                                                     " does not exist and may not be created"));
  } else if (reply.status / 100 != 2 && reply.status != 404) {
    s = Outage("accepting uploads", reply);
  }
  std::lock_guard<std::mutex> lock(writable_mutex_);
  writable_checked_ = now;
  writable_ = s;
  return s;
}

Status SwiftStore::Size(const std::string& id, int64_t* size) const {
  if (!IsUuidLike(id)) return Status::NotFound("no such image data");
  Reply reply = Request("HEAD", "/" + options_.container + "/" + id, "", "", {});
  if (reply.status == 404) return Status::NotFound("Image data for " + id + " is not in Swift");
  if (reply.status / 100 != 2) return Outage("reading " + id, reply);
  if (size) *size = std::atoll(reply.Header("Content-Length").c_str());
  return Status::Ok();
}

Status SwiftStore::Serve(const std::string& id, ServeTarget* target) const {
  Session session;
  Status s = account_->Current(&session);
  if (!s.ok()) return Outage("reading " + id, s);
  ServeFrom(session, id, target);
  return Status::Ok();
}

Status SwiftStore::ServeCached(const std::string& id, ServeTarget* target) const {
  Session session;
  if (!account_->Current(&session).ok()) {
    // nginx answers from its cache without going to Swift.  Should it need
    // Swift after all (the copy went meanwhile, or is past the stall
    // time), this socket, which cannot exist, fails at once: a 503, or
    // the stale copy (proxy_cache_use_stale).
    session.storage_url = "http://unix:/dev/null/swift-unavailable:";
    session.token.clear();
  }
  ServeFrom(session, id, target);
  return Status::Ok();
}

void SwiftStore::ServeFrom(const Session& session, const std::string& id, ServeTarget* target) const {
  target->redirect = serve_location_ + id;
  target->headers = {{"X-Glance-Swift-Url", session.storage_url + "/" + options_.container + "/" + id},
                     {"X-Glance-Swift-Token", session.token},
                     {"X-Glance-Cache-Zone", cache_zone_},
                     {"X-Glance-Cache-Key", id}};
}

Status SwiftStore::ListContainer(const std::string& container, const std::string& prefix,
                                 std::vector<StoredEntry>* names) const {
  std::string marker;
  for (;;) {
    Reply reply = Request("GET", "/" + container,
                          "format=json&limit=10000&prefix=" + prefix + "&marker=" + marker, "", {});
    if (reply.status == 404) return Status::Ok();
    if (reply.status == 204) return Status::Ok();
    if (reply.status != 200) return Outage("listing " + container, reply);
    json page = json::parse(reply.body, nullptr, false);
    if (!page.is_array()) return Status::Unavailable("Swift listed " + container + " as no JSON list");
    if (page.empty()) return Status::Ok();
    for (const json& entry : page) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) continue;
      std::optional<int64_t> modified;
      if (entry.contains("last_modified") && entry["last_modified"].is_string()) {
        modified = ParseIsoTimeToEpochSeconds(entry["last_modified"].get<std::string>() + "Z");
      }
      std::time_t when = modified ? static_cast<std::time_t>(*modified) : 0;
      names->push_back({entry["name"].get<std::string>(), when, when});
    }
    marker = names->back().key;
  }
}

Status SwiftStore::RemoveSegments(const std::string& id, bool* removed_any) const {
  std::vector<StoredEntry> segments;
  Status s = ListContainer(options_.segment_container(), id + "/", &segments);
  if (!s.ok()) return s;
  for (const StoredEntry& segment : segments) {
    Reply reply = Request("DELETE", "/" + options_.segment_container() + "/" + segment.key, "", "", {});
    if (reply.status / 100 == 2) {
      *removed_any = true;
    } else if (reply.status != 404) {
      return Outage("removing segment " + segment.key, reply);
    }
  }
  return Status::Ok();
}

Status SwiftStore::Remove(const std::string& id) const {
  if (!IsUuidLike(id)) return Status::NotFound("no such image data");
  Reply reply = Request("DELETE", "/" + options_.container + "/" + id, "", "", {});
  if (reply.status / 100 != 2 && reply.status != 404) return Outage("removing " + id, reply);
  bool removed = reply.status / 100 == 2;
  if (Status s = RemoveSegments(id, &removed); !s.ok()) return s;
  if (!removed) return Status::NotFound("Image data for " + id + " is not in Swift");
  return Status::Ok();
}

Status SwiftStore::ListImages(std::vector<StoredEntry>* images) const {
  std::vector<StoredEntry> objects;
  Status s = ListContainer(options_.container, "", &objects);
  if (!s.ok()) return s;
  std::set<std::string> seen;
  for (StoredEntry& object : objects) {
    if (!IsUuidLike(object.key)) continue;
    seen.insert(object.key);
    images->push_back(std::move(object));
  }
  std::vector<StoredEntry> segments;
  s = ListContainer(options_.segment_container(), "", &segments);
  if (!s.ok()) return s;
  for (StoredEntry& segment : segments) {
    std::string id = segment.key.substr(0, segment.key.find('/'));
    if (!IsUuidLike(id) || !seen.insert(id).second) continue;
    segment.key = id;
    images->push_back(std::move(segment));
  }
  return Status::Ok();
}

}  // namespace glance
