// The v1 API: negotiation, context, routing and the image/member handlers.
#include "glance/api/api_controller.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "glance/api/copy_runner.h"
#include "glance/api/external_source.h"
#include "glance/api/preflight.h"
#include "glance/api/upload_guard.h"
#include "glance/api/upload_leases.h"
#include "glance/common/http_error.h"
#include "glance/common/logging.h"
#include "glance/common/router.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/image/image_headers.h"
#include "glance/image/image_json.h"
#include "glance/registry/registry_client.h"
#include "glance/store/filesystem_store.h"

namespace glance::api {

using nlohmann::json;

namespace {

constexpr size_t kMaxJsonBodyBytes = 1 << 20;

// The image's data location when it is an external http(s) source
// (x-image-meta-location) rather than a file of this store.
const ImageLocation* ExternalLocation(const Image& image) {
  for (const ImageLocation& l : image.locations) {
    if (l.status == "active" && (l.url.rfind("http://", 0) == 0 || l.url.rfind("https://", 0) == 0)) {
      return &l;
    }
  }
  return nullptr;
}

// The v1 JSON of an image: the registry dict without what v1 never shows
// (locations, spec §4.2; the v2-era hash fields).  An external location
// only when the operator turned show_image_direct_url on: store paths
// never.
json ImageToApiJson(const Image& image, bool show_direct_url) {
  json dict = ImageToRegistryJson(image);
  for (const char* hidden : {"location", "location_data", "os_hash_algo", "os_hash_value"}) {
    dict.erase(hidden);
  }
  if (const ImageLocation* external = ExternalLocation(image); show_direct_url && external) {
    dict["location"] = external->url;
  }
  return dict;
}

void SetJson(HttpResponse* response, int status, const json& body) {
  response->status = status;
  response->SetHeader("Content-Type", "application/json");
  response->body = body.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

Status ReadBodyFile(const HttpRequest& request, std::string* body) {
  body->clear();
  if (request.body_file.empty()) return Status::Ok();
  int fd = open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Ok();  // no body was written
  struct stat st {};
  fstat(fd, &st);
  if (st.st_size > static_cast<off_t>(kMaxJsonBodyBytes)) {
    close(fd);
    return Status::TooLarge("Request body too large.");
  }
  body->resize(static_cast<size_t>(st.st_size));
  ssize_t n = st.st_size > 0 ? read(fd, body->data(), body->size()) : 0;
  close(fd);
  if (n != st.st_size) return Status::InvalidArgument("Could not read the request body.");
  return Status::Ok();
}

}  // namespace

class ApiController::Impl {
 public:
  struct Call {
    const HttpRequest& request;
    RequestContext context;
    PathParams params;
    HttpResponse* response;
    std::string allow;  // for 405 answers
  };
  using Handler = Status (*)(const Impl&, Call&);

  explicit Impl(ApiOptions options)
      : options_(std::move(options)),
        registry_(options_.registry),
        store_(std::make_unique<FilesystemStore>(options_.datadir, options_.incoming_dir,
                                                 options_.data_location)),
        sources_(options_.external_sources),
        copies_(options_.external_sources.max_concurrent_copies),
        leases_(&registry_, options_.interrupted_upload_timeout,
                [this](const std::string& id) { RemoveData(id); }) {
    router_.Add("GET", "/", &Impl::Index);
    router_.Add("GET", "/images", &Impl::Index);
    router_.Add("POST", "/images", &Impl::Create);
    router_.Add("GET", "/images/detail", &Impl::Detail);
    // Registration order is the Allow order: upstream's router lists GET
    // before HEAD.
    router_.Add("GET", "/images/{id}", &Impl::Download);
    router_.Add("HEAD", "/images/{id}", &Impl::Meta);
    router_.Add("PUT", "/images/{id}", &Impl::Update);
    router_.Add("DELETE", "/images/{id}", &Impl::Delete);
    router_.Add("GET", "/images/{id}/members", &Impl::ListMembers);
    router_.Add("PUT", "/images/{id}/members", &Impl::ReplaceMembers);
    router_.Add("PUT", "/images/{id}/members/{member}", &Impl::AddMember);
    router_.Add("DELETE", "/images/{id}/members/{member}", &Impl::RemoveMember);
    router_.Add("GET", "/shared-images/{member}", &Impl::SharedImages);
  }

  void Handle(const HttpRequest& request, HttpResponse* response) const {
    Call call{request, RequestContext(), {}, response, {}};
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
    }
    response->SetHeader("x-openstack-request-id", call.context.request_id);
    response->log_context = LogTag(call.context);
  }

  // A worker that starts finds the copies of workers that died (killed,
  // crashed) in the incoming directory: their images stay `saving` for
  // ever unless someone marks them killed.
  void RecoverOrphanCopies() const {
    std::vector<std::string> orphans = store_->ClaimOrphanCopies();
    if (orphans.empty()) return;
    RequestContext admin;
    admin.is_admin = true;
    admin.request_id = ResolveRequestId(std::nullopt);
    for (const std::string& id : orphans) {
      LogWarning("image " + id + ": its copy-from died with its worker; marking it killed");
      Image ignored;
      registry_.UpdateImage(admin, id, json{{"status", "killed"}}, false, std::string("saving"),
                            &ignored);
    }
  }

  void StartLeases() const { leases_.Start(); }
  void StopCopies(std::chrono::seconds limit) const {
    copies_.Stop(limit);
    leases_.Stop();
  }

 private:
  // ---- the pre-flight of requests with a body --------------------------

  // nginx's auth_request only tells 2xx (read the body) from 401/403: a
  // refusal travels as 403 with the real answer in headers, which nginx
  // turns back into that answer without reading the body.
  void AnswerPreflight(Call& call, const Status& s) const {
    const std::string what = call.request.method + " " + call.request.path;
    if (s.ok()) {
      *call.response = PreflightAccepted();
      Log(LogLevel::kDebug, call.context.request_id, "pre-flight accepted " + what);
      return;
    }
    ErrorBody body =
        FormatErrorBody(s.HttpStatus(), s.message(), call.request.Header("Accept").value_or(""));
    *call.response = PreflightRefused(s.HttpStatus(), body, call.allow);
    Log(LogLevel::kDebug, call.context.request_id,
        "pre-flight refused " + what + ": " + std::to_string(s.HttpStatus()) + " " + s.message());
  }

  // What the pre-flight checks of an upload beyond the handler's own rules:
  // the store's free space and the caller's storage quota, for the size
  // the client declared (Content-Length, else x-image-meta-size).
  Status PreflightUpload(const Call& call, const ImageChanges& changes) const {
    std::optional<int64_t> declared;
    if (call.request.content_length) declared = *call.request.content_length;
    else if (changes.size && *changes.size) declared = **changes.size;
    // Free space first: it needs no registry round trip.
    Status s = CheckFreeSpace(store_->incoming_dir(), declared);
    if (!s.ok() || options_.user_storage_quota <= 0) return s;
    int64_t used = 0;
    s = registry_.StorageUsage(call.context, &used);
    if (!s.ok()) return s;
    return CheckQuota(options_.user_storage_quota, used, declared);
  }

  std::optional<int64_t> StorageQuota() const {
    if (options_.user_storage_quota <= 0) return std::nullopt;
    return options_.user_storage_quota;
  }

  void RemoveData(const std::string& id) const {
    Status s = store_->Remove(id);
    if (!s.ok() && s.code() != Status::Code::kNotFound) {
      LogWarning("image " + id + ": its data could not be removed: " + s.message());
    }
  }

  // ---- negotiation and routing ----------------------------------------

  std::string BaseUrl(const HttpRequest& request) const {
    if (!options_.public_endpoint.empty()) return options_.public_endpoint;
    return request.scheme + "://" + request.host;
  }

  void Versions(const HttpRequest& request, int status, HttpResponse* response) const {
    std::string href = BaseUrl(request) + "/v1/";
    json link = json::array({{{"rel", "self"}, {"href", href}}});
    json versions = json::array({{{"id", "v1.1"}, {"status", "CURRENT"}, {"links", link}},
                                 {{"id", "v1.0"}, {"status", "SUPPORTED"}, {"links", link}}});
    SetJson(response, status, json{{"versions", versions}});
  }

  Status Route(Call& call) const {
    const std::string& path = call.request.path;
    std::string first = path.substr(1, path.find('/', 1) == std::string::npos
                                           ? std::string::npos
                                           : path.find('/', 1) - 1);
    // Version negotiation comes before identity, as in Glance's pipeline:
    // the versions document needs no credentials.
    call.context.request_id = ResolveRequestId(call.request.Header("X-Openstack-Request-Id"));
    // Only an upload or a membership change reads a body; whatever answers
    // without one must not make nginx write a body to disk first.
    auto bodiless_answer = [&call] {
      return call.request.preflight ? Status::InvalidArgument("This request takes no body.")
                                    : Status::Ok();
    };
    // Load balancers probe without credentials, as with oslo.middleware.
    if (path == options_.healthcheck.path &&
        (call.request.method == "GET" || call.request.method == "HEAD")) {
      if (call.request.preflight) return bodiless_answer();
      HealthcheckReply health = CheckHealth(options_.healthcheck);
      call.response->status = health.status;
      call.response->SetHeader("Content-Type", "text/plain");
      if (call.request.method == "GET") call.response->body = health.body;
      return Status::Ok();
    }
    if (first == "versions") {
      if (call.request.preflight) return bodiless_answer();
      Versions(call.request, 200, call.response);
      return Status::Ok();
    }
    std::string v1_path;
    std::string accept = call.request.Header("Accept").value_or("");
    const std::string vendor = "application/vnd.openstack.images-";
    if (accept.rfind(vendor, 0) == 0) {
      std::string version = accept.substr(vendor.size());
      if (version != "v1" && version != "v1.0" && version != "v1.1") {
        if (call.request.preflight) return bodiless_answer();
        Versions(call.request, 300, call.response);
        return Status::Ok();
      }
      v1_path = path;
    } else if (first == "v1" || first == "v1.0" || first == "v1.1") {
      v1_path = path.substr(first.size() + 1);
      if (v1_path.empty()) {
        if (call.request.preflight) return bodiless_answer();
        call.response->status = 302;
        call.response->SetHeader("Location", BaseUrl(call.request) + "/" + first + "/");
        return Status::Ok();
      }
    } else {
      if (call.request.preflight) return bodiless_answer();
      Versions(call.request, 300, call.response);
      return Status::Ok();
    }

    auto header = [&call](const std::string& name) { return call.request.Header(name); };
    std::string request_id = call.context.request_id;
    Status s = BuildRequestContext(options_.context, header, &call.context);
    call.context.request_id = request_id;
    if (!s.ok()) return s;

    auto match = router_.Find(call.request.method, v1_path);
    using Kind = Router<Handler>::Match::Kind;
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
    return (*match.handler)(*this, call);
  }

  // ---- lists -------------------------------------------------------------

  Status List(Call& call, bool detail) const {
    QueryParams params;
    Status s = ParseQueryString(call.request.query_string, &params);
    if (!s.ok()) return s;
    ListQuery query;
    s = ParseListQuery(params, call.context, options_.limits, &query);  // validation
    if (!s.ok()) return s;
    // glance-api never forwards `deleted` (spec §7.1).
    std::string forward;
    for (const auto& [key, value] : params) {
      if (key == "deleted") continue;
      forward += (forward.empty() ? "" : "&") + UrlEncode(key) + "=" + UrlEncode(value);
    }
    // The registry answers in the v1 shape: its body is passed on as is.
    std::string body;
    s = registry_.ListImagesJson(call.context, detail, forward, &body);
    if (!s.ok()) return s;
    call.response->status = 200;
    call.response->SetHeader("Content-Type", "application/json");
    call.response->body = std::move(body);
    return Status::Ok();
  }

  static Status Index(const Impl& self, Call& call) { return self.List(call, false); }
  static Status Detail(const Impl& self, Call& call) { return self.List(call, true); }

  // ---- single images -----------------------------------------------------

  Status GetVisible(Call& call, Image* image) const {
    const std::string& id = call.params[0];
    if (!IsUuidLike(id)) return Status::NotFound("No image found with ID " + id);
    return registry_.GetImage(call.context, ToLower(id), image);
  }

  HeaderPairs MetaHeaders(const Image& image) const {
    HeaderPairs headers = ImageToMetaHeaders(image);
    if (const ImageLocation* external = ExternalLocation(image);
        options_.show_image_direct_url && external) {
      headers.emplace_back("x-image-meta-location", external->url);
    }
    if (image.checksum) headers.emplace_back("ETag", *image.checksum);
    return headers;
  }

  void SetImageHeaders(const Image& image, HttpResponse* response) const {
    for (auto& [name, value] : MetaHeaders(image)) response->SetHeader(name, value);
  }

  static Status Meta(const Impl& self, Call& call) {
    Image image;
    Status s = self.GetVisible(call, &image);
    if (!s.ok()) return s;
    self.SetImageHeaders(image, call.response);
    call.response->SetHeader("Content-Type", "application/octet-stream");
    // As upstream (WebOb) answers HEAD: an explicit empty body.  The size is
    // in x-image-meta-size.
    call.response->SetHeader("Content-Length", "0");
    call.response->status = 200;
    return Status::Ok();
  }

  static Status Download(const Impl& self, Call& call) {
    Image image;
    Status s = self.GetVisible(call, &image);
    if (!s.ok()) return s;
    if (image.status != "active") {
      return Status::NotFound("Image " + image.id + " is not active (status " + image.status + ").");
    }
    if (image.size.value_or(0) == 0) {
      // An empty image (created with x-image-meta-size: 0) has no file.
      self.SetImageHeaders(image, call.response);
      call.response->SetHeader("Content-Type", "application/octet-stream");
      call.response->SetHeader("Content-Length", "0");
      call.response->status = 200;
      return Status::Ok();
    }
    json packed = json::array();
    for (const auto& [name, value] : self.MetaHeaders(image)) packed.push_back({name, value});
    packed.push_back({"x-openstack-request-id", call.context.request_id});
    call.response->status = 200;
    call.response->SetHeader("Content-Type", "application/octet-stream");
    if (const ImageLocation* external = ExternalLocation(image)) {
      return self.RedirectToSource(call, image, external->url, std::move(packed));
    }
    int64_t stored_size = 0;
    s = self.store_->Size(image.id, &stored_size);
    if (!s.ok()) {
      LogError("image " + image.id + " is active but its data is missing from the store");
      return Status::NotFound("Image data for " + image.id + " could not be found in the store.");
    }
    ServeTarget target;
    s = self.store_->Serve(image.id, &target);
    if (!s.ok()) return s;
    call.response->SetHeader("X-Glance-Image-Headers",
                             packed.dump(-1, ' ', true, json::error_handler_t::replace));
    call.response->SetHeader("X-Accel-Redirect", target.redirect);
    for (const auto& [name, value] : target.headers) call.response->SetHeader(name, value);
    return Status::Ok();
  }

  // The data of a location-backed image is proxied by nginx, never by a
  // worker.  The source is checked again now (what it resolves to may have
  // changed since the image was created) and nginx is handed the checked
  // address itself, so it never resolves the name on its own.
  Status RedirectToSource(Call& call, const Image& image, const std::string& url,
                          json packed) const {
    ResolvedSource source;
    Status s = sources_.Resolve(url, &source);
    if (!s.ok()) {
      Log(LogLevel::kError, call.context.request_id,
          "image " + image.id + ": its location is not usable now: " + s.message());
      return Status::Unavailable("The data of image " + image.id +
                                 " cannot be read from its location now.");
    }
    // The source's own type, cookies and validators must not reach clients.
    packed.push_back({"Content-Type", "application/octet-stream"});
    HttpResponse* r = call.response;
    r->SetHeader("X-Glance-Image-Headers", packed.dump(-1, ' ', true, json::error_handler_t::replace));
    r->SetHeader("X-Glance-Source-Scheme", source.uri.scheme);
    r->SetHeader("X-Glance-Source-Addr", source.AddressAndPort());
    r->SetHeader("X-Glance-Source-Uri", source.uri.target);
    r->SetHeader("X-Glance-Source-Host", source.uri.HostHeader());
    r->SetHeader("X-Glance-Source-Name", source.uri.host);
    r->SetHeader("X-Accel-Redirect", options_.source_location + image.id);
    return Status::Ok();
  }

  // Validation shared by create and update (spec §4.1 order): formats, the
  // declared size against the cap, publicize policy, property quota, then
  // an external source (spec §13, §20.7) -- its policy before any network
  // look-up, so whoever may not use sources cannot probe with them either.
  Status ValidateMeta(const Call& call, ImageMetaHeaders* meta, int64_t existing_properties,
                      std::optional<ResolvedSource>* source) const {
    ImageChanges& c = meta->changes;
    auto amazon = [](const std::optional<std::optional<std::string>>& f) {
      return f && *f && (**f == "aki" || **f == "ari" || **f == "ami");
    };
    if (c.disk_format && *c.disk_format && !Contains(options_.disk_formats, **c.disk_format)) {
      return Status::InvalidArgument("Invalid disk format '" + **c.disk_format + "' for image.");
    }
    if (c.container_format && *c.container_format &&
        !Contains(options_.container_formats, **c.container_format)) {
      return Status::InvalidArgument("Invalid container format '" + **c.container_format +
                                     "' for image.");
    }
    if (amazon(c.disk_format) || amazon(c.container_format)) {
      bool has_disk = c.disk_format && *c.disk_format;
      bool has_container = c.container_format && *c.container_format;
      if (has_disk && !has_container) c.container_format = c.disk_format;
      else if (has_container && !has_disk) c.disk_format = c.container_format;
      else if (**c.disk_format != **c.container_format) {
        return Status::InvalidArgument(
            "Invalid mix of disk and container formats. When setting a disk or container "
            "format to one of 'aki', 'ari', or 'ami', the container and disk formats must "
            "match.");
      }
    }
    std::optional<int64_t> declared;
    if (call.request.HasBody() && call.request.content_length) declared = call.request.content_length;
    else if (c.size && *c.size) declared = **c.size;
    if (declared && *declared > options_.image_size_cap) {
      return Status::InvalidArgument(SizeCapMessage());
    }
    if (c.is_public && *c.is_public && !call.context.is_admin) {
      return Status::Forbidden("You are not permitted to publicize images.");
    }
    if (options_.image_property_quota >= 0 && c.properties) {
      int64_t attempted = static_cast<int64_t>(c.properties->size()) + existing_properties;
      if (attempted > options_.image_property_quota) {
        return Status::TooLarge(
            "The limit has been exceeded on the number of allowed image properties. Attempted: " +
            std::to_string(attempted) + ", Maximum: " + std::to_string(options_.image_property_quota));
      }
    }
    if (meta->location || meta->copy_from) {
      int sources = (call.request.HasBody() ? 1 : 0) + (meta->location ? 1 : 0) + (meta->copy_from ? 1 : 0);
      if (sources > 1) return Status::InvalidArgument("It's invalid to provide multiple image sources.");
      if (!call.context.is_admin) {
        if (meta->copy_from && options_.copy_from_admin_only) {
          return Status::Forbidden("You are not permitted to copy image data from an external source.");
        }
        if (meta->location && options_.set_image_location_admin_only) {
          return Status::Forbidden("You are not permitted to set the location of an image.");
        }
      }
      ResolvedSource resolved;
      Status s = sources_.Resolve(meta->location ? *meta->location : *meta->copy_from, &resolved);
      if (!s.ok()) return s;
      *source = std::move(resolved);
    }
    if (meta->store && *meta->store != "file") {
      return Status::InvalidArgument("Store for scheme " + *meta->store + " not found");
    }
    if (call.request.HasBody()) {
      std::string type = call.request.content_type;
      if (type.find(';') != std::string::npos) type = Trim(type.substr(0, type.find(';')));
      if (type != "application/octet-stream") {
        return Status::InvalidArgument("Content-Type must be application/octet-stream");
      }
    }
    return Status::Ok();
  }

  std::string SizeCapMessage() const {
    return "Denying attempt to upload image larger than " + std::to_string(options_.image_size_cap) +
           " bytes.";
  }

  Status RequireFormats(const Image& image, const ImageChanges& c) const {
    bool disk = (c.disk_format && *c.disk_format) || (!c.disk_format && image.disk_format);
    bool container = (c.container_format && *c.container_format) ||
                     (!c.container_format && image.container_format);
    if (!disk) return Status::InvalidArgument("Disk format is not specified.");
    if (!container) return Status::InvalidArgument("Container format is not specified.");
    return Status::Ok();
  }

  void Kill(const RequestContext& context, const std::string& id, const std::string& file) const {
    store_->Discard(file);
    Image ignored;
    Status s = registry_.UpdateImage(context, id, json{{"status", "killed"}}, false,
                                     std::nullopt, &ignored);
    if (!s.ok()) LogWarning("could not mark image " + id + " killed: " + s.message());
  }

  // Turns nginx's body file into the image's data (spec §10).
  Status Upload(const Call& call, const ImageMetaHeaders& meta, Image* image) const {
    const std::string& file = call.request.body_file;
    Status s = store_->CheckUpload(file);
    if (!s.ok()) {
      LogError("upload for " + image->id + ": " + s.message() + " (" + file + ")");
      Kill(call.context, image->id, "");
      return Status::InvalidArgument("The image data was not received.");
    }
    struct stat received {};
    if (stat(file.c_str(), &received) != 0) {
      Kill(call.context, image->id, file);
      return Status::InvalidArgument("The image data was not received.");
    }
    // Becoming `saving` reserves the received size against the tenant's
    // quota, atomically with every other upload of that tenant.
    Image saving;
    s = registry_.UpdateImage(call.context, image->id,
                              json{{"status", "saving"}, {"size", static_cast<int64_t>(received.st_size)}},
                              false, std::string("queued"), &saving, StorageQuota());
    if (!s.ok()) {
      store_->Discard(file);
      if (s.code() == Status::Code::kConflict) return Status::Conflict("Attempt to upload duplicate image");
      if (s.code() == Status::Code::kTooLarge) {
        Kill(call.context, image->id, "");
        return Status::TooLarge("Denying attempt to upload image because it exceeds the quota: " +
                                s.message());
      }
      return s;
    }
    auto lease = leases_.Hold(image->id, call.context.request_id);
    UploadHold held = store_->HoldUpload(file);
    s = Ingest(call.context, image->id, file, meta.changes, image);
    return s;
  }

  // Makes a complete file of the incoming directory the data of image `id`,
  // which is `saving`: hash and flush it, check it against the cap and the
  // declared size and checksum, rename it into the store, mark the image
  // active.  Any failure kills the image and removes the file (spec §10).
  Status Ingest(const RequestContext& context, const std::string& id, const std::string& file,
                const ImageChanges& declared, Image* image) const {
    ImageDigests digests;
    Status s = store_->HashAndSync(file, &digests);
    if (!s.ok()) {
      Kill(context, id, file);
      return s;
    }
    if (digests.size > options_.image_size_cap) {
      Kill(context, id, file);
      return Status::TooLarge(SizeCapMessage());
    }
    const ImageChanges& c = declared;
    if (c.size && *c.size && **c.size != digests.size) {
      Kill(context, id, file);
      return Status::InvalidArgument("Supplied size (" + std::to_string(**c.size) +
                                     ") and size generated from uploaded image (" +
                                     std::to_string(digests.size) +
                                     ") did not match. Setting image status to 'killed'.");
    }
    if (c.checksum && *c.checksum && ToLower(**c.checksum) != digests.md5) {
      Kill(context, id, file);
      return Status::InvalidArgument("Supplied checksum (" + **c.checksum +
                                     ") and checksum generated from uploaded image (" +
                                     digests.md5 +
                                     ") did not match. Setting image status to 'killed'.");
    }
    std::string location;
    s = store_->Adopt(file, id, &location);
    if (!s.ok()) {
      Kill(context, id, file);
      return s;
    }
    json done{{"status", "active"},           {"size", digests.size},
              {"checksum", digests.md5},      {"os_hash_algo", "sha512"},
              {"os_hash_value", digests.sha512}, {"location", location}};
    s = registry_.UpdateImage(context, id, done, false, std::string("saving"), image, StorageQuota());
    if (!s.ok()) {
      // Deleted (or changed) while we hashed: its data must not stay behind.
      store_->Remove(id);
      if (s.code() == Status::Code::kTooLarge) {
        Kill(context, id, "");
        return Status::TooLarge("Denying attempt to upload image because it exceeds the quota: " +
                                s.message());
      }
      if (s.code() == Status::Code::kNotFound || s.code() == Status::Code::kConflict) {
        return Status::PreconditionFailed("Image " + id +
                                          " could not be found after upload. The image may have "
                                          "been deleted during the upload.");
      }
      return s;
    }
    return Status::Ok();
  }

  // x-image-meta-location (spec §13): the data stays at the source and the
  // image is active at once, with the source's size and no checksum
  // (nothing was hashed; a client's checksum is not evidence).
  Status ApplyLocation(const ResolvedSource& source, ImageChanges* changes) const {
    std::optional<int64_t> remote;
    Status s = sources_.ProbeSize(source, &remote);
    if (!s.ok()) return s;
    std::optional<int64_t> declared;
    if (changes->size && *changes->size) declared = **changes->size;
    if (declared && remote && *declared != *remote) {
      return Status::Conflict(
          "Provided image size must match the stored image size. (provided size: " +
          std::to_string(*declared) + ", stored size: " + std::to_string(*remote) + ")");
    }
    std::optional<int64_t> size = declared ? declared : remote;
    if (!size) {
      return Status::InvalidArgument("The source '" + source.uri.uri +
                                     "' does not tell its size: give x-image-meta-size.");
    }
    if (*size > options_.image_size_cap) return Status::InvalidArgument(SizeCapMessage());
    changes->size = size;
    changes->checksum = std::optional<std::string>();
    changes->location = std::optional<std::string>(source.uri.uri);
    changes->status = "active";
    return Status::Ok();
  }

  Status ReserveCopySlot() const {
    if (copies_.TryReserve()) return Status::Ok();
    return Status::Unavailable(
        "This API server is copying as many images as it may at once; try again later.");
  }

  // x-glance-api-copy-from (spec §13): the reply goes out with the image
  // queued, then a thread of this worker copies the bytes (CopyRunner
  // bounds how many, and cancels them when the worker stops).
  void StartCopy(const RequestContext& context, const std::string& id, ResolvedSource source,
                 ImageChanges declared) const {
    copies_.Start([this, context, id, source = std::move(source),
                   declared = std::move(declared)](const std::function<bool()>& cancelled) {
      Copy(context, id, source, declared, cancelled);
    });
  }

  // queued -> saving -> active, or killed.  The bytes go to a locked file
  // of the incoming directory and become the image's data exactly as an
  // upload does (Ingest), so a copy that dies half way is never active.
  void Copy(const RequestContext& context, const std::string& id, const ResolvedSource& source,
            const ImageChanges& declared, const std::function<bool()>& cancelled) const {
    const std::string& request_id = context.request_id;
    if (cancelled()) {
      // The worker began stopping between the reply and this thread: the
      // image stays queued, and the client may ask again.
      Log(LogLevel::kWarning, request_id, "copy-from for image " + id + " not started: worker stopping");
      return;
    }
    Image image;
    Status s = registry_.UpdateImage(context, id, json{{"status", "saving"}}, false,
                                     std::string("queued"), &image);
    if (!s.ok()) {
      Log(LogLevel::kWarning, request_id, "copy-from for image " + id + " not started: " + s.message());
      return;
    }
    auto lease = leases_.Hold(id, request_id);
    int fd = -1;
    std::string file;
    s = store_->NewCopyFile(id, &fd, &file);
    if (!s.ok()) {
      Kill(context, id, "");
    } else {
      int64_t limit = options_.image_size_cap;
      if (declared.size && *declared.size) limit = std::min(limit, **declared.size);
      int64_t bytes = 0;
      s = sources_.Fetch(source, fd, limit, cancelled, &bytes);
      if (s.ok() && cancelled()) {
        s = Status::Unavailable("The copy was cancelled: the API worker is stopping.");
      }
      if (s.ok()) {
        s = Ingest(context, id, file, declared, &image);  // kills the image itself on failure
      } else {
        Kill(context, id, file);
      }
      close(fd);  // only now: the lock tells sweepers the copy is alive
    }
    if (s.ok()) {
      Log(LogLevel::kInfo, request_id,
          "copy-from for image " + id + " done: " + std::to_string(image.size.value_or(0)) +
              " bytes from " + source.uri.Origin());
    } else {
      Log(LogLevel::kWarning, request_id,
          "copy-from for image " + id + " from " + source.uri.Origin() + " failed, image killed: " +
              s.message());
    }
  }

  void SetImageReply(Call& call, int status, const Image& image) const {
    SetJson(call.response, status,
            json{{"image", ImageToApiJson(image, options_.show_image_direct_url)}});
    if (image.checksum) call.response->SetHeader("ETag", *image.checksum);
  }

  static Status Create(const Impl& self, Call& call) {
    if (call.context.read_only) return Status::Forbidden("Read-only access");
    ImageMetaHeaders meta;
    Status s = ParseImageMetaHeaders(call.request.headers, &meta);
    if (!s.ok()) return s;
    if (meta.raw_id) {
      if (!IsUuidLike(*meta.raw_id)) return Status::InvalidArgument("Invalid image id format");
      meta.changes.id = ToLower(*meta.raw_id);
    }
    std::optional<ResolvedSource> source;
    s = self.ValidateMeta(call, &meta, 0, &source);
    if (!s.ok()) return s;
    bool body = call.request.HasBody();
    bool copy = source && meta.copy_from;
    if (body || source) {
      Image none;
      s = self.RequireFormats(none, meta.changes);
      if (!s.ok()) return s;
    }
    if (call.request.preflight) return self.PreflightUpload(call, meta.changes);
    ImageChanges reserve = meta.changes;
    if (!call.context.is_admin) reserve.owner.reset();
    if (source && meta.location) {
      s = self.ApplyLocation(*source, &reserve);
      if (!s.ok()) return s;
    } else {
      bool empty_image = !body && !copy && reserve.size && *reserve.size && **reserve.size == 0;
      reserve.status = empty_image ? "active" : "queued";
      if (body || !reserve.size || !*reserve.size) reserve.size = std::optional<int64_t>(0);
    }
    if (copy) {
      s = self.ReserveCopySlot();
      if (!s.ok()) return s;
    }
    Image image;
    s = self.registry_.CreateImage(call.context, ImageChangesToJson(reserve), &image);
    if (!s.ok()) {
      if (copy) self.copies_.Release();
      if (s.code() == Status::Code::kConflict) {
        return Status::Conflict("An image with identifier " + meta.changes.id.value_or("") +
                                " already exists");
      }
      return s;
    }
    if (body) {
      s = self.Upload(call, meta, &image);
      if (!s.ok()) return s;
    }
    if (copy) self.StartCopy(call.context, image.id, std::move(*source), meta.changes);
    self.SetImageReply(call, 201, image);
    call.response->SetHeader("Location", self.BaseUrl(call.request) + "/v1/images/" + image.id);
    return Status::Ok();
  }

  static Status Update(const Impl& self, Call& call) {
    if (call.context.read_only) return Status::Forbidden("Read-only access");
    ImageMetaHeaders meta;
    Status s = ParseImageMetaHeaders(call.request.headers, &meta);
    if (!s.ok()) return s;
    Image current;
    s = self.GetVisible(call, &current);
    if (!s.ok()) return s;
    if (current.deleted || current.status == "deleted") {
      return Status::Forbidden("Forbidden to update deleted image.");
    }
    const ImageChanges& c = meta.changes;
    if (!call.context.is_admin && current.status == "active") {
      if (c.size && *c.size != current.size) {
        return Status::Forbidden("Forbidden to modify 'size' of active image.");
      }
      if (c.checksum && *c.checksum != current.checksum) {
        return Status::Forbidden("Forbidden to modify 'checksum' of active image.");
      }
    }
    if (meta.raw_status && *meta.raw_status != current.status) {
      return Status::Forbidden("Forbidden to modify 'status' of image.");
    }
    if (meta.raw_id && ToLower(*meta.raw_id) != current.id) {
      return Status::Forbidden("Forbidden to modify 'id' of image.");
    }
    bool body = call.request.HasBody();
    if (body && current.status != "queued") {
      return Status::Conflict("Cannot upload to an unqueued image");
    }
    if ((meta.location || meta.copy_from) && current.status != "queued") {
      return Status::InvalidArgument(
          "Attempted to update Location field for an image not in queued status.");
    }
    bool purge = !body && BoolFromString(call.request.Header("X-Glance-Registry-Purge-Props").value_or("true"));
    int64_t existing = 0;
    if (!purge && c.properties) {
      for (const auto& [key, value] : current.properties) {
        if (!c.properties->count(key)) ++existing;
      }
    }
    std::optional<ResolvedSource> source;
    s = self.ValidateMeta(call, &meta, existing, &source);
    if (!s.ok()) return s;
    bool copy = source && meta.copy_from;
    if (body || source) {
      s = self.RequireFormats(current, meta.changes);
      if (!s.ok()) return s;
    }
    if (call.request.preflight) return self.PreflightUpload(call, meta.changes);
    ImageChanges changes = meta.changes;
    changes.id.reset();
    changes.status.reset();
    changes.created_at.reset();
    changes.updated_at.reset();
    if (!call.context.is_admin) changes.owner.reset();
    std::optional<std::string> from_state;
    if (source && meta.location) {
      s = self.ApplyLocation(*source, &changes);
      if (!s.ok()) return s;
      from_state = "queued";  // activation is a compare-and-set (spec §9)
    }
    if (copy) {
      s = self.ReserveCopySlot();
      if (!s.ok()) return s;
    }
    Image image;
    s = self.registry_.UpdateImage(call.context, current.id, ImageChangesToJson(changes), purge,
                                   from_state, &image);
    if (!s.ok()) {
      if (copy) self.copies_.Release();
      return s;
    }
    if (body) {
      s = self.Upload(call, meta, &image);
      if (!s.ok()) return s;
    }
    if (copy) self.StartCopy(call.context, image.id, std::move(*source), meta.changes);
    self.SetImageReply(call, 200, image);
    return Status::Ok();
  }

  static Status Delete(const Impl& self, Call& call) {
    if (call.context.read_only) return Status::Forbidden("Read-only access");
    Image image;
    Status s = self.GetVisible(call, &image);
    if (!s.ok()) return s;
    if (image.is_protected) return Status::Forbidden("Image is protected");
    if (image.status == "pending_delete") {
      return Status::Forbidden("Forbidden to delete a pending_delete image.");
    }
    if (image.deleted || image.status == "deleted") {
      return Status::NotFound("Image " + image.id + " was already deleted.");
    }
    bool has_data = image.status == "active" && image.size && *image.size > 0;
    if (self.options_.delayed_delete && has_data) {
      // The scrubber removes the data after scrub_time.
      Image pending;
      s = self.registry_.UpdateImage(call.context, image.id, json{{"status", "pending_delete"}},
                                     false, image.status, &pending);
      if (!s.ok()) return s;
    }
    Image deleted;
    s = self.registry_.DeleteImage(call.context, image.id, &deleted);
    if (!s.ok()) return s;
    if (!self.options_.delayed_delete || !has_data) {
      Status removed = self.store_->Remove(image.id);
      if (!removed.ok() && removed.code() != Status::Code::kNotFound) {
        LogWarning("image " + image.id + " deleted but its data stays: " + removed.message());
      }
    }
    call.response->status = 200;
    return Status::Ok();
  }

  // ---- members -------------------------------------------------------------

  // Registry 403 on membership changes means "not yours to share": v1
  // answers 404 (spec §14.1).
  static Status HideForbidden(Status s) {
    if (s.code() == Status::Code::kForbidden && s.message() != "Read-only access") {
      return Status::NotFound(s.message());
    }
    return s;
  }

  static Status ListMembers(const Impl& self, Call& call) {
    if (!IsUuidLike(call.params[0])) return Status::NotFound("No image found");
    std::vector<ImageMember> members;
    Status s = self.registry_.ListMembers(call.context, ToLower(call.params[0]), &members);
    if (!s.ok()) return s;
    json list = json::array();
    for (const ImageMember& m : members) list.push_back(MemberToJson(m));
    SetJson(call.response, 200, json{{"members", list}});
    return Status::Ok();
  }

  Status CheckMemberQuota(int64_t attempted) const {
    if (options_.image_member_quota >= 0 && attempted > options_.image_member_quota) {
      return Status::TooLarge(
          "The limit has been exceeded on the number of allowed image members for this image. "
          "Attempted: " + std::to_string(attempted) + ", Maximum: " +
          std::to_string(options_.image_member_quota));
    }
    return Status::Ok();
  }

  static Status ReplaceMembers(const Impl& self, Call& call) {
    if (call.context.read_only) return Status::Forbidden("Read-only access");
    if (!IsUuidLike(call.params[0])) return Status::NotFound("No image found");
    if (call.request.preflight) return PreflightJsonBody(call);
    std::string text;
    Status s = ReadBodyFile(call.request, &text);
    if (!s.ok()) return s;
    json body;
    s = ParseJsonBody(text, &body);
    if (!s.ok()) return s;
    std::vector<MembershipEntry> entries;
    s = ParseMemberships(body, &entries);
    if (!s.ok()) return s;
    s = self.CheckMemberQuota(static_cast<int64_t>(entries.size()));
    if (!s.ok()) return s;
    s = HideForbidden(self.registry_.ReplaceMembers(call.context, ToLower(call.params[0]), entries));
    if (!s.ok()) return s;
    call.response->status = 204;
    return Status::Ok();
  }

  // A JSON body is read into memory: a declared one over the limit is
  // refused before nginx receives it.
  static Status PreflightJsonBody(const Call& call) {
    if (call.request.content_length && *call.request.content_length > static_cast<long long>(kMaxJsonBodyBytes)) {
      return Status::TooLarge("Request body too large.");
    }
    return Status::Ok();
  }

  // What every change of one membership checks first: a writable context,
  // an image id that can exist, a valid member id.
  static Status CheckMemberChange(const Call& call) {
    if (call.context.read_only) return Status::Forbidden("Read-only access");
    if (!IsUuidLike(call.params[0])) return Status::NotFound("No image found");
    return ValidateMemberId(call.params[1]);
  }

  static Status AddMember(const Impl& self, Call& call) {
    Status s = CheckMemberChange(call);
    if (!s.ok()) return s;
    if (call.request.preflight) return PreflightJsonBody(call);
    std::string text;
    s = ReadBodyFile(call.request, &text);
    if (!s.ok()) return s;
    std::optional<bool> can_share;
    if (!Trim(text).empty()) {
      json body;
      s = ParseJsonBody(text, &body);
      if (!s.ok()) return s;
      s = ParseMemberBody(body, &can_share);
      if (!s.ok()) return s;
    }
    std::string id = ToLower(call.params[0]);
    std::vector<ImageMember> members;
    s = self.registry_.ListMembers(call.context, id, &members);
    if (!s.ok()) return s;
    s = self.CheckMemberQuota(static_cast<int64_t>(members.size()) + 1);
    if (!s.ok()) return s;
    s = HideForbidden(self.registry_.AddMember(call.context, id, call.params[1], can_share));
    if (!s.ok()) return s;
    call.response->status = 204;
    return Status::Ok();
  }

  static Status RemoveMember(const Impl& self, Call& call) {
    Status s = CheckMemberChange(call);
    if (!s.ok()) return s;
    s = HideForbidden(
        self.registry_.RemoveMember(call.context, ToLower(call.params[0]), call.params[1]));
    if (!s.ok()) return s;
    call.response->status = 204;
    return Status::Ok();
  }

  static Status SharedImages(const Impl& self, Call& call) {
    Status s = ValidateMemberId(call.params[0]);
    if (!s.ok()) return s;
    std::vector<ImageMember> shared;
    s = self.registry_.SharedImages(call.context, call.params[0], &shared);
    if (!s.ok()) return s;
    json list = json::array();
    for (const ImageMember& m : shared) list.push_back(SharedImageToJson(m));
    SetJson(call.response, 200, json{{"shared_images", list}});
    return Status::Ok();
  }

  ApiOptions options_;
  mutable RegistryClient registry_;
  std::unique_ptr<const Store> store_;
  ExternalSources sources_;
  mutable CopyRunner copies_;
  mutable UploadLeases leases_;
  Router<Handler> router_;
};

ApiController::ApiController(ApiOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ApiController::~ApiController() = default;
void ApiController::Handle(const HttpRequest& request, HttpResponse* response) const {
  impl_->Handle(request, response);
}
void ApiController::StartWorker() const {
  impl_->StartLeases();
  impl_->RecoverOrphanCopies();
}
void ApiController::StopWorker(std::chrono::seconds limit) const { impl_->StopCopies(limit); }

}  // namespace glance::api
