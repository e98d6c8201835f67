// The limits of an upload (user_storage_quota, free space) and the
// pre-flight's answer to nginx.
#include <boost/test/unit_test.hpp>

#include "glance/api/preflight.h"
#include "glance/api/upload_guard.h"

using namespace glance;
using namespace glance::api;

BOOST_AUTO_TEST_SUITE(upload_guard)

BOOST_AUTO_TEST_CASE(storage_quota_reads_upstreams_units) {
  BOOST_TEST(*ParseStorageQuota("0") == 0);
  BOOST_TEST(*ParseStorageQuota("1234") == 1234);
  BOOST_TEST(*ParseStorageQuota("10B") == 10);
  BOOST_TEST(*ParseStorageQuota("3KB") == 3 * 1024);
  BOOST_TEST(*ParseStorageQuota("24MB") == 24LL << 20);
  BOOST_TEST(*ParseStorageQuota("5GB") == 5LL << 30);
  BOOST_TEST(*ParseStorageQuota("2TB") == 2LL << 40);
  for (const char* bad : {"", "MB", "10 MB", "10mb", "10K", "10PB", "-1", "1.5GB", "10MB ",
                          "9999999999999TB", "1234567890123456789"}) {
    BOOST_TEST(!ParseStorageQuota(bad).has_value(), "'" << bad << "'");
  }
}

BOOST_AUTO_TEST_CASE(quota_admits_exactly_what_fits) {
  BOOST_TEST(CheckQuota(0, 1LL << 40, 1LL << 40).ok());  // unlimited
  BOOST_TEST(CheckQuota(100, 60, 40).ok());
  Status over = CheckQuota(100, 60, 41);
  BOOST_TEST(over.HttpStatus() == 413);
  BOOST_TEST(over.message() ==
             "Denying attempt to upload image because it exceeds the quota: The size of the data 41 "
             "will exceed the limit. 40 bytes remaining.");
  // A body of unknown size passes while anything is left, as upstream.
  BOOST_TEST(CheckQuota(100, 99, std::nullopt).ok());
  Status none_left = CheckQuota(100, 120, std::nullopt);
  BOOST_TEST(none_left.message() ==
             "Denying attempt to upload image because it exceeds the quota: The size of the data None "
             "will exceed the limit. -20 bytes remaining.");
}

BOOST_AUTO_TEST_CASE(free_space_refuses_what_cannot_fit) {
  BOOST_TEST(CheckFreeSpace("/", 1).ok());
  BOOST_TEST(CheckFreeSpace("/", std::nullopt).ok());
  Status full = CheckFreeSpace("/", INT64_MAX);
  BOOST_TEST(full.HttpStatus() == 413);
  BOOST_TEST(full.message() == kStorageFullMessage);
  BOOST_TEST(CheckFreeSpace("/nonexistent/dir", INT64_MAX).ok());  // the write will tell
}

BOOST_AUTO_TEST_CASE(preflight_answers_carry_the_refusal_for_nginx) {
  HttpResponse ok = PreflightAccepted();
  BOOST_TEST(ok.status == 200);
  BOOST_TEST(ok.headers.size() == 1u);
  BOOST_TEST(ok.headers[0].first == "X-Glance-Preflight");
  BOOST_TEST(ok.headers[0].second == "accepted");

  HttpResponse no = PreflightRefused(409, {"text/plain; charset=UTF-8", "409 Conflict\n\nx\n"}, {});
  BOOST_TEST(no.status == 403);
  std::map<std::string, std::string> h(no.headers.begin(), no.headers.end());
  BOOST_TEST(h["X-Glance-Refusal-Status"] == "409");
  BOOST_TEST(h["X-Glance-Refusal-Type"] == "text/plain; charset=UTF-8");
  BOOST_TEST(h["X-Glance-Refusal-Body"] == "NDA5IENvbmZsaWN0Cgp4Cg==");
  BOOST_TEST(!h.count("X-Glance-Refusal-Allow"));

  HttpResponse method = PreflightRefused(405, {"text/plain", "m"}, {{"Allow", "GET, POST"}});
  std::map<std::string, std::string> m(method.headers.begin(), method.headers.end());
  BOOST_TEST(m["X-Glance-Refusal-Allow"] == "GET, POST");
  BOOST_TEST(!m.count("X-Glance-Refusal-Authenticate"));

  HttpResponse token = PreflightRefused(401, {"text/plain", "t"},
                                        {{"WWW-Authenticate", "Keystone uri=\"http://k:5000\""}});
  std::map<std::string, std::string> t(token.headers.begin(), token.headers.end());
  BOOST_TEST(t["X-Glance-Refusal-Authenticate"] == "Keystone uri=\"http://k:5000\"");
  BOOST_TEST(!t.count("X-Glance-Refusal-Allow"));
}

BOOST_AUTO_TEST_CASE(base64_is_rfc4648) {
  BOOST_TEST(Base64Encode("") == "");
  BOOST_TEST(Base64Encode("f") == "Zg==");
  BOOST_TEST(Base64Encode("fo") == "Zm8=");
  BOOST_TEST(Base64Encode("foo") == "Zm9v");
  BOOST_TEST(Base64Encode(std::string("\0\xff\n", 3)) == "AP8K");
}

BOOST_AUTO_TEST_SUITE_END()
