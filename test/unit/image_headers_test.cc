#include "glance/image/image_headers.h"

#include <boost/test/unit_test.hpp>

using namespace glance;

namespace {

Status Parse(HeaderPairs headers, ImageMetaHeaders* meta) {
  return ParseImageMetaHeaders(headers, meta);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(image_headers)

BOOST_AUTO_TEST_CASE(maps_fields_and_properties) {
  ImageMetaHeaders m;
  BOOST_TEST(Parse({{"X_IMAGE_META_NAME", "cirros"},
                    {"X_IMAGE_META_DISK_FORMAT", "qcow2"},
                    {"X_IMAGE_META_SIZE", "42"},
                    {"X_IMAGE_META_VIRTUAL_SIZE", "None"},
                    {"X_IMAGE_META_IS_PUBLIC", "yes"},
                    {"X_IMAGE_META_PROTECTED", "nope"},
                    {"X_IMAGE_META_MIN_RAM", "512"},
                    {"X_IMAGE_META_OWNER", ""},
                    {"X_IMAGE_META_PROPERTY_OS_DISTRO", "ubuntu"},
                    {"X_IMAGE_META_PROPERTY_COM.VENDOR:KEY", "caf\xc3\xa9"},
                    {"X_IMAGE_META_STATUS", "active"},
                    {"X_IMAGE_META_ID", "not-checked-here"},
                    {"X_GLANCE_API_COPY_FROM", "http://example.com/x"},
                    {"ACCEPT", "*/*"}},
                   &m)
                 .ok());
  BOOST_TEST(m.changes.name.value().value() == "cirros");
  BOOST_TEST(m.changes.disk_format.value().value() == "qcow2");
  BOOST_TEST(m.changes.size.value().value() == 42);
  BOOST_TEST(!m.changes.virtual_size.value().has_value());
  BOOST_TEST(m.changes.is_public.value());
  BOOST_TEST(!m.changes.is_protected.value());
  BOOST_TEST(m.changes.min_ram.value() == 512);
  BOOST_TEST(!m.changes.owner.value().has_value());  // empty means null
  BOOST_TEST(m.changes.properties->at("os_distro") == "ubuntu");
  BOOST_TEST(m.changes.properties->at("com.vendor:key") == "caf\xc3\xa9");
  BOOST_TEST(m.raw_status.value() == "active");
  BOOST_TEST(!m.changes.status);  // never applied from headers
  BOOST_TEST(m.raw_id.value() == "not-checked-here");
  BOOST_TEST(m.copy_from.value() == "http://example.com/x");
}

BOOST_AUTO_TEST_CASE(refuses_with_spec_messages) {
  auto message = [](HeaderPairs headers) {
    ImageMetaHeaders m;
    Status s = ParseImageMetaHeaders(headers, &m);
    BOOST_TEST(s.HttpStatus() == 400);
    return s.message();
  };
  BOOST_TEST(message({{"X_IMAGE_META_FOO", "1"}}) == "Bad header: x-image-meta-foo");
  BOOST_TEST(message({{"X_IMAGE_META_SIZE", "abc"}}) ==
             "Cannot convert image size 'abc' to an integer.");
  BOOST_TEST(message({{"X_IMAGE_META_MIN_DISK", "-1"}}) == "Cannot be a negative value.");
  BOOST_TEST(message({{"X_IMAGE_META_MIN_RAM", "2147483648"}}) ==
             "'min_ram' value out of range, must not exceed 2147483647.");
  BOOST_TEST(message({{"X_IMAGE_META_SIZE", "99999999999999999999"}}).find("integer") !=
             std::string::npos);
  BOOST_TEST(message({{"X_IMAGE_META_CREATED_AT", "yesterday"}}) ==
             "Invalid time format for created_at.");
  BOOST_TEST(message({{"X_IMAGE_META_NAME", std::string(256, 'n')}}) == "Image name too long");
  BOOST_TEST(message({{"X_IMAGE_META_CHECKSUM", std::string(33, 'a')}}) ==
             "Invalid checksum '" + std::string(33, 'a') + "': can't exceed 32 characters");
  BOOST_TEST(!message({{"X_IMAGE_META_PROPERTY_K", "a\x01"}}).empty());
  BOOST_TEST(!message({{"X_IMAGE_META_NAME", "\xff"}}).empty());
  BOOST_TEST(!message({{"X_IMAGE_META_PROPERTY_" + std::string(256, 'K'), "v"}}).empty());
}

BOOST_AUTO_TEST_CASE(renders_response_headers) {
  Image image;
  image.id = "id";
  image.status = "active";
  image.size = 7;
  image.visibility = "public";
  image.created_at = "2026-01-01T00:00:00.000000";
  image.updated_at = image.created_at;
  image.properties["os_distro"] = "ubuntu";
  HeaderPairs headers = ImageToMetaHeaders(image);
  auto find = [&](const std::string& name) -> std::string {
    for (auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "<absent>";
  };
  BOOST_TEST(find("x-image-meta-size") == "7");
  BOOST_TEST(find("x-image-meta-is_public") == "True");
  BOOST_TEST(find("x-image-meta-protected") == "False");
  BOOST_TEST(find("x-image-meta-deleted") == "False");
  BOOST_TEST(find("x-image-meta-name") == "<absent>");  // null fields are omitted
  BOOST_TEST(find("x-image-meta-checksum") == "<absent>");
  BOOST_TEST(find("x-image-meta-property-os_distro") == "ubuntu");
  BOOST_TEST(find("x-image-meta-location") == "<absent>");
}

BOOST_AUTO_TEST_SUITE_END()
