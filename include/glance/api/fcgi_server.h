// FcgiServer: the glance-api process model.  A supervisor process opens the
// FastCGI unix socket and forks `workers` worker processes; each worker
// serves the socket with `threads` threads (libfcgi, one request per thread
// at a time).  A worker that dies is replaced.  SIGTERM/SIGINT: the
// supervisor stops the workers, each finishing the requests it has in
// flight, then exits.  SIGHUP: the supervisor calls `reload`; when it
// answers true, fresh workers are forked (they inherit whatever `reload`
// changed) and the old ones finish their requests and exit, so no request
// is refused.  Under systemd socket activation (a glance-api.socket unit)
// the passed socket is served instead of opening `socket_path`, and the
// supervisor reports READY/RELOADING/STOPPING (Type=notify).
#ifndef GLANCE_API_FCGI_SERVER_H_
#define GLANCE_API_FCGI_SERVER_H_

#include <chrono>
#include <functional>
#include <string>

#include "glance/api/http.h"

namespace glance::api {

struct FcgiOptions {
  std::string socket_path;
  int workers = 2;
  int threads = 8;
  int socket_mode = 0660;
  int backlog = 256;
  int shutdown_grace_seconds = 60;  // then in-flight requests are cut off
};

using RequestHandler = std::function<void(const HttpRequest&, HttpResponse*)>;

// Runs until SIGTERM/SIGINT; returns the process exit code.  `worker_init`
// runs in each worker process after fork (per-process resources);
// `worker_stop` when a worker is told to stop, with the time it may take,
// before it waits for its requests in flight.  `reload` runs in the
// supervisor on SIGHUP (may be empty).  `companion`, when given, runs in one
// more child process, restarted if it crashes, killed when the supervisor
// stops.
int RunFcgiServer(const FcgiOptions& options, const std::function<void()>& worker_init,
                  const RequestHandler& handler,
                  const std::function<void(std::chrono::seconds)>& worker_stop = {},
                  const std::function<bool()>& reload = {},
                  const std::function<void()>& companion = nullptr);

}  // namespace glance::api

#endif  // GLANCE_API_FCGI_SERVER_H_
