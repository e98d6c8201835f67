#include "glance/api/upload_leases.h"

#include <unistd.h>

#include <random>
#include <vector>

#include "glance/common/logging.h"

namespace glance::api {

namespace {

RequestContext AdminContext(const std::string& request_id) {
  RequestContext admin;
  admin.is_admin = true;
  admin.request_id = request_id.empty() ? ResolveRequestId(std::nullopt) : request_id;
  return admin;
}

}  // namespace

UploadLeases::UploadLeases(RegistryApi* registry, int64_t stale_seconds,
                           std::function<void(const std::string&)> remove_data)
    : registry_(registry), stale_seconds_(stale_seconds), remove_data_(std::move(remove_data)) {}

UploadLeases::~UploadLeases() { Stop(); }

void UploadLeases::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void UploadLeases::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<UploadLeases::Lease> UploadLeases::Hold(const std::string& id,
                                                        const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_[id] = request_id;
  return std::make_unique<Lease>(this, id);
}

void UploadLeases::Release(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_.erase(id);
}

void UploadLeases::HeartbeatOnce() {
  std::vector<std::pair<std::string, std::string>> held;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held.assign(held_.begin(), held_.end());
  }
  for (const auto& [id, request_id] : held) {
    Image ignored;
    // An empty update with from_state: only the row's updated_at moves,
    // and only while the image is still ours to finish.
    Status s = registry_->UpdateImage(AdminContext(request_id), id, ImageChanges(),
                                      ImageUpdate::From("saving"), &ignored);
    if (s.code() == Status::Code::kConflict) {
      // The upload finished (or was killed) between the lease's last look
      // and this beat: nothing to keep alive.
      Log(LogLevel::kDebug, request_id, "upload of image " + id + ": no longer saving");
    } else if (!s.ok()) {
      Log(LogLevel::kWarning, request_id, "upload of image " + id + ": heartbeat failed: " + s.message());
    } else {
      Log(LogLevel::kDebug, request_id, "upload of image " + id + ": heartbeat");
    }
  }
}

void UploadLeases::SweepOnce() {
  std::vector<std::string> killed;
  RequestContext admin = AdminContext("");
  Status s = registry_->KillStaleUploads(admin, stale_seconds_, &killed);
  if (!s.ok()) {
    Log(LogLevel::kDebug, admin.request_id, "upload recovery sweep not done: " + s.message());
    return;
  }
  for (const std::string& id : killed) {
    Log(LogLevel::kWarning, admin.request_id,
        "image " + id + ": its upload gave no sign of life for " + std::to_string(stale_seconds_) +
            " s (worker, registry or host lost); marked killed and its data removed");
    remove_data_(id);
  }
}

void UploadLeases::Run() {
  // Heartbeats well inside the stale time; sweeps at a quarter of it, each
  // worker at its own phase so the sweeps of many workers spread out.
  auto heartbeat = std::chrono::milliseconds(std::max<int64_t>(500, stale_seconds_ * 1000 / 6));
  auto sweep = std::chrono::milliseconds(std::max<int64_t>(1000, stale_seconds_ * 1000 / 4));
  std::mt19937 random(static_cast<unsigned>(getpid()));
  auto next_sweep = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(random() % static_cast<unsigned>(sweep.count()));
  auto next_heartbeat = std::chrono::steady_clock::now() + heartbeat;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_until(lock, std::min(next_sweep, next_heartbeat), [this] { return stopping_; });
    if (stopping_) break;
    auto now = std::chrono::steady_clock::now();
    lock.unlock();
    if (now >= next_heartbeat) {
      HeartbeatOnce();
      next_heartbeat = now + heartbeat;
    }
    if (now >= next_sweep) {
      SweepOnce();
      next_sweep = now + sweep;
    }
    lock.lock();
  }
}

}  // namespace glance::api
