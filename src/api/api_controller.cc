// The v1 API's front: version negotiation, the request context, routing,
// and the pre-flight's answer.  The handlers live in image_*_handlers.cc
// and member_handlers.cc; the data path in UploadFlow.
#include "glance/api/api_controller.h"

#include "glance/api/preflight.h"
#include "glance/api/upload_flow.h"
#include "glance/auth/keystone_auth.h"
#include "glance/common/auth_mode.h"
#include "glance/common/healthcheck.h"
#include "glance/common/http_error.h"
#include "glance/common/logging.h"
#include "glance/common/router.h"
#include "glance/registry/registry_client.h"
#include "glance/store/filesystem_store.h"
#include "v1_handlers.h"

namespace glance::api {

using nlohmann::json;

std::string BaseUrl(const ApiOptions& options, const HttpRequest& request) {
  if (!options.public_endpoint.empty()) return options.public_endpoint;
  return request.scheme + "://" + request.host;
}

void SetJson(HttpResponse* response, int status, const json& body) {
  response->status = status;
  response->SetHeader("Content-Type", "application/json");
  response->body = body.dump(-1, ' ', false, json::error_handler_t::replace);
}

class ApiController::Impl {
 public:
  explicit Impl(ApiOptions options)
      : options_(std::move(options)),
        registry_(options_.registry),
        store_(std::make_unique<FilesystemStore>(options_.datadir, options_.incoming_dir,
                                                 options_.data_location)),
        sources_(options_.external_sources),
        uploads_(options_, &registry_, store_.get(), &sources_),
        v1_{options_, registry_, *store_, sources_, uploads_},
        auth_(auth::MakeApiAuthenticator(options_.context, options_.keystone)) {
    router_.Add("GET", "/", &ListIndex);
    router_.Add("GET", "/images", &ListIndex);
    router_.Add("POST", "/images", &CreateImage);
    router_.Add("GET", "/images/detail", &ListDetail);
    // Registration order is the Allow order: upstream's router lists GET
    // before HEAD.
    router_.Add("GET", "/images/{id}", &Download);
    router_.Add("HEAD", "/images/{id}", &ShowMeta);
    router_.Add("PUT", "/images/{id}", &UpdateImage);
    router_.Add("DELETE", "/images/{id}", &DeleteImage);
    router_.Add("GET", "/images/{id}/members", &ListMembers);
    router_.Add("PUT", "/images/{id}/members", &ReplaceMembers);
    router_.Add("PUT", "/images/{id}/members/{member}", &AddMember);
    router_.Add("DELETE", "/images/{id}/members/{member}", &RemoveMember);
    router_.Add("GET", "/shared-images/{member}", &SharedImages);
  }

  void Handle(const HttpRequest& request, HttpResponse* response) const {
    ApiCall call{request, RequestContext(), {}, response, {}};
    Status s = Route(call);
    if (request.preflight) {
      AnswerPreflight(call, s);
    } else if (!s.ok()) {
      *response = HttpResponse();
      ErrorBody body = FormatErrorBody(s.HttpStatus(), s.message(),
                                       request.Header("Accept").value_or(""));
      response->status = s.HttpStatus();
      response->SetHeader("Content-Type", body.content_type);
      response->body = std::move(body.body);
      if (s.code() == Status::Code::kMethodNotAllowed) {
        response->SetHeader("Allow", call.allow);
      }
      if (s.code() == Status::Code::kUnauthorized && !auth_->Challenge().empty()) {
        response->SetHeader("WWW-Authenticate", auth_->Challenge());
      }
    }
    response->SetHeader("x-openstack-request-id", call.context.request_id);
    response->log_context = LogTag(call.context);
  }

  void StartWorker() const { uploads_.StartWorker(); }
  void StopWorker(std::chrono::seconds limit) const { uploads_.StopWorker(limit); }

 private:
  void AnswerPreflight(ApiCall& call, const Status& s) const {
    const std::string what = call.request.method + " " + call.request.path;
    if (s.ok()) {
      *call.response = PreflightAccepted();
      Log(LogLevel::kDebug, call.context.request_id, "pre-flight accepted " + what);
      return;
    }
    ErrorBody body =
        FormatErrorBody(s.HttpStatus(), s.message(), call.request.Header("Accept").value_or(""));
    HeaderList headers;
    if (s.code() == Status::Code::kMethodNotAllowed) headers.emplace_back("Allow", call.allow);
    if (s.code() == Status::Code::kUnauthorized && !auth_->Challenge().empty()) {
      headers.emplace_back("WWW-Authenticate", auth_->Challenge());
    }
    *call.response = PreflightRefused(s.HttpStatus(), body, headers);
    Log(LogLevel::kDebug, call.context.request_id,
        "pre-flight refused " + what + ": " + std::to_string(s.HttpStatus()) + " " + s.message());
  }

  void Versions(const HttpRequest& request, int status, HttpResponse* response) const {
    std::string href = BaseUrl(options_, request) + "/v1/";
    json link = json::array({{{"rel", "self"}, {"href", href}}});
    json versions = json::array({{{"id", "v1.1"}, {"status", "CURRENT"}, {"links", link}},
                                 {{"id", "v1.0"}, {"status", "SUPPORTED"}, {"links", link}}});
    SetJson(response, status, json{{"versions", versions}});
  }

  // What comes before identity, as in Glance's pipeline: the health check,
  // the versions document, redirects.  True when the request is for v1,
  // with its path below /v1 in `v1_path`; otherwise it has been answered.
  bool Negotiate(ApiCall& call, std::string* v1_path) const {
    const std::string& path = call.request.path;
    size_t slash = path.find('/', 1);
    std::string first = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    // Load balancers probe without credentials, as with oslo.middleware.
    if (path == options_.healthcheck.path &&
        (call.request.method == "GET" || call.request.method == "HEAD")) {
      HealthcheckReply health = CheckHealth(options_.healthcheck);
      call.response->status = health.status;
      call.response->SetHeader("Content-Type", "text/plain");
      if (call.request.method == "GET") call.response->body = health.body;
      return false;
    }
    if (first == "versions") {
      Versions(call.request, 200, call.response);
      return false;
    }
    std::string accept = call.request.Header("Accept").value_or("");
    const std::string vendor = "application/vnd.openstack.images-";
    if (accept.rfind(vendor, 0) == 0) {
      std::string version = accept.substr(vendor.size());
      if (version == "v1" || version == "v1.0" || version == "v1.1") {
        *v1_path = path;
        return true;
      }
    } else if (first == "v1" || first == "v1.0" || first == "v1.1") {
      *v1_path = path.substr(first.size() + 1);
      if (!v1_path->empty()) return true;
      call.response->status = 302;
      call.response->SetHeader("Location", BaseUrl(options_, call.request) + "/" + first + "/");
      return false;
    }
    Versions(call.request, 300, call.response);
    return false;
  }

  Status Route(ApiCall& call) const {
    call.context.request_id = ResolveRequestId(call.request.Header("X-Openstack-Request-Id"));
    std::string v1_path;
    if (!Negotiate(call, &v1_path)) {
      // Only an upload or a membership change reads a body; what answers
      // without one must not make nginx write a body to disk first.
      return call.request.preflight ? Status::InvalidArgument("This request takes no body.")
                                    : Status::Ok();
    }
    auto header = [&call](const std::string& name) { return call.request.Header(name); };
    Status s = auth_->Authenticate(header, &call.context);
    if (!s.ok()) return s;

    auto match = router_.Find(call.request.method, v1_path);
    using Kind = Router<V1Handler>::Match::Kind;
    if (match.kind == Kind::kNoPath) return Status::NotFound("The resource could not be found.");
    if (match.kind == Kind::kNoMethod) {
      call.allow = match.allow;
      return Status::MethodNotAllowed("The method " + call.request.method +
                                      " is not allowed for this resource.");
    }
    // Only uploads (POST/PUT of an image) and membership PUTs read a body;
    // anywhere else one is a client mistake or an attempt to smuggle
    // something past us (spec §20), refused before anything happens.
    if (call.request.HasBody() && call.request.method != "POST" && call.request.method != "PUT") {
      return Status::InvalidArgument("This request takes no body.");
    }
    call.params = std::move(match.params);
    return (*match.handler)(v1_, call);
  }

  ApiOptions options_;
  RegistryClient registry_;
  std::unique_ptr<const Store> store_;
  ExternalSources sources_;
  mutable UploadFlow uploads_;
  V1Services v1_;
  std::unique_ptr<Authenticator> auth_;
  Router<V1Handler> router_;
};

ApiController::ApiController(ApiOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ApiController::~ApiController() = default;
void ApiController::Handle(const HttpRequest& request, HttpResponse* response) const {
  impl_->Handle(request, response);
}
void ApiController::StartWorker() const { impl_->StartWorker(); }
void ApiController::StopWorker(std::chrono::seconds limit) const { impl_->StopWorker(limit); }

}  // namespace glance::api
