#include "glance/scrubber/scrubber.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/time_format.h"
#include "glance/common/uuid.h"

namespace glance {

using nlohmann::json;

namespace {

constexpr int kPageSize = 500;

}  // namespace

ScrubberOptions ScrubberOptions::FromConfig(const Config& config) {
  ScrubberOptions o;
  o.registry = RegistryClientOptions::FromConfig(config);
  o.datadir = config.GetString("glance_store", "filesystem_store_datadir", o.datadir);
  o.incoming_dir =
      config.GetString("glance_store", "filesystem_store_incoming_dir", o.datadir + "/_incoming");
  o.scrub_time = config.GetInt("DEFAULT", "scrub_time", o.scrub_time);
  o.orphan_grace_seconds =
      config.GetInt("DEFAULT", "scrubber_orphan_grace_time", o.orphan_grace_seconds);
  o.delayed_delete = config.GetBool("DEFAULT", "delayed_delete", o.delayed_delete);
  if (o.scrub_time < 0) throw ConfigError("scrub_time must not be negative");
  if (o.orphan_grace_seconds < 0) {
    throw ConfigError("scrubber_orphan_grace_time must not be negative");
  }
  return o;
}

std::string ScrubReport::Summary() const {
  return std::to_string(scrubbed) + " images scrubbed, " + std::to_string(taken_by_other) +
         " taken by another scrubber, " + std::to_string(waiting) +
         " waiting for scrub_time, " + std::to_string(orphan_files) +
         " orphaned store files and " + std::to_string(stale_uploads) +
         " stale uploads removed, " + std::to_string(errors) + " errors";
}

Scrubber::Scrubber(ScrubberOptions options, const Store& store)
    : options_(std::move(options)), store_(store), registry_(options_.registry) {
  admin_.is_admin = true;
  admin_.user = "glance-scrubber";
  admin_.request_id = "req-" + NewUuid();
}

Status Scrubber::Run(std::time_t now, ScrubReport* report) {
  *report = ScrubReport();
  Status s = ScrubPendingImages(now, report);
  if (!s.ok()) return s;
  s = RemoveOrphanFiles(now, report);
  if (!s.ok()) {
    LogError("orphan scan stopped: " + s.message());
    ++report->errors;
  }
  RemoveStaleUploads(now, report);
  return Status::Ok();
}

Status Scrubber::ScrubPendingImages(std::time_t now, ScrubReport* report) {
  std::string marker;
  for (;;) {
    std::string query = "deleted=true&status=pending_delete&is_public=none&sort_key=id"
                        "&sort_dir=asc&limit=" + std::to_string(kPageSize);
    if (!marker.empty()) query += "&marker=" + UrlEncode(marker);
    std::string body;
    Status s = registry_.ListImagesJson(admin_, true, query, &body);
    if (!s.ok()) return Status::Unavailable("cannot list pending_delete images: " + s.message());
    json page = json::parse(body, nullptr, false);
    if (page.is_discarded() || !page.contains("images") || !page["images"].is_array()) {
      return Status::Internal("the registry sent a malformed image list");
    }
    if (page["images"].empty()) return Status::Ok();
    for (const json& image : page["images"]) {
      std::string id = image.value("id", "");
      marker = id;
      if (!IsUuidLike(id) || image.value("status", "") != "pending_delete") continue;
      std::optional<int64_t> deleted_at;
      if (image.contains("deleted_at") && image["deleted_at"].is_string()) {
        deleted_at = ParseIsoTimeToEpochSeconds(image["deleted_at"].get<std::string>());
      }
      if (!deleted_at) {
        LogError("image " + id + " is pending_delete without a readable deleted_at; left alone");
        ++report->errors;
        continue;
      }
      if (now - *deleted_at < options_.scrub_time) {
        ++report->waiting;
        continue;
      }
      // Claim first, data second: the status change is the compare-and-set
      // that exactly one scrubber wins, so no data is removed twice (a
      // Swift DELETE is not harmless twice over).  A crash in between, or
      // a store that fails now, leaves a deleted image with data: the
      // orphan step removes it (this pass or a later one).
      Image updated;
      Status moved = registry_.UpdateImage(admin_, id, StatusChange("deleted"),
                                           ImageUpdate::From("pending_delete"), &updated);
      if (moved.code() == Status::Code::kConflict || moved.code() == Status::Code::kNotFound) {
        ++report->taken_by_other;
        LogInfo("image " + id + ": already scrubbed by another scrubber");
        continue;
      }
      if (!moved.ok()) {
        ++report->errors;
        LogError("image " + id + ": cannot claim it, will retry: " + moved.message());
        continue;
      }
      Status removed = store_.Remove(id);
      if (!removed.ok() && removed.code() != Status::Code::kNotFound) {
        ++report->errors;
        LogError("image " + id + " is deleted but its data stays (the orphan pass retries): " +
                 removed.message());
        continue;
      }
      ++report->scrubbed;
      LogInfo("image " + id + ": status pending_delete -> deleted, data removed" +
              (removed.ok() ? "" : " (already gone)"));
    }
  }
}

Status Scrubber::RemoveOrphanFiles(std::time_t now, ScrubReport* report) {
  std::vector<StoredEntry> files;
  Status s = store_.ListImages(&files);
  if (!s.ok()) return s;
  for (const StoredEntry& file : files) {
    // The store lists only what it wrote for an image; an id is checked
    // anyway before it goes to the registry.
    if (!IsUuidLike(file.key)) continue;
    if (now - file.settled < options_.orphan_grace_seconds) continue;
    Image image;
    Status found = registry_.GetImage(admin_, file.key, &image);
    std::string why;
    if (found.code() == Status::Code::kNotFound) {
      why = "no image record";
    } else if (!found.ok()) {
      return Status::Unavailable("cannot look up image " + file.key + ": " + found.message());
    } else if (image.status == "deleted" || image.status == "killed") {
      why = "image is " + image.status;
    } else {
      continue;  // live, or pending_delete (scrub_time decides)
    }
    Status removed = store_.Remove(file.key);
    if (removed.ok()) {
      ++report->orphan_files;
      LogInfo("removed orphaned store file " + options_.datadir + "/" + file.key + " (" + why +
              ")");
    } else if (removed.code() != Status::Code::kNotFound) {
      ++report->errors;
      LogError("cannot remove orphaned store file " + file.key + ": " + removed.message());
    }
  }
  return Status::Ok();
}

void Scrubber::RemoveStaleUploads(std::time_t now, ScrubReport* report) {
  std::vector<StoredEntry> uploads;
  Status s = store_.ListUploads(&uploads);
  if (!s.ok()) {
    ++report->errors;
    LogError(s.message());
    return;
  }
  for (const StoredEntry& upload : uploads) {
    if (now - upload.modified < options_.orphan_grace_seconds) continue;
    const std::string& path = upload.key;
    // Old but held: a worker is still hashing it (or copying into it).
    if (store_.InUse(path)) continue;
    Status removed = store_.Discard(path);
    if (removed.ok()) {
      ++report->stale_uploads;
      LogInfo("removed stale upload " + path);
    } else if (removed.code() != Status::Code::kNotFound) {
      ++report->errors;
      LogError("cannot remove stale upload " + path + ": " + removed.message());
    }
  }
}

}  // namespace glance
