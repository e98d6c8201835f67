// Image API v2 data (contract §6) through nginx: PUT /v2/images/{id}/file
// and GET .../file, with Range (206/416), Content-MD5, 204 for an image
// without data, 415 for the wrong media type, 409 for an image that is not
// queued, the size cap and the storage quota (413, the knobs the v1 suites
// use).  As for v1 (preflight_test), an upload that is refused is refused
// on its headers: not one byte of its body reaches the disk, and a client
// that sends `Expect: 100-continue` is never asked for it.
// Over 400 lines for a reason: the refusals and the accepted uploads share
// the store checks and the quota stack below.
#include <atomic>
#include <filesystem>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kGiB = 1LL << 30;
constexpr int64_t kSizeCap = 209715200;  // GLANCE_IMAGE_SIZE_CAP of the test stacks

// An image whose bytes are `data`, as v2 shows and serves it.
void CheckActive(const Stack& stack, const Api& api, const std::string& id, const std::string& data) {
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "status") == "active");
  BOOST_TEST(S(image, "size") == "<" + std::to_string(data.size()) + ">");
  BOOST_TEST(S(image, "checksum") == Md5Hex(data));
  BOOST_TEST(S(image, "os_hash_algo") == "sha512");
  BOOST_TEST(S(image, "os_hash_value") == Sha512Hex(data));
  // virtual_size: null, or the size for raw data (v2 contract §2).
  BOOST_TEST((image["virtual_size"].is_null() || image["virtual_size"] == data.size()), image.dump());
  Reply get = api.Get("/v2/images/" + id + "/file");
  BOOST_TEST_REQUIRE(get.status == 200, get.Describe());
  BOOST_TEST(get.body.size() == data.size());
  BOOST_TEST((get.body == data), "downloaded bytes differ from the uploaded ones");
  BOOST_TEST(get.Header("Content-Type") == "application/octet-stream");
  BOOST_TEST(get.Header("Content-Length") == std::to_string(data.size()));
  BOOST_TEST(get.Header("Content-MD5") == Md5Hex(data));
  BOOST_TEST(get.Header("x-openstack-request-id").rfind("req-", 0) == 0u, get.Describe());
  BOOST_TEST(get.MetaHeaders().empty(), "v1 metadata headers on a v2 download: " << get.Describe());
  BOOST_TEST(!get.Has("X-Accel-Redirect"));
  if (!data.empty()) BOOST_TEST(StoredSize(stack, id) == static_cast<int64_t>(data.size()));
}

// The image took no data: queued (or killed: v2 contract §6.1 leaves the
// choice to the server), no size, no store file.
void CheckNoData(const Stack& stack, const Api& api, const std::string& id, const std::string& what) {
  json image = V2Get(api, id);
  BOOST_TEST((S(image, "status") == "queued" || S(image, "status") == "killed"), what << ": " << image.dump());
  BOOST_TEST(S(image, "size") == "<null>", what << ": " << image.dump());
  BOOST_TEST(S(image, "checksum") == "<null>", what);
  BOOST_TEST(!HasStoredData(stack, id), what << ": the store holds data");
  BOOST_TEST(WaitIncomingEmpty(stack).empty(), what << ": the upload temp dir is not empty");
}

std::string Queued(const Api& api, const std::string& name, const json& extra = json::object()) {
  json body = {{"name", name}, {"disk_format", "raw"}, {"container_format", "bare"}};
  for (const auto& [key, value] : extra.items()) body[key] = value;
  return V2CreateId(api, body);
}

// The request line and headers of a v2 upload; `length` < 0: chunked.
std::string UploadHead(const std::string& path, const Headers& headers, int64_t length, bool expect,
                       const std::string& content_type = "application/octet-stream") {
  std::string head = "PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  if (!content_type.empty()) head += "Content-Type: " + content_type + "\r\n";
  head += length >= 0 ? "Content-Length: " + std::to_string(length) + "\r\n"
                      : std::string("Transfer-Encoding: chunked\r\n");
  if (expect) head += "Expect: 100-continue\r\n";
  return head + "\r\n";
}

// The most bytes the incoming directory held while `run` went on.
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
  std::string what;
  std::string path;
  Headers headers;
  int64_t length;
  int status;
  std::string content_type = "application/octet-stream";
  // nginx refuses a declared length over client_max_body_size itself,
  // before any worker, so that answer may lack the request id.
  bool request_id = true;
};

// Streams the body (at 64 MiB/s, for as long as the server lets it) with
// and without Expect: 100-continue; the answer is `status`, and nothing of
// the body was written, asked for or recorded.
void CheckRefusedWithoutReceiving(const Stack& stack, const Refusal& r) {
  for (bool expect : {true, false}) {
    BOOST_TEST_CONTEXT(r.what << (expect ? ", with Expect: 100-continue" : ", without Expect")) {
      std::string before = stack.Fingerprint();
      Api::Streamed sent;
      int64_t peak = PeakIncomingBytes(stack, [&] {
        sent = stack.api().StreamUpload(UploadHead(r.path, r.headers, r.length, expect, r.content_type),
                                        std::min<int64_t>(r.length, 256 * kMiB), expect, 64 * kMiB);
      });
      BOOST_TEST(sent.reply.status == r.status, sent.reply.Describe());
      BOOST_TEST(InApiErrorFormat(sent.reply), sent.reply.Describe());
      if (r.request_id) {
        BOOST_TEST(sent.reply.Header("x-openstack-request-id").rfind("req-", 0) == 0u, sent.reply.Describe());
      }
      BOOST_TEST(peak == 0, "bytes seen in _incoming: " << peak);
      if (expect) {
        BOOST_TEST(!sent.got_continue, "the server asked for the body");
        BOOST_TEST(sent.body_sent == 0);
      }
      BOOST_TEST(stack.Fingerprint() == before, "a refused upload changed the catalogue or the store");
    }
  }
}

// A trusted-auth stack with user_storage_quota = 24 MiB, for this file.
struct QuotaStack {
  Stack stack{"v2quota", "trusted-auth", {{"GLANCE_USER_STORAGE_QUOTA", "24MB"}}};
  QuotaStack() { stack.Start(); }
  ~QuotaStack() {
    stack.Stop();
    stack.DropDatabase();
    std::error_code ec;
    if (!stack.var_dir().empty()) std::filesystem::remove_all(stack.var_dir(), ec);
  }
};

Stack& Quota() {
  static QuotaStack quota;
  BOOST_TEST_REQUIRE(quota.stack.started(), quota.stack.start_error());
  return quota.stack;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(v2_data)

BOOST_AUTO_TEST_CASE(upload_then_download_the_same_bytes) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = Queued(api, "v2-data");
  std::string data = RandomBytes((1 << 20) + 7, 41);
  Reply put = V2Upload(api, id, data);
  BOOST_TEST_REQUIRE(put.status == 204, put.Describe());
  BOOST_TEST(put.body.empty());
  BOOST_TEST(put.Header("x-openstack-request-id").rfind("req-", 0) == 0u, put.Describe());
  CheckActive(stack, api, id, data);
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
}

BOOST_AUTO_TEST_CASE(chunked_upload) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = Queued(api, "v2-data-chunked");
  std::string data = RandomBytes(1000003, 42);
  Reply put = api.SendChunked("PUT", "/v2/images/" + id + "/file", {}, data, 4093, "application/octet-stream");
  BOOST_TEST_REQUIRE(put.status == 204, put.Describe());
  CheckActive(stack, api, id, data);
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
}

BOOST_AUTO_TEST_CASE(sixty_four_mib_round_trip) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = Queued(api, "v2-data-64mib");
  std::string data = RandomBytes(64u << 20, 43);
  std::string md5 = Md5Hex(data), sha = Sha512Hex(data);
  Reply put = V2Upload(api, id, data);
  data.clear();
  data.shrink_to_fit();
  BOOST_TEST_REQUIRE(put.status == 204, put.Describe());
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "checksum") == md5);
  BOOST_TEST(S(image, "os_hash_value") == sha);
  Api::Download download = api.GetDigest("/v2/images/" + id + "/file");
  BOOST_TEST_REQUIRE(download.reply.status == 200, download.reply.Describe());
  BOOST_TEST(download.bytes == 64 << 20);
  BOOST_TEST(download.md5 == md5);
  BOOST_TEST(download.reply.Header("Content-MD5") == md5);
  BOOST_TEST(api.Delete("/v2/images/" + id).status == 204);
  BOOST_TEST(!HasStoredData(stack, id));
}

BOOST_AUTO_TEST_CASE(an_empty_upload_is_an_active_empty_image) {
  Stack& stack = NoAuthStack();
  // An answer within seconds, not the client's default two minutes.
  ClientOptions quick;
  quick.read_timeout = std::chrono::seconds(15);
  Api api(stack.api_port(), {}, quick);
  std::string id = Queued(api, "v2-data-empty");
  Reply put = V2Upload(api, id, "");
  BOOST_TEST_REQUIRE(put.status == 204, put.Describe());
  json image = V2Get(api, id);
  BOOST_TEST(S(image, "status") == "active");
  BOOST_TEST(S(image, "size") == "<0>");
  BOOST_TEST(S(image, "checksum") == kV2EmptyMd5);
  BOOST_TEST(S(image, "os_hash_value") == Sha512Hex(""));
  Reply get = api.Get("/v2/images/" + id + "/file");
  BOOST_TEST(get.status == 200, get.Describe());
  BOOST_TEST(get.body.empty());
  BOOST_TEST(get.Header("Content-MD5") == kV2EmptyMd5);
  // Any range of no bytes is unsatisfiable.
  ExpectRefusal(api.Get("/v2/images/" + id + "/file", {{"Range", "bytes=0-"}}), 416, "a range of an empty image");
  // An empty chunked body too.
  std::string chunked = Queued(api, "v2-data-empty-chunked");
  Reply put_chunked = api.SendChunked("PUT", "/v2/images/" + chunked + "/file", {}, "", 1024, "application/octet-stream");
  BOOST_TEST_REQUIRE(put_chunked.status == 204, put_chunked.Describe());
  BOOST_TEST(S(V2Get(api, chunked), "checksum") == kV2EmptyMd5);
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
}

BOOST_AUTO_TEST_CASE(an_image_without_data_downloads_as_204) {
  Api api = NoAuthStack().api();
  std::string id = Queued(api, "v2-data-none");
  Reply get = api.Get("/v2/images/" + id + "/file");
  BOOST_TEST(get.status == 204, get.Describe());
  BOOST_TEST(get.body.empty());
  BOOST_TEST(!get.Has("Content-MD5"));
}

BOOST_AUTO_TEST_CASE(ranges) {
  Api api = NoAuthStack().api();
  std::string data = RandomBytes(100, 44);
  std::string id = V2ActiveImage(api, {{"name", "v2-data-range"}}, data);
  const std::string path = "/v2/images/" + id + "/file";
  for (const auto& [range, first, last] : std::vector<std::tuple<std::string, int, int>>{
           {"bytes=10-19", 10, 19}, {"bytes=-5", 95, 99}, {"bytes=90-", 90, 99},
           {"bytes=90-1000", 90, 99}, {"bytes=0-0", 0, 0}, {"bytes=99-99", 99, 99}, {"bytes=0-99", 0, 99}}) {
    Reply part = api.Get(path, {{"Range", range}});
    BOOST_TEST_REQUIRE(part.status == 206, range << ": " << part.Describe());
    BOOST_TEST((part.body == data.substr(first, last - first + 1)), range);
    BOOST_TEST(part.Header("Content-Range") ==
                   "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/100",
               range << ": " << part.Header("Content-Range"));
    BOOST_TEST(part.Header("Content-Length") == std::to_string(last - first + 1), range);
    BOOST_TEST(part.Header("Content-MD5") == Md5Hex(data), range << ": the whole image's MD5");
  }
  for (const std::string& range : {std::string("bytes=100-"), std::string("bytes=200-300"), std::string("bytes=abc"),
                                   std::string("bytes=-")}) {
    ExpectRefusal(api.Get(path, {{"Range", range}}), 416, "Range: " + range);
  }
  for (const std::string& range : {std::string("bytes=1-2,5-6"), std::string("bytes=0-0,-1")}) {
    ExpectRefusal(api.Get(path, {{"Range", range}}), 400, "Range: " + range);
  }
  // Still the whole image without a range.
  BOOST_TEST((api.Get(path).body == data));
}

BOOST_AUTO_TEST_CASE(an_upload_must_be_application_octet_stream) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = Queued(api, "v2-data-415");
  for (const std::string& type : {std::string(), std::string("text/plain"), std::string("application/json"),
                                  std::string("application/x-www-form-urlencoded"),
                                  std::string("application/octet-streamx")}) {
    std::string before = stack.Fingerprint();
    ExpectRefusal(api.Send("PUT", "/v2/images/" + id + "/file", {}, "not stored", type), 415,
                  "Content-Type '" + type + "'");
    BOOST_TEST(stack.Fingerprint() == before, type << ": the image or store changed");
  }
  CheckNoData(stack, api, id, "after 415s");
  // Parameters of the media type do not matter.
  Reply with_parameter = api.Send("PUT", "/v2/images/" + id + "/file", {}, "stored",
                                  "application/octet-stream; charset=binary");
  BOOST_TEST(with_parameter.status == 204, with_parameter.Describe());
}

BOOST_AUTO_TEST_CASE(only_a_queued_image_takes_data) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string data = RandomBytes(5000, 45);
  std::string active = V2ActiveImage(api, {{"name", "v2-data-twice"}}, data);
  ExpectRefusal(V2Upload(api, active, "other bytes"), 409, "a second upload");
  ExpectRefusal(api.SendChunked("PUT", "/v2/images/" + active + "/file", {}, "other bytes", 4,
                                "application/octet-stream"),
                409, "a second chunked upload");
  CheckActive(stack, api, active, data);
  // A killed image (a v1 upload of the wrong size) takes none either.
  std::string killed = RandomUuid();
  api.Post("/v1/images", ImageHeaders("v2-data-killed", {{"x-image-meta-id", killed}, {"x-image-meta-size", "3"}}),
           "four");
  BOOST_TEST_REQUIRE(S(V2Get(api, killed), "status") == "killed");
  ExpectRefusal(V2Upload(api, killed, "data"), 409, "an upload to a killed image");
  CheckNoDataLeft(stack, killed);
  // Unknown and deleted images.
  std::string gone = Queued(api, "v2-data-gone");
  BOOST_TEST_REQUIRE(api.Delete("/v2/images/" + gone).status == 204);
  for (const std::string& id : {gone, RandomUuid(), std::string("not-a-uuid")}) {
    ExpectRefusal(V2Upload(api, id, "data for nobody"), 404, "upload to " + id);
  }
  CheckNoDataLeft(stack, gone);
}

BOOST_AUTO_TEST_CASE(an_upload_needs_both_formats) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  for (const json& body : {json{{"name", "v2-no-formats"}}, json{{"name", "v2-no-container"}, {"disk_format", "raw"}},
                           json{{"name", "v2-no-disk"}, {"container_format", "bare"}}}) {
    std::string id = V2CreateId(api, body);
    ExpectRefusal(V2Upload(api, id, "data"), 400, body.dump());
    json image = V2Get(api, id);
    BOOST_TEST(S(image, "status") == "queued", body.dump() << ": " << image.dump());
    BOOST_TEST(S(image, "size") == "<null>");
    CheckNoDataLeft(stack, id);
    // Once the formats are set, the same image takes its data.
    Reply formats = V2Patch(api, id, json::array({{{"op", "add"}, {"path", "/disk_format"}, {"value", "raw"}},
                                                  {{"op", "add"}, {"path", "/container_format"}, {"value", "bare"}}}));
    BOOST_TEST_REQUIRE(formats.status == 200, formats.Describe());
    BOOST_TEST(V2Upload(api, id, "data").status == 204);
  }
}

BOOST_AUTO_TEST_CASE(a_declared_body_over_the_cap_is_413) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = Queued(api, "v2-data-over-cap");
  std::string request = UploadHead("/v2/images/" + id + "/file", {{"Connection", "close"}}, kSizeCap + 1, false) +
                        std::string(4096, 'a');
  Reply reply = api.Raw(request);
  BOOST_TEST(reply.status == 413, reply.Describe());
  CheckNoData(stack, api, id, "declared over the cap");
}

BOOST_AUTO_TEST_CASE(a_chunked_body_over_the_cap_is_413) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  std::string id = Queued(api, "v2-data-over-cap-chunked");
  std::string request = UploadHead("/v2/images/" + id + "/file", {{"Connection", "close"}}, -1, false);
  const size_t piece = 1u << 20;
  std::string chunk = "100000\r\n" + std::string(piece, 'z') + "\r\n";
  size_t pieces = static_cast<size_t>(kSizeCap) / piece + 2;
  request.reserve(request.size() + pieces * chunk.size() + 8);
  for (size_t i = 0; i < pieces; ++i) request += chunk;
  request += "0\r\n\r\n";
  Reply reply = api.Raw(request, std::chrono::seconds(60));
  BOOST_TEST(reply.status == 413, reply.Describe());
  CheckNoData(stack, api, id, "chunked over the cap");
}

BOOST_AUTO_TEST_CASE(refused_uploads_are_refused_before_their_body) {
  Stack& stack = TrustedStack();
  const std::string tag = NewRunTag();
  const std::string owner = "v2pf-owner-" + tag, member = "v2pf-member-" + tag, other = "v2pf-other-" + tag;
  Api as_owner = stack.api(ForTenant(owner));
  std::string queued = Queued(as_owner, "v2-pf-queued");
  BOOST_TEST_REQUIRE(V2AddMember(as_owner, queued, member).status == 200);
  std::string active = V2ActiveImage(as_owner, {{"name", "v2-pf-active"}}, "data");
  std::string no_formats = V2CreateId(as_owner, {{"name", "v2-pf-no-formats"}});
  auto file = [](const std::string& id) { return "/v2/images/" + id + "/file"; };
  const std::vector<Refusal> refusals = {
      // 64 MiB: under the stack's 200 MiB cap, so each is refused for
      // its own reason.
      {"no identity", file(queued), {}, 64 * kMiB, 401},
      {"an unknown image", file(RandomUuid()), ForTenant(owner), 64 * kMiB, 404},
      {"another tenant's image", file(queued), ForTenant(other), 64 * kMiB, 404},
      {"a member's upload", file(queued), ForTenant(member), 64 * kMiB, 403},
      {"an active image", file(active), ForTenant(owner), 64 * kMiB, 409},
      {"over the size cap", file(queued), ForTenant(owner), kSizeCap + 1, 413, "application/octet-stream", false},
      {"text/plain", file(queued), ForTenant(owner), 8 * kMiB, 415, "text/plain"},
      {"no Content-Type", file(queued), ForTenant(owner), 8 * kMiB, 415, ""},
      {"an image without formats", file(no_formats), ForTenant(owner), 8 * kMiB, 400},
  };
  for (const Refusal& refusal : refusals) CheckRefusedWithoutReceiving(stack, refusal);
  BOOST_TEST(S(V2Get(as_owner, queued), "status") == "queued");
  // The owner's own upload of the same image is asked for its body.
  Api::Streamed sent = stack.api().StreamUpload(UploadHead(file(queued), ForTenant(owner), 3 * kMiB, true), 3 * kMiB,
                                                true);
  BOOST_TEST(sent.got_continue);
  BOOST_TEST(sent.reply.status == 204, sent.reply.Describe());
  BOOST_TEST(S(V2Get(as_owner, queued), "checksum") == Md5Hex(std::string(3 * kMiB, 'x')));
}

BOOST_AUTO_TEST_CASE(the_storage_quota_is_413_before_the_body) {
  Stack& stack = Quota();
  const std::string tenant = "v2quota-" + NewRunTag();
  Api api = stack.api(ForTenant(tenant));
  std::string first = Queued(api, "v2-quota-first");
  BOOST_TEST_REQUIRE(V2Upload(api, first, RandomBytes(20 * kMiB, 46)).status == 204);
  std::string second = Queued(api, "v2-quota-second");
  CheckRefusedWithoutReceiving(stack, {"over the quota", "/v2/images/" + second + "/file", ForTenant(tenant),
                                       8 * kMiB, 413});
  // Of unknown size, it is refused once it passes the quota.
  Reply chunked = api.SendChunked("PUT", "/v2/images/" + second + "/file", {}, std::string(8 * kMiB, 'c'), 1 << 20,
                                  "application/octet-stream");
  BOOST_TEST(chunked.status == 413, chunked.Describe());
  CheckNoData(stack, api, second, "chunked over the quota");
  // v1 and v2 uploads count against the same quota.
  Reply v1 = api.Post("/v1/images", ImageHeaders("v2-quota-v1"), std::string(8 * kMiB, 'v'));
  BOOST_TEST(v1.status == 413, v1.Describe());
  // What is left still fits.
  std::string third = Queued(api, "v2-quota-third");
  Reply fits = V2Upload(api, third, std::string(4 * kMiB, 'f'));
  BOOST_TEST(fits.status == 204, fits.Describe());
  // Another tenant has a quota of its own.
  Api other = stack.api(ForTenant("v2quota-other-" + NewRunTag()));
  std::string theirs = Queued(other, "v2-quota-other");
  BOOST_TEST(V2Upload(other, theirs, std::string(8 * kMiB, 'o')).status == 204);
}

BOOST_AUTO_TEST_SUITE_END()
