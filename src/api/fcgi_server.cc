#include "glance/api/fcgi_server.h"

#include <fcgiapp.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/program.h"
#include "glance/common/status.h"

namespace glance::api {

namespace {

std::optional<std::string> Param(FCGX_Request& request, const char* name) {
  const char* value = FCGX_GetParam(name, request.envp);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// The path as the client sent it, percent-decoded but not normalized.
// nginx's DOCUMENT_URI resolves dot segments, which would turn
// /v1/images/..%2F..%2Fx into /x and route it somewhere else entirely;
// kept as sent, such a path matches no route and is a 404 (as upstream).
std::string RequestPath(FCGX_Request& request) {
  std::string uri = Param(request, "REQUEST_URI").value_or("");
  std::string raw = uri.substr(0, uri.find('?'));
  if (raw.empty() || raw[0] != '/') return Param(request, "DOCUMENT_URI").value_or("/");
  // nginx has already refused malformed escapes and %00 with 400.
  return UrlDecode(raw, false).value_or(raw);
}

HttpRequest ReadRequest(FCGX_Request& request) {
  HttpRequest http;
  http.method = Param(request, "REQUEST_METHOD").value_or("GET");
  http.path = RequestPath(request);
  http.query_string = Param(request, "QUERY_STRING").value_or("");
  http.content_type = Param(request, "CONTENT_TYPE").value_or("");
  http.body_file = Param(request, "REQUEST_BODY_FILE").value_or("");
  if (Param(request, "HTTPS").value_or("") == "on") http.scheme = "https";
  // The pre-flight is an nginx subrequest: a GET without a query of its
  // own, carrying the client's method and headers (nginx/glance-api.conf.in).
  if (Param(request, "GLANCE_PREFLIGHT").value_or("") == "1") {
    http.preflight = true;
    http.method = Param(request, "GLANCE_PREFLIGHT_METHOD").value_or(http.method);
    std::string uri = Param(request, "REQUEST_URI").value_or("");
    size_t query = uri.find('?');
    http.query_string = query == std::string::npos ? "" : uri.substr(query + 1);
    http.body_file.clear();
  }
  if (auto length = Param(request, "CONTENT_LENGTH"); length && !length->empty()) {
    try {
      http.content_length = std::stoll(*length);
    } catch (...) {
      http.content_length = std::nullopt;
    }
  }
  for (char** env = request.envp; env && *env; ++env) {
    const char* entry = *env;
    if (std::strncmp(entry, "HTTP_", 5) != 0) continue;
    const char* eq = std::strchr(entry, '=');
    if (!eq) continue;
    http.headers.emplace_back(std::string(entry + 5, eq), std::string(eq + 1));
  }
  // Debian's fastcgi_params passes HTTP_HOST as $host, without the port.
  http.host = http.Header("Host").value_or(Param(request, "SERVER_NAME").value_or("localhost"));
  std::string port = Param(request, "SERVER_PORT").value_or("");
  bool default_port = port.empty() || (http.scheme == "http" && port == "80") ||
                      (http.scheme == "https" && port == "443");
  if (http.host.find(':') == std::string::npos && !default_port) http.host += ":" + port;
  auto encoding = http.Header("Transfer-Encoding");
  http.chunked = encoding && encoding->find("chunked") != std::string::npos;
  return http;
}

void WriteResponse(FCGX_Request& request, const HttpResponse& response) {
  std::string head = "Status: " + std::to_string(response.status) + " " +
                     HttpReasonPhrase(response.status) + "\r\n";
  for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), request.out);
  if (!response.body.empty()) {
    FCGX_PutStr(response.body.data(), static_cast<int>(response.body.size()), request.out);
  }
}

void LogRequest(const HttpRequest& http, const HttpResponse& response,
                std::chrono::steady_clock::time_point started) {
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
                  .count();
  std::string context = response.log_context.empty() ? "-" : response.log_context;
  char tail[48];
  std::snprintf(tail, sizeof tail, " %d %.3fms", response.status, ms);
  Log(LogLevel::kInfo, context, http.method + " " + http.path + tail);
}

// ---- worker process -------------------------------------------------------

std::atomic<bool> worker_stopping{false};
std::mutex active_mutex;
std::condition_variable active_changed;
int active_requests = 0;

void ServeThread(int socket_fd, const RequestHandler& handler) {
  FCGX_Request request;
  FCGX_InitRequest(&request, socket_fd, 0);
  while (!worker_stopping.load()) {
    if (FCGX_Accept_r(&request) < 0) break;
    {
      std::lock_guard<std::mutex> lock(active_mutex);
      ++active_requests;
    }
    HttpResponse response;
    auto started = std::chrono::steady_clock::now();
    HttpRequest http = ReadRequest(request);
    try {
      handler(http, &response);
    } catch (const std::exception& e) {
      LogError(std::string("unhandled exception: ") + e.what());
      response = HttpResponse();
      response.status = 500;
      response.SetHeader("Content-Type", "text/plain; charset=UTF-8");
      response.body = "500 Internal Server Error\n\nThe server could not complete the request.\n";
    }
    WriteResponse(request, response);
    FCGX_Finish_r(&request);
    LogRequest(http, response, started);
    {
      std::lock_guard<std::mutex> lock(active_mutex);
      --active_requests;
    }
    active_changed.notify_all();
  }
}

[[noreturn]] void RunWorker(const FcgiOptions& options, int socket_fd,
                            const std::function<void()>& worker_init,
                            const RequestHandler& handler,
                            const std::function<void(std::chrono::seconds)>& worker_stop) {
  // A worker never outlives its supervisor.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  sigset_t set = BlockControlSignals();
  signal(SIGCHLD, SIG_DFL);
  if (getppid() == 1) _exit(0);
  worker_init();

  for (int i = 0; i < options.threads; ++i) {
    std::thread([socket_fd, &handler] { ServeThread(socket_fd, handler); }).detach();
  }
  int signal_number = 0;
  do {
    sigwait(&set, &signal_number);
  } while (signal_number == SIGHUP);
  // Graceful stop: requests in flight finish; threads waiting in accept()
  // hold no request and end with the process.
  worker_stopping = true;
  // One grace period for both: the supervisor's patience ends after it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.shutdown_grace_seconds);
  if (worker_stop) worker_stop(std::chrono::seconds(options.shutdown_grace_seconds));
  std::unique_lock<std::mutex> lock(active_mutex);
  active_changed.wait_until(lock, deadline, [] { return active_requests == 0; });
  _exit(0);
}

// ---- supervisor -------------------------------------------------------------

using StopHook = std::function<void(std::chrono::seconds)>;

pid_t SpawnWorker(const FcgiOptions& options, int socket_fd,
                  const std::function<void()>& worker_init, const RequestHandler& handler,
                  const StopHook& worker_stop) {
  pid_t pid = fork();
  if (pid == 0) RunWorker(options, socket_fd, worker_init, handler, worker_stop);
  if (pid < 0) LogError(std::string("fork failed: ") + std::strerror(errno));
  return pid;
}

pid_t SpawnCompanion(const std::function<void()>& companion) {
  pid_t pid = fork();
  if (pid == 0) {
    // Holds nothing worth finishing, so any stop signal ends it at once;
    // libfcgi's FCGX_Init installed a SIGTERM handler that would not.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (int stop_signal : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) signal(stop_signal, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (getppid() == 1) _exit(0);
    companion();
    _exit(0);
  }
  if (pid < 0) LogError(std::string("fork failed: ") + std::strerror(errno));
  return pid;
}

}  // namespace

int RunFcgiServer(const FcgiOptions& options, const std::function<void()>& worker_init,
                  const RequestHandler& handler, const StopHook& worker_stop,
                  const std::function<bool()>& reload, const std::function<void()>& companion) {
  if (FCGX_Init() != 0) {
    LogError("FCGX_Init failed");
    return 1;
  }
  int socket_fd = -1;
  // A socket from systemd (glance-api.socket) belongs to systemd: it keeps
  // accepting connections while the service restarts, so it is neither
  // created nor removed here.
  bool activated = sd_listen_fds(1) == 1 &&
                   sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, nullptr, 0) > 0;
  std::string listening = options.socket_path;
  if (activated) {
    socket_fd = SD_LISTEN_FDS_START;
    listening = "the socket passed by systemd";
  } else {
    unlink(options.socket_path.c_str());
    mode_t old_mask = umask(0777 & ~options.socket_mode);
    socket_fd = FCGX_OpenSocket(options.socket_path.c_str(), options.backlog);
    umask(old_mask);
    if (socket_fd < 0) {
      LogError("cannot open FastCGI socket " + options.socket_path + ": " + std::strerror(errno));
      return 1;
    }
    chmod(options.socket_path.c_str(), options.socket_mode);
  }

  sigset_t set = BlockControlSignals();
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);

  std::map<pid_t, std::chrono::steady_clock::time_point> workers;
  for (int i = 0; i < options.workers; ++i) {
    pid_t pid = SpawnWorker(options, socket_fd, worker_init, handler, worker_stop);
    if (pid > 0) workers[pid] = std::chrono::steady_clock::now();
  }
  pid_t companion_pid = companion ? SpawnCompanion(companion) : -1;
  LogInfo("serving FastCGI on " + listening + " with " + std::to_string(options.workers) +
          " workers x " + std::to_string(options.threads) + " threads");
  NotifyService("READY=1");

  // Workers replaced by a reload: they finish their requests and exit, and
  // are not replaced again.
  std::set<pid_t> retiring;
  bool stopping = false;
  while (!stopping) {
    int signal_number = 0;
    sigwait(&set, &signal_number);
    if (signal_number == SIGTERM || signal_number == SIGINT) {
      stopping = true;
    } else if (signal_number == SIGHUP) {
      NotifyService("RELOADING=1");
      ReopenLogFile();
      if (reload && reload()) {
        std::map<pid_t, std::chrono::steady_clock::time_point> fresh;
        for (int i = 0; i < options.workers; ++i) {
          pid_t pid = SpawnWorker(options, socket_fd, worker_init, handler, worker_stop);
          if (pid > 0) fresh[pid] = std::chrono::steady_clock::now();
        }
        for (const auto& [pid, started] : workers) {
          kill(pid, SIGTERM);
          retiring.insert(pid);
        }
        LogInfo("reload: " + std::to_string(fresh.size()) + " workers started with the new "
                "configuration; " + std::to_string(workers.size()) + " old workers finish their "
                "requests and exit");
        workers = std::move(fresh);
      }
      NotifyService("READY=1");
    } else if (signal_number == SIGCHLD) {
      int status = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == companion_pid) {
          companion_pid = -1;
          // A companion that gave up on purpose (exit 0) logged why.
          if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
            LogWarning("companion process " + std::to_string(pid) + " died; restarting it");
            std::this_thread::sleep_for(std::chrono::seconds(1));
            companion_pid = SpawnCompanion(companion);
          }
          continue;
        }
        if (retiring.erase(pid) > 0) continue;
        auto it = workers.find(pid);
        if (it == workers.end()) continue;
        bool quick = std::chrono::steady_clock::now() - it->second < std::chrono::seconds(1);
        workers.erase(it);
        LogWarning("worker " + std::to_string(pid) + " died (" +
                   (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                        : "exit " + std::to_string(WEXITSTATUS(status))) +
                   "); starting a replacement");
        // A worker that dies at once (bad config, missing store) must not
        // turn the supervisor into a fork loop.
        if (quick) std::this_thread::sleep_for(std::chrono::seconds(1));
        pid_t replacement = SpawnWorker(options, socket_fd, worker_init, handler, worker_stop);
        if (replacement > 0) workers[replacement] = std::chrono::steady_clock::now();
      }
    }
  }

  LogInfo("stopping: waiting for in-flight requests");
  if (companion_pid > 0) kill(companion_pid, SIGTERM);
  NotifyService("STOPPING=1");
  for (pid_t pid : retiring) workers[pid] = std::chrono::steady_clock::now();
  for (const auto& [pid, started] : workers) kill(pid, SIGTERM);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.shutdown_grace_seconds + 5);
  while (!workers.empty() && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      workers.erase(pid);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  for (const auto& [pid, started] : workers) kill(pid, SIGKILL);
  if (!activated) unlink(options.socket_path.c_str());
  LogInfo("stopped");
  return 0;
}

}  // namespace glance::api
