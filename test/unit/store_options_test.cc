// The [glance_store] options of the two stores and of the image cache, and
// the cache's file layout, which must be nginx's (levels=1:2, key = id).
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "../../src/store/swift_http.h"
#include "glance/common/uuid.h"
#include "glance/store/image_cache.h"
#include "glance/store/store_set.h"

using namespace glance;
namespace fs = std::filesystem;

namespace {

Config Conf(const std::string& text) { return Config::LoadString(text); }

const char* kSwift =
    "[glance_store]\nstores = file, swift\ndefault_store = swift\n"
    "swift_store_auth_address = http://127.0.0.1:8080/auth/v1.0/\nswift_store_auth_version = 1\n"
    "swift_store_user = test:tester\nswift_store_key = secret\n";

bool ThrowsConfigError(const std::string& text) {
  try {
    StoreOptions::FromConfig(Conf(text));
  } catch (const ConfigError&) {
    return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_options)

BOOST_AUTO_TEST_CASE(the_filesystem_alone_by_default) {
  StoreOptions o = StoreOptions::FromConfig(Conf("[glance_store]\nfilesystem_store_datadir = /d\n"));
  BOOST_TEST(o.stores == std::vector<std::string>{"file"});
  BOOST_TEST(o.default_store == "file");
  BOOST_TEST(o.incoming_dir == "/d/_incoming");
  BOOST_TEST(!o.swift.has_value());
  BOOST_TEST(o.image_cache_dir.empty());
}

BOOST_AUTO_TEST_CASE(swift_options_keep_glance_store_names_and_units) {
  StoreOptions o = StoreOptions::FromConfig(
      Conf(std::string(kSwift) +
           "swift_store_large_object_size = 2\nswift_store_large_object_chunk_size = 1\n"
           "swift_store_container = images\nswift_store_create_container_on_put = true\n"
           "[DEFAULT]\nimage_cache_dir = /var/cache/g/\n"));
  BOOST_REQUIRE(o.swift.has_value());
  BOOST_TEST(o.default_store == "swift");
  BOOST_TEST(o.swift->auth_address == "http://127.0.0.1:8080/auth/v1.0");
  BOOST_TEST(o.swift->auth_version == 1);
  BOOST_TEST(o.swift->large_object_size == 2 << 20);
  BOOST_TEST(o.swift->large_object_chunk_size == 1 << 20);
  BOOST_TEST(o.swift->container == "images");
  BOOST_TEST(o.swift->segment_container() == "images_segments");
  BOOST_TEST(o.swift->create_container_on_put);
  BOOST_TEST(o.swift->reference == "ref1");
  BOOST_TEST(o.image_cache_dir == "/var/cache/g");
}

BOOST_AUTO_TEST_CASE(glance_store_defaults) {
  SwiftStoreOptions o = SwiftStoreOptions::FromConfig(Conf(
      "[glance_store]\nswift_store_auth_address = http://k:5000/v3\n"
      "swift_store_user = service:glance\nswift_store_key = k\n"));
  BOOST_TEST(o.auth_version == 3);
  BOOST_TEST(o.container == "glance");
  BOOST_TEST(o.large_object_size == 5120LL << 20);
  BOOST_TEST(o.large_object_chunk_size == 200LL << 20);
  BOOST_TEST(!o.create_container_on_put);
  BOOST_TEST(o.endpoint_type == "publicURL");
  BOOST_TEST(o.service_type == "object-store");
}

BOOST_AUTO_TEST_CASE(bad_settings_stop_the_start) {
  BOOST_TEST(ThrowsConfigError("[glance_store]\nstores = file, s3\n"));
  BOOST_TEST(ThrowsConfigError("[glance_store]\nstores = file\ndefault_store = swift\n"));
  BOOST_TEST(ThrowsConfigError("[glance_store]\nstores = swift\ndefault_store = swift\n"));
  BOOST_TEST(ThrowsConfigError(std::string(kSwift) + "swift_store_auth_version = 2\n"));
  BOOST_TEST(ThrowsConfigError(std::string(kSwift) + "swift_store_container = a/b\n"));
  BOOST_TEST(ThrowsConfigError(std::string(kSwift) + "swift_store_container = ..\n"));
  BOOST_TEST(ThrowsConfigError(std::string(kSwift) + "swift_store_large_object_size = 0\n"));
  BOOST_TEST(ThrowsConfigError(std::string(kSwift) + "swift_store_endpoint_type = public\n"));
  BOOST_TEST(ThrowsConfigError(std::string(kSwift) +
                               "swift_store_auth_address = https://swift.example/auth/v1.0\n"));
  // Keystone needs project:user.
  BOOST_TEST(ThrowsConfigError(
      "[glance_store]\nstores = file, swift\nswift_store_auth_address = http://k:5000/v3\n"
      "swift_store_user = glance\nswift_store_key = k\n"));
}

BOOST_AUTO_TEST_CASE(http_urls_taken_apart) {
  swift::HttpUrl url;
  BOOST_TEST(swift::ParseHttpUrl("http://127.0.0.1:8080/v1/AUTH_test/", &url));
  BOOST_TEST(url.host == "127.0.0.1");
  BOOST_TEST(url.port == 8080);
  BOOST_TEST(url.path == "/v1/AUTH_test");
  BOOST_TEST(swift::ParseHttpUrl("http://[::1]:9/x", &url));
  BOOST_TEST(url.host == "::1");
  BOOST_TEST(swift::ParseHttpUrl("http://swift.example", &url));
  BOOST_TEST(url.port == 80);
  BOOST_TEST(url.path == "");
  BOOST_TEST(!swift::ParseHttpUrl("https://swift.example/", &url));
  BOOST_TEST(!swift::ParseHttpUrl("http://h:99999/", &url));
  BOOST_TEST(!swift::ParseHttpUrl("http://h:x/", &url));
  BOOST_TEST(!swift::ParseHttpUrl("http:///v1", &url));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(image_cache)

// nginx's documentation: with levels=1:2 the key whose md5 is
// b7f54b2df7773722d382f4809d65029c lives in c/29/.  Here
// md5("00000000-0000-0000-0000-000000000000") = 9f89c84a559f573636a47ff8daed0d33
// (python3 hashlib).
BOOST_AUTO_TEST_CASE(files_are_where_nginx_puts_them) {
  ImageCache cache("/c");
  BOOST_TEST(cache.PathOf("00000000-0000-0000-0000-000000000000") ==
             "/c/3/d3/9f89c84a559f573636a47ff8daed0d33");
}

BOOST_AUTO_TEST_CASE(lists_removes_and_touches_by_the_key_line) {
  fs::path dir = fs::temp_directory_path() / ("glance-cache-" + NewUuid());
  ImageCache cache(dir.string());
  std::vector<CachedImage> listed;
  BOOST_TEST(cache.List(&listed).ok());  // no directory yet: nothing cached
  BOOST_TEST(listed.empty());
  std::string a = NewUuid(), b = NewUuid();
  for (const std::string& id : {a, b}) {
    fs::path file = cache.PathOf(id);
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << std::string("\x05\0\0\0binary header", 18)
                                          << "\nKEY: " << id << "\nHTTP/1.1 200 OK\r\n\r\nbytes";
  }
  // nginx's temporary files beside them are not cached images.
  std::ofstream(cache.PathOf(a) + ".0000000001") << "partial";
  std::string partial_only = NewUuid();
  fs::create_directories(fs::path(cache.PathOf(partial_only)).parent_path());
  std::ofstream(cache.PathOf(partial_only) + ".0000000002") << "partial";
  BOOST_TEST(cache.Holds(a));
  BOOST_TEST(!cache.Holds(partial_only));
  BOOST_TEST(!cache.Holds("../../etc/passwd"));
  BOOST_TEST(cache.List(&listed).ok());
  BOOST_TEST(listed.size() == 2u);
  BOOST_TEST(cache.Remove(a).ok());
  BOOST_TEST(cache.Remove(a).HttpStatus() == 404);
  BOOST_TEST(!cache.Holds(a));
  BOOST_TEST(cache.Remove("../../etc/passwd").HttpStatus() == 404);
  listed.clear();
  BOOST_TEST(cache.List(&listed).ok());
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0].id == b);
  int removed = 0;
  BOOST_TEST(cache.RemoveAll(&removed).ok());
  BOOST_TEST(removed == 1);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
