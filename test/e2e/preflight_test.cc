// Refuse before receiving (issue 10): every upload nginx would receive only
// to refuse is refused on its headers, before one byte of its body reaches
// the disk; a client that sends `Expect: 100-continue` is never asked for
// the body.  Also the storage quota under concurrency, a full store, and
// the methods nginx refuses itself.
//
// The stack of this suite keeps its store on a 64 MiB tmpfs of its own, with
// user_storage_quota = 24 MiB and a 2 GiB size cap.
#include <sys/mount.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kGiB = 1LL << 30;

struct GuardedStack {
  std::string store;
  Stack stack;
  bool mounted = false;

  static std::string StoreMount() {
    return RequireEnv("GLANCE_TEST_TMPDIR") + "/e2e-" + std::to_string(getpid()) + "-guard-store";
  }
  GuardedStack()
      : store(StoreMount()),
        stack("guard", "trusted-auth",
              {{"GLANCE_STORE_DIR", store},
               {"GLANCE_USER_STORAGE_QUOTA", "24MB"},
               {"GLANCE_IMAGE_SIZE_CAP", std::to_string(2 * kGiB)}}) {
    fs::create_directories(store);
    mounted = ::mount("tmpfs", store.c_str(), "tmpfs", 0, "size=64m,mode=0755") == 0;
    if (mounted) stack.Start();
  }
  ~GuardedStack() {
    stack.Stop();
    stack.DropDatabase();
    if (mounted) ::umount2(store.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(store, ec);
    fs::remove_all(stack.var_dir(), ec);
  }
};

GuardedStack& Guarded() {
  static GuardedStack guarded;
  BOOST_TEST_REQUIRE(guarded.mounted, "cannot mount a tmpfs for the store (needs root)");
  BOOST_TEST_REQUIRE(guarded.stack.started(), guarded.stack.start_error());
  return guarded;
}

std::string Head(const std::string& method, const std::string& path, const Headers& headers,
                 int64_t length, bool expect) {
  std::string head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  head += "Content-Type: application/octet-stream\r\n";
  head += length >= 0 ? "Content-Length: " + std::to_string(length) + "\r\n"
                      : std::string("Transfer-Encoding: chunked\r\n");
  if (expect) head += "Expect: 100-continue\r\n";
  return head + "\r\n";
}

// Watches the incoming directory while `run` goes on: the largest number of
// bytes it ever held.
int64_t PeakIncomingBytes(const Stack& stack, const std::function<void()>& run) {
  std::atomic<bool> done{false};
  std::atomic<int64_t> peak{0};
  std::thread watcher([&] {
    while (!done) {
      int64_t bytes = 0;
      for (const std::string& f : FilesUnder(stack.IncomingDir())) bytes += std::max<int64_t>(FileSize(f), 0);
      if (bytes > peak) peak = bytes;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  run();
  done = true;
  watcher.join();
  return peak;
}

struct Refusal {
  const char* what;
  std::string method, path;
  Headers headers;
  int64_t length;
  int status;
  std::string message;
};

void CheckRefusedWithoutReceiving(const Refusal& r) {
  Stack& stack = Guarded().stack;
  for (bool expect : {true, false}) {
    BOOST_TEST_CONTEXT(r.what << (expect ? ", with Expect: 100-continue" : ", without Expect")) {
      std::string before = stack.Fingerprint();
      Api::Streamed sent;
      int64_t peak = PeakIncomingBytes(stack, [&] {
        // 64 MiB/s: the body is streamed for as long as the server lets it.
        sent = stack.api().StreamUpload(Head(r.method, r.path, r.headers, r.length, expect),
                                        std::min<int64_t>(r.length, 256 * kMiB), expect, 64 * kMiB);
      });
      BOOST_TEST(sent.reply.status == r.status, sent.reply.Describe());
      BOOST_TEST(sent.reply.body.find(r.message) != std::string::npos, sent.reply.Describe());
      BOOST_TEST(sent.reply.Header("Content-Type").rfind("text/plain", 0) == 0);
      BOOST_TEST(sent.reply.Header("x-openstack-request-id").rfind("req-", 0) == 0);
      BOOST_TEST(peak == 0, "bytes seen in _incoming: " << peak);
      if (expect) {
        BOOST_TEST(!sent.got_continue, "the server asked for the body");
        BOOST_TEST(sent.body_sent == 0);
      }
      BOOST_TEST(stack.Fingerprint() == before, "a refused upload changed the catalogue or store");
    }
  }
}

std::string QueuedImage(const Stack& stack, const std::string& tenant) {
  ImageRef image = ReserveImage(stack.api(ForTenant(tenant)), "e2e-preflight-queued");
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  return image.id;
}

Headers UploadHeaders(const std::string& tenant) {
  Headers h = tenant.empty() ? Headers{} : ForTenant(tenant);
  h.emplace_back("x-image-meta-name", "e2e-preflight");
  h.emplace_back("x-image-meta-disk_format", "raw");
  h.emplace_back("x-image-meta-container_format", "bare");
  return h;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(preflight)

BOOST_AUTO_TEST_CASE(unauthenticated_upload_is_refused_before_its_body) {
  CheckRefusedWithoutReceiving({"no identity", "POST", "/v1/images", UploadHeaders(""), kGiB, 401,
                                "This server could not verify that you are authorized"});
}

BOOST_AUTO_TEST_CASE(upload_to_another_tenants_image_is_refused_before_its_body) {
  std::string id = QueuedImage(Guarded().stack, "pf-owner-" + NewRunTag());
  CheckRefusedWithoutReceiving({"another tenant's image", "PUT", "/v1/images/" + id,
                                UploadHeaders("pf-other-" + NewRunTag()), kGiB, 404,
                                "No image found with ID " + id});
}

BOOST_AUTO_TEST_CASE(upload_to_an_active_image_is_refused_before_its_body) {
  std::string tenant = "pf-active-" + NewRunTag();
  ImageRef image = CreateImage(Guarded().stack.api(ForTenant(tenant)), "e2e-preflight-active", "data");
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  CheckRefusedWithoutReceiving({"an active image", "PUT", "/v1/images/" + image.id,
                                UploadHeaders(tenant), kGiB, 409, "Cannot upload to an unqueued image"});
}

BOOST_AUTO_TEST_CASE(upload_over_the_quota_is_refused_before_its_body) {
  std::string tenant = "pf-quota-" + NewRunTag();
  ImageRef first = CreateImage(Guarded().stack.api(ForTenant(tenant)), "e2e-preflight-quota",
                               RandomBytes(20 * kMiB, 7));
  BOOST_TEST_REQUIRE(first.reply.status == 201, first.reply.Describe());
  CheckRefusedWithoutReceiving(
      {"over the quota", "POST", "/v1/images", UploadHeaders(tenant), 8 * kMiB, 413,
       "Denying attempt to upload image because it exceeds the quota: The size of the data 8388608 "
       "will exceed the limit. 4194304 bytes remaining."});
}

BOOST_AUTO_TEST_CASE(upload_larger_than_the_free_space_is_refused_before_its_body) {
  CheckRefusedWithoutReceiving({"larger than the free space", "POST", "/v1/images",
                                UploadHeaders("pf-full-" + NewRunTag()), kGiB, 413,
                                "Image storage media is full: There is not enough disk space"});
}

BOOST_AUTO_TEST_CASE(accepted_upload_is_asked_for_its_body) {
  Stack& stack = Guarded().stack;
  Api::Streamed sent = stack.api().StreamUpload(
      Head("POST", "/v1/images", UploadHeaders("pf-ok-" + NewRunTag()), 3 * kMiB, true), 3 * kMiB, true);
  BOOST_TEST(sent.got_continue);
  BOOST_TEST(sent.body_sent == 3 * kMiB);
  BOOST_TEST_REQUIRE(sent.reply.status == 201, sent.reply.Describe());
  BOOST_TEST(sent.reply.Json()["image"]["checksum"] == Md5Hex(std::string(3 * kMiB, 'x')));
}

// Upstream's known bypass: each upload alone fits, together they do not.
// Reserving at `saving` in one transaction per tenant admits exactly six
// of eight 4 MiB uploads into 24 MiB.
BOOST_AUTO_TEST_CASE(concurrent_uploads_never_exceed_the_quota) {
  Stack& stack = Guarded().stack;
  std::string tenant = "pf-race-" + NewRunTag();
  std::string data = RandomBytes(4 * kMiB, 11);
  std::vector<int> statuses(8);
  std::vector<std::string> bodies(8);
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] {
      ImageRef image = CreateImage(stack.api(ForTenant(tenant)), "e2e-race-" + std::to_string(i), data);
      statuses[i] = image.reply.status;
      bodies[i] = image.reply.body;
    });
  }
  for (auto& c : clients) c.join();
  int created = 0, refused = 0;
  for (int i = 0; i < 8; ++i) {
    if (statuses[i] == 201) ++created;
    if (statuses[i] == 413) {
      ++refused;
      BOOST_TEST(bodies[i].find("Denying attempt to upload image because it exceeds the quota") !=
                 std::string::npos, bodies[i]);
    }
  }
  BOOST_TEST(created == 6);
  BOOST_TEST(refused == 2);
  json listed = stack.api(ForTenant(tenant)).Get("/v1/images/detail?is_public=none&limit=100").Json();
  int64_t active_bytes = 0;
  for (const json& image : listed["images"]) {
    if (image["status"] == "active") active_bytes += image["size"].get<int64_t>();
  }
  BOOST_TEST(active_bytes == 24 * kMiB);
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
}

// A body of unknown size that does not fit: nginx runs out of space while
// writing it and answers in the API's format; nothing stays behind.
BOOST_AUTO_TEST_CASE(chunked_upload_that_fills_the_store_gets_413_and_leaves_nothing) {
  Stack& stack = Guarded().stack;
  std::string before = stack.Fingerprint();
  Reply reply = stack.api(ForTenant("pf-chunked-" + NewRunTag()))
                    .SendChunked("POST", "/v1/images", UploadHeaders(""), std::string(96 * kMiB, 'c'),
                                 1 << 20);
  BOOST_TEST(reply.status == 413, reply.Describe());
  BOOST_TEST(reply.body.find("Image storage media is full") != std::string::npos, reply.Describe());
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
  BOOST_TEST(stack.Fingerprint() == before);
}

// TRACE is refused by nginx itself: 405 in the API's text with the route's
// Allow, in upstream's order; the api's own 405s use the same order.
BOOST_AUTO_TEST_CASE(methods_nginx_refuses_answer_405_with_allow) {
  Api api = Guarded().stack.api();
  std::string id = RandomUuid();
  Reply trace = api.Send("TRACE", "/v1/images/" + id, {});
  BOOST_TEST(trace.status == 405, trace.Describe());
  BOOST_TEST(trace.Header("Allow") == "GET, HEAD, PUT, DELETE");
  BOOST_TEST(trace.body.find("The method TRACE is not allowed for this resource.") != std::string::npos);
  BOOST_TEST(api.Send("TRACE", "/v1/images", {}).Header("Allow") == "GET, POST");
  Reply post = api.Post("/v1/images/" + id, ForTenant("pf-405"));
  BOOST_TEST(post.status == 405, post.Describe());
  BOOST_TEST(post.Header("Allow") == "GET, HEAD, PUT, DELETE");
}

BOOST_AUTO_TEST_SUITE_END()
