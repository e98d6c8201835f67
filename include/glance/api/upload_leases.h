// UploadLeases: how an upload that can no longer finish ends `killed`.
//
// While a worker fills a `saving` image (hashing an upload, copying from a
// source) it holds a lease: a thread of the worker touches the image's row
// every heartbeat, through the registry, by the database's clock.  The
// same thread sweeps: it asks the registry to kill every `saving` image
// nobody has touched for `stale_seconds` (a worker that died, a host that
// vanished, a final update that never arrived) and removes whatever data
// those images had in the store.  The decision is one UPDATE in the
// database, so any number of workers and hosts may sweep at once; an
// upload in progress anywhere keeps its row fresh and is never killed.
#ifndef GLANCE_API_UPLOAD_LEASES_H_
#define GLANCE_API_UPLOAD_LEASES_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "glance/common/request_context.h"
#include "glance/registry/registry_api.h"

namespace glance::api {

class UploadLeases {
 public:
  // remove_data(id) deletes a killed image's bytes from the store.
  UploadLeases(RegistryApi* registry, int64_t stale_seconds,
               std::function<void(const std::string&)> remove_data);
  ~UploadLeases();

  // The thread runs between Start and Stop (after fork: a worker's own).
  void Start();
  void Stop();

  // Keeps image `id` alive until the returned lease is destroyed.
  class Lease {
   public:
    Lease(UploadLeases* owner, std::string id) : owner_(owner), id_(std::move(id)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { owner_->Release(id_); }

   private:
    UploadLeases* owner_;
    std::string id_;
  };
  std::unique_ptr<Lease> Hold(const std::string& id, const std::string& request_id);

  int64_t stale_seconds() const { return stale_seconds_; }
  // Touches every held image now and sweeps once (what the thread does on
  // its own every heartbeat and every sweep interval).
  void HeartbeatOnce();
  void SweepOnce();

 private:
  void Release(const std::string& id);
  void Run();

  RegistryApi* registry_;
  int64_t stale_seconds_;
  std::function<void(const std::string&)> remove_data_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::string> held_;  // image id -> request id
  std::thread thread_;
};

}  // namespace glance::api

#endif  // GLANCE_API_UPLOAD_LEASES_H_
