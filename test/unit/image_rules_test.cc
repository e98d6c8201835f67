// The v1 request rules (image_rules): formats, the size cap, policy,
// quotas and what an update may not change.
#include "glance/api/image_rules.h"

#include <boost/test/unit_test.hpp>

using namespace glance;
using namespace glance::api;

namespace {

ImageMetaHeaders Meta(std::initializer_list<std::pair<const char*, const char*>> fields) {
  ImageMetaHeaders meta;
  for (const auto& [k, v] : fields) {
    std::string key = k;
    if (key == "disk_format") meta.changes.disk_format = std::optional<std::string>(v);
    if (key == "container_format") meta.changes.container_format = std::optional<std::string>(v);
    if (key == "location") meta.location = v;
    if (key == "copy_from") meta.copy_from = v;
    if (key == "store") meta.store = v;
    if (key == "status") meta.raw_status = v;
  }
  return meta;
}

RequestContext Member() {
  RequestContext c;
  c.owner = "t1";
  return c;
}

HttpRequest Upload(long long length, std::string type = "application/octet-stream") {
  HttpRequest r;
  r.method = "POST";
  r.content_length = length;
  r.content_type = std::move(type);
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(image_rules)

BOOST_AUTO_TEST_CASE(formats_are_known_and_amazon_ones_match) {
  ApiOptions o;
  ImageMetaHeaders meta = Meta({{"disk_format", "qcow9"}});
  BOOST_TEST(ValidateFormats(o, &meta.changes).message() == "Invalid disk format 'qcow9' for image.");
  meta = Meta({{"container_format", "box"}});
  BOOST_TEST(ValidateFormats(o, &meta.changes).message() == "Invalid container format 'box' for image.");
  meta = Meta({{"disk_format", "aki"}});
  BOOST_TEST(ValidateFormats(o, &meta.changes).ok());
  BOOST_TEST(**meta.changes.container_format == "aki");
  meta = Meta({{"disk_format", "aki"}, {"container_format", "ari"}});
  BOOST_TEST(ValidateFormats(o, &meta.changes).message().find("Invalid mix of disk and container") == 0u);
}

BOOST_AUTO_TEST_CASE(meta_checks_in_upstreams_order) {
  ApiOptions o;
  o.image_size_cap = 100;
  ImageMetaHeaders meta = Meta({});
  Status cap = CheckImageMeta(o, Upload(101), Member(), 0, &meta);
  BOOST_TEST(cap.HttpStatus() == 400);
  BOOST_TEST(cap.message() == "Denying attempt to upload image larger than 100 bytes.");
  meta = Meta({});
  meta.changes.is_public = true;
  BOOST_TEST(CheckImageMeta(o, Upload(10), Member(), 0, &meta).message() ==
             "You are not permitted to publicize images.");
  o.image_property_quota = 2;
  meta = Meta({});
  meta.changes.properties = std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}};
  Status quota = CheckImageMeta(o, Upload(10), Member(), 1, &meta);
  BOOST_TEST(quota.HttpStatus() == 413);
  BOOST_TEST(quota.message() == "The limit has been exceeded on the number of allowed image "
                                "properties. Attempted: 3, Maximum: 2");
  meta = Meta({{"location", "http://example.com/x"}});
  BOOST_TEST(CheckImageMeta(o, Upload(10), Member(), 0, &meta).message() ==
             "It's invalid to provide multiple image sources.");
  meta = Meta({{"copy_from", "http://example.com/x"}});
  BOOST_TEST(CheckImageMeta(o, HttpRequest(), Member(), 0, &meta).message() ==
             "You are not permitted to copy image data from an external source.");
}

BOOST_AUTO_TEST_CASE(upload_target_needs_a_known_store_and_octet_stream) {
  BOOST_TEST(CheckUploadTarget(Upload(1), Meta({{"store", "swift"}})).message() ==
             "Store for scheme swift not found");
  BOOST_TEST(CheckUploadTarget(Upload(1, "text/plain"), Meta({})).message() ==
             "Content-Type must be application/octet-stream");
  BOOST_TEST(CheckUploadTarget(Upload(1, "application/octet-stream; x=y"), Meta({})).ok());
  BOOST_TEST(CheckUploadTarget(HttpRequest(), Meta({})).ok());
}

BOOST_AUTO_TEST_CASE(data_needs_both_formats) {
  Image none;
  BOOST_TEST(RequireFormats(none, Meta({{"disk_format", "raw"}}).changes).message() ==
             "Container format is not specified.");
  BOOST_TEST(RequireFormats(none, Meta({}).changes).message() == "Disk format is not specified.");
  Image formatted;
  formatted.disk_format = "raw";
  formatted.container_format = "bare";
  BOOST_TEST(RequireFormats(formatted, Meta({}).changes).ok());
}

BOOST_AUTO_TEST_CASE(what_an_update_may_not_change) {
  Image active;
  active.id = "i";
  active.status = "active";
  active.size = 5;
  BOOST_TEST(CheckUpdateAllowed(Member(), active, Meta({}), true).message() ==
             "Cannot upload to an unqueued image");
  BOOST_TEST(CheckUpdateAllowed(Member(), active, Meta({{"status", "queued"}}), false).message() ==
             "Forbidden to modify 'status' of image.");
  ImageMetaHeaders resize = Meta({});
  resize.changes.size = std::optional<int64_t>(6);
  BOOST_TEST(CheckUpdateAllowed(Member(), active, resize, false).message() ==
             "Forbidden to modify 'size' of active image.");
  RequestContext admin;
  admin.is_admin = true;
  BOOST_TEST(CheckUpdateAllowed(admin, active, resize, false).ok());
  BOOST_TEST(CheckUpdateAllowed(Member(), active, Meta({{"location", "http://x/y"}}), false).message() ==
             "Attempted to update Location field for an image not in queued status.");
  Image deleted = active;
  deleted.deleted = true;
  BOOST_TEST(CheckUpdateAllowed(admin, deleted, Meta({}), false).message() ==
             "Forbidden to update deleted image.");
}

BOOST_AUTO_TEST_CASE(kept_properties_and_member_quota) {
  Image current;
  current.properties = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  ImageChanges changes;
  changes.properties = std::map<std::string, std::string>{{"a", "9"}};
  BOOST_TEST(KeptProperties(current, changes, false) == 2);
  BOOST_TEST(KeptProperties(current, changes, true) == 0);
  ApiOptions o;
  o.image_member_quota = 2;
  BOOST_TEST(CheckMemberQuota(o, 2).ok());
  BOOST_TEST(CheckMemberQuota(o, 3).message() ==
             "The limit has been exceeded on the number of allowed image members for this image. "
             "Attempted: 3, Maximum: 2");
  o.image_member_quota = -1;
  BOOST_TEST(CheckMemberQuota(o, 100000).ok());
}

BOOST_AUTO_TEST_SUITE_END()
