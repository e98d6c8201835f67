// The API's front: version negotiation, the request context, routing of
// v1 and v2, and the pre-flight's answer.  The v1 handlers live in
// image_*_handlers.cc and member_handlers.cc, the v2 ones in v2_*.cc; the
// data path in UploadFlow.
#include "glance/api/api_controller.h"

#include "glance/api/preflight.h"
#include "glance/api/upload_flow.h"
#include "glance/auth/keystone_auth.h"
#include "glance/common/auth_mode.h"
#include "glance/common/healthcheck.h"
#include "glance/common/http_error.h"
#include "glance/common/logging.h"
#include "glance/common/router.h"
#include "glance/image/v2_request.h"
#include "glance/registry/registry_client.h"
#include "glance/store/incoming_writeback.h"
#include "glance/store/store_set.h"
#include "image_read_cache.h"
#include "v1_handlers.h"
#include "v2_handlers.h"

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

namespace {

// What negotiation found the request is for.
enum class ApiVersion { kAnswered, kV1, kV2 };

// The version segments v2 answers on (contract §1.1: 25.1 without the
// multi-store and cache versions).
bool IsV2Segment(const std::string& segment) {
  static const char* const kSegments[] = {"v2",   "v2.0", "v2.1", "v2.2", "v2.3", "v2.4",
                                          "v2.5", "v2.6", "v2.7", "v2.9", "v2.15"};
  for (const char* known : kSegments) {
    if (segment == known) return true;
  }
  return false;
}

bool IsV1Segment(const std::string& segment) {
  return segment == "v1" || segment == "v1.0" || segment == "v1.1";
}

// A PATCH refused for its media type says which ones it takes (RFC 5789).
constexpr const char* kAcceptPatch = ::glance::v2::kPatchMediaType;
bool AcceptsPatchOnly(const HttpRequest& request, const Status& s) {
  return request.method == "PATCH" && s.code() == Status::Code::kUnsupportedMediaType;
}

// A v2 route: its handler, and whether it reads a body (upstream's
// body_reject routes answer 400 to one).
struct V2Route {
  V1Handler handler;
  bool takes_body = false;
};

StoreOptions StoreWithDataLocation(const ApiOptions& options) {
  StoreOptions store = options.store;
  store.file_location = options.data_location;
  store.upload_companion_socket = DigestSocketFor(options.fcgi.socket_path);
  return store;
}

// Images each worker process keeps (a few MiB at most).
constexpr size_t kReadCacheEntries = 2000;

}  // namespace

class ApiController::Impl {
 public:
  explicit Impl(ApiOptions options)
      : options_(std::move(options)),
        registry_(options_.registry),
        store_(std::make_unique<StoreSet>(StoreWithDataLocation(options_))),
        sources_(options_.external_sources),
        uploads_(options_, &registry_, store_.get(), &sources_),
        read_cache_(registry_, std::chrono::milliseconds(options_.metadata_cache_lease_ms),
                    kReadCacheEntries),
        services_{options_, registry_, *store_, sources_, uploads_,
                  read_cache_.enabled() ? &read_cache_ : nullptr},
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
    AddV2Routes();
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
      if (AcceptsPatchOnly(request, s)) response->SetHeader("Accept-Patch", kAcceptPatch);
    }
    response->SetHeader("x-openstack-request-id", call.context.request_id);
    response->log_context = LogTag(call.context);
    read_cache_.WaitOutLeases();
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
    if (AcceptsPatchOnly(call.request, s)) headers.emplace_back("Accept-Patch", kAcceptPatch);
    *call.response = PreflightRefused(s.HttpStatus(), body, headers);
    Log(LogLevel::kDebug, call.context.request_id,
        "pre-flight refused " + what + ": " + std::to_string(s.HttpStatus()) + " " + s.message());
  }

  // v2.9 is the newest v2 whose features we serve all of (no import,
  // multi-store or cache API); v1 stays, deprecated as upstream had it.
  void Versions(const HttpRequest& request, int status, HttpResponse* response) const {
    const std::string base = BaseUrl(options_, request);
    auto entry = [](const std::string& id, const char* state, const std::string& href) {
      return json{{"id", id}, {"status", state}, {"links", {{{"rel", "self"}, {"href", href}}}}};
    };
    json versions = json::array({entry("v2.9", "CURRENT", base + "/v2/")});
    for (int minor = 7; minor >= 0; --minor) {
      versions.push_back(entry("v2." + std::to_string(minor), "SUPPORTED", base + "/v2/"));
    }
    versions.push_back(entry("v1.1", "DEPRECATED", base + "/v1/"));
    versions.push_back(entry("v1.0", "DEPRECATED", base + "/v1/"));
    SetJson(response, status, json{{"versions", versions}});
  }

  // What comes before identity, as in Glance's pipeline: the health check,
  // the versions document, redirects.  For a v1 or v2 request, its path
  // below the version goes to `api_path`; otherwise it has been answered.
  ApiVersion Negotiate(ApiCall& call, std::string* api_path) const {
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
      return ApiVersion::kAnswered;
    }
    if (first == "versions") {
      Versions(call.request, 200, call.response);
      return ApiVersion::kAnswered;
    }
    std::string accept = call.request.Header("Accept").value_or("");
    const std::string vendor = "application/vnd.openstack.images-";
    if (accept.rfind(vendor, 0) == 0) {
      std::string version = accept.substr(vendor.size());
      version = version.substr(0, version.find_first_of(";, "));
      if (IsV1Segment(version) || IsV2Segment(version)) {
        *api_path = path;
        return IsV1Segment(version) ? ApiVersion::kV1 : ApiVersion::kV2;
      }
    } else if (IsV1Segment(first) || IsV2Segment(first)) {
      *api_path = path.substr(first.size() + 1);
      if (!api_path->empty()) return IsV1Segment(first) ? ApiVersion::kV1 : ApiVersion::kV2;
      call.response->status = 302;
      call.response->SetHeader("Location", BaseUrl(options_, call.request) + "/" + first + "/");
      return ApiVersion::kAnswered;
    }
    Versions(call.request, 300, call.response);
    return ApiVersion::kAnswered;
  }

  void AddV2Routes() {
    auto add = [this](const char* method, const char* pattern, V1Handler handler,
                      bool takes_body = false) {
      v2_router_.Add(method, pattern, V2Route{handler, takes_body});
    };
    // Registration order is the Allow order (contract §1.3).
    add("GET", "/images", &v2::ListImages);
    add("POST", "/images", &v2::CreateImage, true);
    add("GET", "/images/{id}", &v2::ShowImage);
    add("PATCH", "/images/{id}", &v2::PatchImage, true);
    add("DELETE", "/images/{id}", &v2::DeleteImage);
    add("GET", "/images/{id}/file", &v2::DownloadData);
    add("PUT", "/images/{id}/file", &v2::UploadData, true);
    add("PUT", "/images/{id}/tags/{tag}", &v2::AddTag);
    add("DELETE", "/images/{id}/tags/{tag}", &v2::RemoveTag);
    add("GET", "/images/{id}/members", &v2::ListMembers);
    add("POST", "/images/{id}/members", &v2::CreateMember, true);
    add("GET", "/images/{id}/members/{member}", &v2::ShowMember);
    add("PUT", "/images/{id}/members/{member}", &v2::UpdateMember, true);
    add("DELETE", "/images/{id}/members/{member}", &v2::DeleteMember);
    add("GET", "/schemas/{name}", &v2::ShowSchema);
  }

  // 404 for a path no route has, 405 with Allow for a method it does not
  // serve.
  template <typename Match>
  static Status Unrouted(const Match& match, ApiCall& call) {
    if (match.kind == Match::Kind::kNoPath) {
      return Status::NotFound("The resource could not be found.");
    }
    call.allow = match.allow;
    return Status::MethodNotAllowed("The method " + call.request.method +
                                    " is not allowed for this resource.");
  }

  Status RouteV2(ApiCall& call, const std::string& path) const {
    auto match = v2_router_.Find(call.request.method, path);
    if (match.kind != decltype(match)::Kind::kFound) return Unrouted(match, call);
    if (call.request.HasBody() && !match.handler->takes_body) {
      return Status::InvalidArgument("A body is not expected with this request.");
    }
    call.params = std::move(match.params);
    return (*match.handler->handler)(services_, call);
  }

  Status Route(ApiCall& call) const {
    call.context.request_id = ResolveRequestId(call.request.Header("X-Openstack-Request-Id"));
    std::string api_path;
    ApiVersion version = Negotiate(call, &api_path);
    if (version == ApiVersion::kAnswered) {
      // Only an upload or a membership change reads a body; what answers
      // without one must not make nginx write a body to disk first.
      return call.request.preflight ? Status::InvalidArgument("This request takes no body.")
                                    : Status::Ok();
    }
    auto header = [&call](const std::string& name) { return call.request.Header(name); };
    Status s = auth_->Authenticate(header, &call.context);
    if (!s.ok()) return s;
    if (version == ApiVersion::kV2) return RouteV2(call, api_path);

    auto match = router_.Find(call.request.method, api_path);
    if (match.kind != decltype(match)::Kind::kFound) return Unrouted(match, call);
    // Only uploads (POST/PUT of an image) and membership PUTs read a body;
    // anywhere else one is a client mistake or an attempt to smuggle
    // something past us (spec §20), refused before anything happens.
    if (call.request.HasBody() && call.request.method != "POST" && call.request.method != "PUT") {
      return Status::InvalidArgument("This request takes no body.");
    }
    call.params = std::move(match.params);
    return (*match.handler)(services_, call);
  }

  ApiOptions options_;
  RegistryClient registry_;
  std::unique_ptr<const Store> store_;
  ExternalSources sources_;
  mutable UploadFlow uploads_;
  mutable ImageReadCache read_cache_;
  ApiServices services_;
  std::unique_ptr<Authenticator> auth_;
  Router<V1Handler> router_;
  Router<V2Route> v2_router_;
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
