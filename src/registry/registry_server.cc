#include "glance/registry/registry_server.h"

#include <httplib.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <openssl/crypto.h>

#include "glance/common/http_error.h"
#include "glance/common/logging.h"
#include "glance/registry/registry_client.h"
#include "glance/common/program.h"
#include "registry_handlers.h"

namespace glance {

namespace {

// Constant time, so the secret cannot be guessed byte by byte from timings.
bool SecretMatches(const std::string& expected, const std::optional<std::string>& given) {
  return given && given->size() == expected.size() &&
         CRYPTO_memcmp(given->data(), expected.data(), expected.size()) == 0;
}

}  // namespace

RegistryOptions RegistryOptions::FromConfig(const Config& config) {
  RegistryOptions o;
  o.bind_host = config.GetString("DEFAULT", "bind_host", o.bind_host);
  o.bind_port = static_cast<int>(config.GetInt("DEFAULT", "bind_port", o.bind_port));
  o.unix_socket = config.GetString("DEFAULT", "unix_socket", "");
  o.threads = static_cast<int>(config.GetInt("DEFAULT", "workers", o.threads));
  if (o.threads < 1) o.threads = 1;
  o.context = ContextOptions::FromConfig(config);
  // Only glance-api (holding the shared secret) talks to the registry, and
  // it sends the identity it validated with Keystone as trusted headers.
  if (o.context.mode == AuthMode::kKeystone) o.context.mode = AuthMode::kTrustedAuth;
  o.shared_secret = config.GetString("DEFAULT", "registry_shared_secret", "");
  o.healthcheck = HealthcheckOptions::FromConfig(config);
  o.limits.limit_param_default =
      config.GetInt("DEFAULT", "limit_param_default", o.limits.limit_param_default);
  o.limits.api_limit_max = config.GetInt("DEFAULT", "api_limit_max", o.limits.api_limit_max);
  if (o.limits.api_limit_max < 1 || o.limits.limit_param_default < 0) {
    throw ConfigError("limit_param_default and api_limit_max must be positive");
  }
  o.database.connection = config.GetString("database", "connection", "");
  if (o.database.connection.empty()) throw ConfigError("[database] connection is required");
  o.database.slave_connection = config.GetString("database", "slave_connection", "");
  o.database.pool_size = static_cast<int>(config.GetInt("database", "max_pool_size", 16));
  if (o.database.pool_size < 1) throw ConfigError("[database] max_pool_size must be positive");
  o.database.pool_timeout_seconds =
      static_cast<int>(config.GetInt("database", "pool_timeout", o.database.pool_timeout_seconds));
  o.database.metadata_cache_entries = static_cast<int>(config.GetInt(
      "database", "metadata_cache_entries", o.database.metadata_cache_entries));
  if (o.database.metadata_cache_entries < 0) {
    throw ConfigError("[database] metadata_cache_entries must not be negative");
  }
  return o;
}

class RegistryServer::Impl {
 public:
  Impl(RegistryOptions options, std::unique_ptr<ImageRepository> repository)
      : options_(std::move(options)), repository_(std::move(repository)) {
    registry::AddImageRoutes(&router_);
    registry::AddMemberRoutes(&router_);
    settings_ = std::make_shared<const Settings>(Settings{options_.context, options_.limits,
                                                          options_.healthcheck});

    Configure(tcp_server_);
    if (!options_.unix_socket.empty()) {
      unix_server_ = std::make_unique<httplib::Server>();
      unix_server_->set_address_family(AF_UNIX);
      Configure(*unix_server_);
    }
  }

  bool Listen() {
    // Both sockets are bound before systemd hears READY=1, so units ordered
    // after the registry find it answering.
    std::thread unix_thread;
    std::atomic<bool> unix_ok{true};
    if (unix_server_) {
      unlink(options_.unix_socket.c_str());
      // Access is governed by the socket's directory; the log file is opened
      // before this point, so the process umask can simply allow everyone.
      umask(0);
      if (!unix_server_->bind_to_port(options_.unix_socket.c_str(), 80)) {
        LogError("cannot listen on " + options_.unix_socket);
        return false;
      }
      unix_thread = std::thread([this, &unix_ok] { unix_ok = unix_server_->listen_after_bind(); });
    }
    bool tcp_ok = tcp_server_.bind_to_port(options_.bind_host.c_str(), options_.bind_port);
    if (tcp_ok) {
      NotifyService("READY=1");
      tcp_ok = tcp_server_.listen_after_bind();
    }
    if (unix_server_) {
      unix_server_->stop();
      unix_thread.join();
      unlink(options_.unix_socket.c_str());
    }
    return tcp_ok && unix_ok;
  }

  void Reload(const RegistryOptions& options) {
    auto fresh =
        std::make_shared<const Settings>(Settings{options.context, options.limits, options.healthcheck});
    std::lock_guard<std::mutex> lock(settings_mutex_);
    settings_ = std::move(fresh);
  }

  void Stop() {
    tcp_server_.stop();
    if (unix_server_) unix_server_->stop();
  }

 private:
  void Configure(httplib::Server& server) {
    int threads = options_.threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_payload_max_length(options_.max_body_bytes);
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(1000);
    server.set_keep_alive_timeout(5);
    server.set_read_timeout(30, 0);
    server.set_write_timeout(30, 0);

    auto dispatch = [this](const httplib::Request& req, httplib::Response& res) {
      Dispatch(req, res);
    };
    const char* any = "/.*";
    server.Get(any, dispatch);
    server.Post(any, dispatch);
    server.Put(any, dispatch);
    server.Delete(any, dispatch);
    server.Patch(any, dispatch);
    server.Options(any, dispatch);

    server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
      request_start_ = std::chrono::steady_clock::now();
      request_tag_.clear();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    // Errors raised by httplib itself (oversized body, bad request line).
    server.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          WriteError(req, res, res.status, HttpReasonPhrase(res.status),
                     ResolveRequestId(std::nullopt));
          return httplib::Server::HandlerResponse::Handled;
        }));
    server.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                                     std::exception_ptr error) {
      std::string what = "unknown";
      try {
        if (error) std::rethrow_exception(error);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      LogError("unhandled exception: " + what);
      WriteError(req, res, 500, "The server has either erred or is incapable of performing the "
                                "requested operation.", ResolveRequestId(std::nullopt));
    });
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      auto elapsed = std::chrono::steady_clock::now() - request_start_;
      double ms = std::chrono::duration<double, std::milli>(elapsed).count();
      char line[64];
      std::snprintf(line, sizeof line, " %d %.3fms", res.status, ms);
      std::string id = res.get_header_value("x-openstack-request-id");
      Log(LogLevel::kInfo, !request_tag_.empty() ? request_tag_ : id.empty() ? "-" : id,
          req.method + " " + req.path + line);
    });
  }

  static void WriteError(const httplib::Request& req, httplib::Response& res, int status,
                         const std::string& message, const std::string& request_id) {
    ErrorBody body = FormatErrorBody(status, message, req.get_header_value("Accept"));
    res.status = status;
    res.set_content(body.body, body.content_type.c_str());
    res.set_header("x-openstack-request-id", request_id);
  }

  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    std::shared_ptr<const Settings> settings;
    {
      std::lock_guard<std::mutex> lock(settings_mutex_);
      settings = settings_;
    }
    if (req.path == settings->healthcheck.path && (req.method == "GET" || req.method == "HEAD")) {
      HealthcheckReply health = CheckHealth(settings->healthcheck);
      res.status = health.status;
      res.set_content(health.body, "text/plain");
      return;
    }
    registry::Call call;
    call.header = [&req](const std::string& name) -> std::optional<std::string> {
      if (!req.has_header(name.c_str())) return std::nullopt;
      return req.get_header_value(name.c_str());
    };
    if (!options_.shared_secret.empty() &&
        !SecretMatches(options_.shared_secret, call.header(kRegistrySecretHeader))) {
      WriteError(req, res, 401, "This registry only serves glance-api: the shared secret is "
                 "missing or wrong.", ResolveRequestId(call.header("X-Openstack-Request-Id")));
      return;
    }
    Status s = BuildRequestContext(settings->context, call.header, &call.context);
    request_tag_ = LogTag(call.context);
    if (!s.ok()) {
      WriteError(req, res, s.HttpStatus(), s.message(), call.context.request_id);
      return;
    }
    auto match = router_.Find(req.method, req.path);
    if (match.kind == Router<registry::Handler>::Match::Kind::kNoPath) {
      WriteError(req, res, 404, "The resource could not be found.", call.context.request_id);
      return;
    }
    if (match.kind == Router<registry::Handler>::Match::Kind::kNoMethod) {
      WriteError(req, res, 405, "The method " + req.method + " is not allowed for this resource.",
                 call.context.request_id);
      res.set_header("Allow", match.allow);
      return;
    }
    call.params = std::move(match.params);
    call.body = req.body;
    size_t question = req.target.find('?');
    if (question != std::string::npos) call.query_string = req.target.substr(question + 1);

    registry::Reply reply;
    registry::Services services{repository_.get(), settings->limits};
    s = (*match.handler)(services, call, &reply);
    if (!s.ok()) {
      WriteError(req, res, s.HttpStatus(), s.message(), call.context.request_id);
      return;
    }
    res.status = reply.status;
    if (!reply.raw_json.empty()) {
      res.set_content(reply.raw_json, "application/json");
    } else if (reply.json) {
      res.set_content(reply.json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      "application/json");
    }
    res.set_header("x-openstack-request-id", call.context.request_id);
  }

  // What a reload may change, swapped whole so a request sees one version.
  struct Settings {
    ContextOptions context;
    ListLimits limits;
    HealthcheckOptions healthcheck;
  };

  static thread_local std::chrono::steady_clock::time_point request_start_;
  // The request's oslo context for the access log line.
  static thread_local std::string request_tag_;

  RegistryOptions options_;
  std::unique_ptr<ImageRepository> repository_;
  Router<registry::Handler> router_;
  std::mutex settings_mutex_;
  std::shared_ptr<const Settings> settings_;
  httplib::Server tcp_server_;
  std::unique_ptr<httplib::Server> unix_server_;
};

thread_local std::chrono::steady_clock::time_point RegistryServer::Impl::request_start_;
thread_local std::string RegistryServer::Impl::request_tag_;

RegistryServer::RegistryServer(RegistryOptions options, std::unique_ptr<ImageRepository> repository)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(repository))) {}
RegistryServer::~RegistryServer() = default;
bool RegistryServer::Listen() { return impl_->Listen(); }
void RegistryServer::Stop() { impl_->Stop(); }
void RegistryServer::Reload(const RegistryOptions& options) { impl_->Reload(options); }

}  // namespace glance
