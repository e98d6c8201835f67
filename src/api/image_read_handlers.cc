// v1 reads (spec §6, §7, §11): index and detail lists, HEAD, download.
// Downloads are answered with X-Accel-Redirect: nginx sends the bytes.
#include "glance/api/image_rules.h"
#include "glance/common/logging.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/image/image_headers.h"
#include "glance/image/list_query.h"
#include "image_read_cache.h"
#include "v1_handlers.h"

namespace glance::api {

using nlohmann::json;

namespace {

// What the registry's request line can carry (cpp-httplib refuses request
// targets over 8 KiB); nginx accepts up to 16 KiB, so longer filters are
// refused here, not turned into the registry's 414.
constexpr size_t kMaxForwardedQueryBytes = 8000;

Status List(const ApiServices& v1, ApiCall& call, bool detail) {
  QueryParams params;
  Status s = ParseQueryString(call.request.query_string, &params);
  if (!s.ok()) return s;
  ListQuery query;
  s = ParseListQuery(params, call.context, v1.options.limits, &query);  // validation
  if (!s.ok()) return s;
  // glance-api never forwards `deleted` (spec §7.1).
  std::string forward;
  for (const auto& [key, value] : params) {
    if (key == "deleted") continue;
    forward += (forward.empty() ? "" : "&") + UrlEncode(key) + "=" + UrlEncode(value);
  }
  if (forward.size() > kMaxForwardedQueryBytes) {
    return Status::InvalidArgument("The list query is too long: its filters may take at most " +
                                   std::to_string(kMaxForwardedQueryBytes) + " bytes.");
  }
  // The registry answers in the v1 shape: its body is passed on as is.
  std::string body;
  s = v1.read_cache ? v1.read_cache->ListImagesJson(call.context, detail, forward, &body)
                    : v1.registry.ListImagesJson(call.context, detail, forward, &body);
  if (!s.ok()) return s;
  call.response->status = 200;
  call.response->SetHeader("Content-Type", "application/json");
  call.response->body = std::move(body);
  return Status::Ok();
}

HeaderPairs MetaHeaders(const ApiOptions& options, const Image& image) {
  HeaderPairs headers = ImageToMetaHeaders(image);
  if (const ImageLocation* external = ExternalLocation(image);
      options.show_image_direct_url && external) {
    headers.emplace_back("x-image-meta-location", external->url);
  }
  if (image.checksum) headers.emplace_back("ETag", *image.checksum);
  return headers;
}

// HEAD, and GET of an image without data: headers and an empty body.
void AnswerWithoutData(const ApiServices& v1, const Image& image, HttpResponse* response) {
  for (auto& [name, value] : MetaHeaders(v1.options, image)) response->SetHeader(name, value);
  response->SetHeader("Content-Type", "application/octet-stream");
  // As upstream (WebOb) answers HEAD: an explicit empty body.  The size is
  // in x-image-meta-size.
  response->SetHeader("Content-Length", "0");
  response->status = 200;
}

// The data of a location-backed image is proxied by nginx, never by a
// worker.  The source is checked again now (what it resolves to may have
// changed since the image was created) and nginx is handed the checked
// address itself, so it never resolves the name on its own.
Status RedirectToSource(const ApiServices& v1, ApiCall& call, const Image& image,
                        const std::string& url, json packed) {
  ResolvedSource source;
  Status s = v1.sources.Resolve(url, &source);
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
  r->SetHeader("X-Accel-Redirect", v1.options.source_location + image.id);
  return Status::Ok();
}

}  // namespace

Status ListIndex(const ApiServices& v1, ApiCall& call) { return List(v1, call, false); }
Status ListDetail(const ApiServices& v1, ApiCall& call) { return List(v1, call, true); }

Status ReadImage(const ApiServices& api, const ApiCall& call, const std::string& lower_id,
                 Image* image) {
  const std::string& method = call.request.method;
  if (api.read_cache && (method == "GET" || method == "HEAD")) {
    return api.read_cache->GetImage(call.context, lower_id, image);
  }
  return api.registry.GetImage(call.context, lower_id, image);
}

Status GetVisible(const ApiServices& v1, ApiCall& call, Image* image) {
  const std::string& id = call.params[0];
  if (!IsUuidLike(id)) return Status::NotFound("No image found with ID " + id);
  return ReadImage(v1, call, ToLower(id), image);
}

Status ShowMeta(const ApiServices& v1, ApiCall& call) {
  Image image;
  Status s = GetVisible(v1, call, &image);
  if (!s.ok()) return s;
  AnswerWithoutData(v1, image, call.response);
  return Status::Ok();
}

Status Download(const ApiServices& v1, ApiCall& call) {
  Image image;
  Status s = GetVisible(v1, call, &image);
  if (!s.ok()) return s;
  if (image.status != "active") {
    return Status::NotFound("Image " + image.id + " is not active (status " + image.status + ").");
  }
  if (image.size.value_or(0) == 0) {
    // An empty image (created with x-image-meta-size: 0) has no file.
    AnswerWithoutData(v1, image, call.response);
    return Status::Ok();
  }
  json packed = json::array();
  for (const auto& [name, value] : MetaHeaders(v1.options, image)) packed.push_back({name, value});
  return ServeImageData(v1, call, image, std::move(packed));
}

Status ServeImageData(const ApiServices& v1, ApiCall& call, const Image& image,
                      nlohmann::json packed) {
  packed.push_back({"x-openstack-request-id", call.context.request_id});
  call.response->status = 200;
  call.response->SetHeader("Content-Type", "application/octet-stream");
  if (const ImageLocation* external = ExternalLocation(image)) {
    return RedirectToSource(v1, call, image, external->url, std::move(packed));
  }
  ServeTarget target;
  Status s = v1.store.ServeStored(image.id, &target);
  if (!s.ok() && s.code() != Status::Code::kNotFound) {
    LogError("image " + image.id + ": its store cannot be read: " + s.message());
    return s;
  }
  if (!s.ok()) {
    LogError("image " + image.id + " is active but its data is missing from the store");
    return Status::NotFound("Image data for " + image.id + " could not be found in the store.");
  }
  call.response->SetHeader("X-Glance-Image-Headers",
                           packed.dump(-1, ' ', true, json::error_handler_t::replace));
  call.response->SetHeader("X-Accel-Redirect", target.redirect);
  for (const auto& [name, value] : target.headers) call.response->SetHeader(name, value);
  return Status::Ok();
}

}  // namespace glance::api
