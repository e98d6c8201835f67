#include "glance/api/image_rules.h"

#include <algorithm>

#include "glance/common/text.h"

namespace glance::api {

namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool Given(const std::optional<std::optional<std::string>>& field) { return field && *field; }

}  // namespace

const ImageLocation* ExternalLocation(const Image& image) {
  const ImageLocation* active = ActiveLocation(image);
  if (!active) return nullptr;
  const std::string& url = active->url;
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0 ? active : nullptr;
}

Status ValidateFormats(const ApiOptions& options, ImageChanges* c) {
  auto amazon = [](const std::optional<std::optional<std::string>>& f) {
    return Given(f) && (**f == "aki" || **f == "ari" || **f == "ami");
  };
  if (Given(c->disk_format) && !Contains(options.disk_formats, **c->disk_format)) {
    return Status::InvalidArgument("Invalid disk format '" + **c->disk_format + "' for image.");
  }
  if (Given(c->container_format) && !Contains(options.container_formats, **c->container_format)) {
    return Status::InvalidArgument("Invalid container format '" + **c->container_format +
                                   "' for image.");
  }
  if (amazon(c->disk_format) || amazon(c->container_format)) {
    bool has_disk = Given(c->disk_format);
    bool has_container = Given(c->container_format);
    if (has_disk && !has_container) c->container_format = c->disk_format;
    else if (has_container && !has_disk) c->disk_format = c->container_format;
    else if (**c->disk_format != **c->container_format) {
      return Status::InvalidArgument(
          "Invalid mix of disk and container formats. When setting a disk or container "
          "format to one of 'aki', 'ari', or 'ami', the container and disk formats must "
          "match.");
    }
  }
  return Status::Ok();
}

std::optional<int64_t> DeclaredSize(const HttpRequest& request, const ImageChanges& changes) {
  if (request.HasBody() && request.content_length) return *request.content_length;
  if (changes.size && *changes.size) return **changes.size;
  return std::nullopt;
}

std::string SizeCapMessage(int64_t image_size_cap) {
  return "Denying attempt to upload image larger than " + std::to_string(image_size_cap) + " bytes.";
}

Status CheckImageMeta(const ApiOptions& options, const HttpRequest& request,
                      const RequestContext& context, int64_t kept_properties, ImageMetaHeaders* meta) {
  ImageChanges& c = meta->changes;
  Status s = ValidateFormats(options, &c);
  if (!s.ok()) return s;
  std::optional<int64_t> declared = DeclaredSize(request, c);
  if (declared && *declared > options.image_size_cap) {
    return Status::InvalidArgument(SizeCapMessage(options.image_size_cap));
  }
  if (c.is_public && *c.is_public && !context.is_admin) {
    return Status::Forbidden("You are not permitted to publicize images.");
  }
  if (options.image_property_quota >= 0 && c.properties) {
    int64_t attempted = static_cast<int64_t>(c.properties->size()) + kept_properties;
    if (attempted > options.image_property_quota) {
      return Status::TooLarge(
          "The limit has been exceeded on the number of allowed image properties. Attempted: " +
          std::to_string(attempted) + ", Maximum: " + std::to_string(options.image_property_quota));
    }
  }
  if (meta->location || meta->copy_from) {
    int sources = (request.HasBody() ? 1 : 0) + (meta->location ? 1 : 0) + (meta->copy_from ? 1 : 0);
    if (sources > 1) return Status::InvalidArgument("It's invalid to provide multiple image sources.");
    if (!context.is_admin) {
      if (meta->copy_from && options.copy_from_admin_only) {
        return Status::Forbidden("You are not permitted to copy image data from an external source.");
      }
      if (meta->location && options.set_image_location_admin_only) {
        return Status::Forbidden("You are not permitted to set the location of an image.");
      }
    }
  }
  return Status::Ok();
}

Status CheckUploadTarget(const HttpRequest& request, const ImageMetaHeaders& meta) {
  if (meta.store && *meta.store != "file") {
    return Status::InvalidArgument("Store for scheme " + *meta.store + " not found");
  }
  if (request.HasBody()) {
    std::string type = request.content_type;
    if (type.find(';') != std::string::npos) type = Trim(type.substr(0, type.find(';')));
    if (type != "application/octet-stream") {
      return Status::InvalidArgument("Content-Type must be application/octet-stream");
    }
  }
  return Status::Ok();
}

Status RequireFormats(const Image& image, const ImageChanges& c) {
  bool disk = Given(c.disk_format) || (!c.disk_format && image.disk_format);
  bool container = Given(c.container_format) || (!c.container_format && image.container_format);
  if (!disk) return Status::InvalidArgument("Disk format is not specified.");
  if (!container) return Status::InvalidArgument("Container format is not specified.");
  return Status::Ok();
}

Status CheckUpdateAllowed(const RequestContext& context, const Image& current,
                          const ImageMetaHeaders& meta, bool has_body) {
  if (current.deleted || current.status == "deleted") {
    return Status::Forbidden("Forbidden to update deleted image.");
  }
  const ImageChanges& c = meta.changes;
  if (!context.is_admin && current.status == "active") {
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
  if (has_body && current.status != "queued") {
    return Status::Conflict("Cannot upload to an unqueued image");
  }
  if ((meta.location || meta.copy_from) && current.status != "queued") {
    return Status::InvalidArgument(
        "Attempted to update Location field for an image not in queued status.");
  }
  return Status::Ok();
}

int64_t KeptProperties(const Image& current, const ImageChanges& changes, bool purge) {
  if (purge || !changes.properties) return 0;
  int64_t kept = 0;
  for (const auto& [key, value] : current.properties) {
    if (!changes.properties->count(key)) ++kept;
  }
  return kept;
}

Status CheckMemberQuota(const ApiOptions& options, int64_t attempted) {
  if (options.image_member_quota >= 0 && attempted > options.image_member_quota) {
    return Status::TooLarge(
        "The limit has been exceeded on the number of allowed image members for this image. "
        "Attempted: " + std::to_string(attempted) + ", Maximum: " +
        std::to_string(options.image_member_quota));
  }
  return Status::Ok();
}

}  // namespace glance::api
