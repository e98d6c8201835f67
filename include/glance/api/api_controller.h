// ApiController: the v1 image API (spec §2, §6-§14) behind nginx.  Turns
// one HttpRequest into one HttpResponse: version negotiation, request
// context, routing, the image and member operations.  Image bytes are never
// read or written here beyond hashing an upload nginx already wrote, and
// the background copies of x-glance-api-copy-from; downloads are answered
// with X-Accel-Redirect (to the store, or to nginx's proxy of an external
// location).  Thread-safe.
#ifndef GLANCE_API_API_CONTROLLER_H_
#define GLANCE_API_API_CONTROLLER_H_

#include <chrono>
#include <memory>

#include "glance/api/api_options.h"
#include "glance/api/http.h"

namespace glance::api {

class ApiController {
 public:
  explicit ApiController(ApiOptions options);
  ~ApiController();
  ApiController(const ApiController&) = delete;
  ApiController& operator=(const ApiController&) = delete;

  void Handle(const HttpRequest& request, HttpResponse* response) const;

  // Per worker process, after fork: StartWorker marks killed the images
  // whose copy-from died with an earlier worker; StopWorker cancels this
  // worker's copies and waits up to `limit` for them to mark theirs killed.
  void StartWorker() const;
  void StopWorker(std::chrono::seconds limit) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace glance::api

#endif  // GLANCE_API_API_CONTROLLER_H_
