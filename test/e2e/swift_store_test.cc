// The Swift store end to end: stacks with STORE=swift on the run's real
// Swift (scripts/swift), static large objects above 1 MB in segments of
// 1 MB, driven through nginx and checked in Swift itself (listings, HEADs,
// object files).  Uploads and downloads through v1 and v2, delete and
// delayed delete with the scrubber, Swift's proxy down, the object server
// killed half-way through an upload, the service token forgotten by Swift,
// nginx's image cache with glance-cache-manage, and a Swift behind
// Keystone.
// Over 400 lines for a reason: every case shares one Swift, the stacks on
// it and the checks of what Swift holds below, which a split would have to
// export to every part.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "keystone.h"
#include "swift.h"
#include "v2.h"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMiB = 1 << 20;

// Swift as the default store, a static large object above 1 MB, in
// segments of 1 MB; `extra` on top.
std::map<std::string, std::string> SwiftSettings(const std::map<std::string, std::string>& extra = {}) {
  std::map<std::string, std::string> env{{"STORE", "swift"},
                                         {"GLANCE_SWIFT_LARGE_OBJECT_SIZE", "1"},
                                         {"GLANCE_SWIFT_CHUNK_SIZE", "1"}};
  for (const auto& [key, value] : extra) env[key] = value;
  return env;
}

// Runs its function when the scope ends, also when an assertion ends the
// case early: a server the case stopped comes back for the next case.
class Finally {
 public:
  explicit Finally(std::function<void()> run) : run_(std::move(run)) {}
  ~Finally() {
    try {
      run_();
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE("clean-up failed: " << e.what());
    }
  }
  Finally(const Finally&) = delete;
  Finally& operator=(const Finally&) = delete;

 private:
  std::function<void()> run_;
};

void Dispose(Stack& stack, bool keep_logs) {
  for (const std::string& item : stack.Stop()) {
    BOOST_TEST_MESSAGE(stack.name() << " stack: still running after scripts/stack stop, killed: " << item);
  }
  stack.DropDatabase();
  std::error_code ec;
  if (stack.var_dir().empty()) return;
  if (!keep_logs) {
    fs::remove_all(stack.var_dir(), ec);
  } else {
    fs::remove_all(stack.CacheDir(), ec);
    std::cerr << "e2e: kept " << stack.var_dir() << " (logs in log/)\n";
  }
}

// The suite's stacks, each started at first use and stopped when the
// suite ends.
class SuiteStacks {
 public:
  Stack& Get(const std::string& name, const std::string& auth, const std::map<std::string, std::string>& env) {
    std::unique_ptr<Stack>& slot = stacks_[name];
    if (!slot) {
      slot = std::make_unique<Stack>(name, auth, env);
      slot->Start();
    }
    BOOST_TEST_REQUIRE(slot->started(), "the " << name << " stack is not running: " << slot->start_error());
    return *slot;
  }
  void StopAll() {
    bool keep_logs = AnyTestFailed();
    for (auto& [name, stack] : stacks_) Dispose(*stack, keep_logs);
    stacks_.clear();
  }

 private:
  std::map<std::string, std::unique_ptr<Stack>> stacks_;
};

SuiteStacks& Stacks() {
  static SuiteStacks stacks;
  return stacks;
}

struct SwiftSuite {
  SwiftSuite() { TheSwift().Wait(); }
  ~SwiftSuite() { Stacks().StopAll(); }
};

// The noauth stack most cases use.
Stack& Main() { return Stacks().Get("swiftstore", "", SwiftSettings()); }

Swift& TheStore() {
  TheSwift().Wait();
  return TheSwift();
}

// nginx's cache file of an image (levels=1:2, keyed by image id).
std::string CachePath(const Stack& stack, const std::string& id) {
  std::string h = Md5Hex(id);
  return stack.CacheDir() + "/" + h.substr(31, 1) + "/" + h.substr(29, 2) + "/" + h;
}

// nginx renames its cache file into place once the response is complete:
// shortly after the client has the last byte.
bool WaitCached(const Stack& stack, const std::string& id, bool cached = true) {
  return WaitFor([&] { return PathExists(CachePath(stack, id)) == cached; }, std::chrono::seconds(5),
                 std::chrono::milliseconds(20));
}

int64_t CacheBytes(const Stack& stack) {
  int64_t bytes = 0;
  for (const std::string& file : FilesUnder(stack.CacheDir())) bytes += std::max<int64_t>(FileSize(file), 0);
  return bytes;
}

std::string SegmentName(const std::string& id, size_t index) {
  char number[16];
  std::snprintf(number, sizeof number, "%08zu", index);
  return id + "/" + number;
}

// What Swift holds of image `id` in `container` is exactly `data`: one
// object up to 1 MiB, above it a static large object whose 1 MiB segments
// are in <container>_segments; and the registry recorded its location.
void CheckInSwift(Swift& swift, const Stack& stack, const std::string& id, const std::string& data) {
  const std::string container = stack.SwiftContainer();
  std::vector<json> objects = swift.List(container, id);
  BOOST_TEST_REQUIRE(objects.size() == 1u, "objects named " << id << " in " << container << ": " << objects.size());
  std::vector<json> segments = swift.List(container + "_segments", id + "/");
  Reply head = swift.Request("HEAD", "/" + container + "/" + id);
  BOOST_TEST_REQUIRE(head.status == 200, head.Describe());
  BOOST_TEST(head.Header("Content-Length") == std::to_string(data.size()));
  if (static_cast<int64_t>(data.size()) <= kMiB) {
    BOOST_TEST(objects[0]["bytes"] == data.size());
    BOOST_TEST(S(objects[0], "hash") == Md5Hex(data));
    BOOST_TEST(segments.empty(), segments.size() << " segments for a one-object image");
    BOOST_TEST(!head.Has("X-Static-Large-Object"), head.Describe());
  } else {
    BOOST_TEST(head.Header("X-Static-Large-Object") == "True", head.Describe());
    size_t count = (data.size() + kMiB - 1) / kMiB;
    BOOST_TEST_REQUIRE(segments.size() == count);
    for (size_t i = 0; i < count; ++i) {
      std::string piece = data.substr(i * kMiB, kMiB);
      BOOST_TEST(S(segments[i], "name") == SegmentName(id, i + 1));
      BOOST_TEST(segments[i]["bytes"] == piece.size(), "segment " << i + 1);
      BOOST_TEST(S(segments[i], "hash") == Md5Hex(piece), "segment " << i + 1);
    }
  }
  std::vector<std::string> expected{"swift+config://ref1/" + container + "/" + id};
  BOOST_TEST((stack.Locations(id) == expected), "locations of " << id);
  BOOST_TEST(!PathExists(stack.StorePath(id)), "image " << id << " also has a file in the filesystem store");
}

// A range of `data` (20 bytes across the first segment boundary when
// there is one) through `path`: 206 with exactly those bytes.
void CheckRange(const Api& api, const std::string& path, const std::string& data) {
  size_t first = static_cast<int64_t>(data.size()) > kMiB ? kMiB - 6 : 10;
  size_t last = first + 19;
  Reply part = api.Get(path, {{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)}});
  BOOST_TEST_REQUIRE(part.status == 206, path << ": " << part.Describe());
  BOOST_TEST((part.body == data.substr(first, 20)), path << ": other bytes than asked for");
  BOOST_TEST(part.Header("Content-Range") ==
             "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(data.size()));
  BOOST_TEST(part.Header("Content-Length") == "20");
  Reply tail = api.Get(path, {{"Range", "bytes=-5"}});
  BOOST_TEST(tail.status == 206, path << ": " << tail.Describe());
  BOOST_TEST((tail.body == data.substr(data.size() - 5)), path << ": other bytes than the last five");
}

// v1 and v2 downloads of `data`: ranges first (not cached yet: Swift's
// own 206 passed through), then whole (v1: MISS, v2: HIT), HEAD and GET
// of v1 with the same metadata headers.
void CheckDownloads(const Stack& stack, const std::string& id, const std::string& data) {
  Api api = stack.api();
  const std::string md5 = Md5Hex(data);
  if (data.size() >= 40) {
    CheckRange(api, "/v2/images/" + id + "/file", data);
    CheckRange(api, "/v1/images/" + id, data);
    BOOST_TEST(!PathExists(CachePath(stack, id)), "a range filled the cache");
  }
  Reply get = api.Get("/v1/images/" + id);
  BOOST_TEST_REQUIRE(get.status == 200, get.Describe());
  BOOST_TEST(get.body.size() == data.size());
  BOOST_TEST((get.body == data), "v1 download: other bytes than uploaded");
  BOOST_TEST(Md5Hex(get.body) == get.Header("x-image-meta-checksum"));
  BOOST_TEST(get.Header("ETag") == md5);
  BOOST_TEST(get.Header("Content-Length") == std::to_string(data.size()));
  BOOST_TEST(get.Header("Content-Type") == "application/octet-stream");
  if (!data.empty()) BOOST_TEST_REQUIRE(WaitCached(stack, id), "image " << id << " was not cached");
  Reply head = api.Head("/v1/images/" + id);
  BOOST_TEST_REQUIRE(head.status == 200, head.Describe());
  BOOST_TEST((head.MetaHeaders() == get.MetaHeaders()), "HEAD: " << head.Describe() << "\nGET: " << get.Describe());
  BOOST_TEST(head.Header("ETag") == md5);
  Reply v2 = api.Get("/v2/images/" + id + "/file");
  BOOST_TEST_REQUIRE(v2.status == 200, v2.Describe());
  BOOST_TEST((v2.body == data), "v2 download: other bytes than uploaded");
  BOOST_TEST(Md5Hex(v2.body) == v2.Header("Content-MD5"));
  BOOST_TEST(v2.Header("Content-MD5") == md5);
  if (!data.empty()) {
    BOOST_TEST(get.Header("X-Glance-Cache") == "MISS", get.Describe());
    BOOST_TEST(v2.Header("X-Glance-Cache") == "HIT", v2.Describe());
  }
  for (const Reply* reply : {&get, &v2}) {
    BOOST_TEST(!reply->Has("X-Static-Large-Object"));
    BOOST_TEST(!reply->Has("X-Glance-Swift-Token"));
    BOOST_TEST(!reply->Has("X-Glance-Swift-Url"));
  }
}

// Deleted: nothing of `id` in either container, no cache file, 404.
void CheckGone(Swift& swift, const Stack& stack, const std::string& id) {
  BOOST_TEST(swift.Names(stack.SwiftContainer(), id).empty(), "the object of " << id << " is still in Swift");
  BOOST_TEST(swift.Names(stack.SwiftSegmentContainer(), id + "/").empty(), "segments of " << id << " are left");
  BOOST_TEST(!PathExists(CachePath(stack, id)), "the cache still holds " << id);
  BOOST_TEST(stack.api().Get("/v1/images/" + id).status == 404);
  BOOST_TEST(stack.api().Get("/v2/images/" + id + "/file").status == 404);
}

// The request line and headers of an upload of `length` bytes that waits
// for 100 Continue.
std::string UploadHead(const std::string& method, const std::string& path, const Headers& headers, int64_t length) {
  std::string head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  return head + "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(length) +
         "\r\nExpect: 100-continue\r\n\r\n";
}

std::string CreatedId(const Reply& reply) { return reply.Json()["image"]["id"].get<std::string>(); }

// glance-scrubber once, on the stack's glance-api.conf plus `extra`
// ([DEFAULT] lines).
void RunScrubber(const Stack& stack, const std::string& extra) {
  std::string conf = stack.var_dir() + "/scrub-" + std::to_string(NextNumber()) + ".conf";
  std::ofstream(conf) << "[DEFAULT]\n" << extra;
  std::string log = stack.LogDir() + "/scrubber.log";
  int rc = RunCommand({RequireEnv("GLANCE_BIN_DIR") + "/glance-scrubber", "--config-file",
                       stack.EtcDir() + "/glance-api.conf", "--config-file", conf},
                      {}, log, std::chrono::seconds(60));
  BOOST_TEST_REQUIRE(rc == 0, "glance-scrubber exited " << rc << ": " << TailOfFile(log, 1500));
}

ProcessResult CacheManage(const Stack& stack, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv{RequireEnv("GLANCE_BIN_DIR") + "/glance-cache-manage", "--config-file",
                                stack.EtcDir() + "/glance-api.conf"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, env, std::chrono::seconds(60));
}

std::string Describe(const ProcessResult& result) {
  return "exit " + std::to_string(result.exit_code) + ", stdout: " + result.output + ", stderr: " + result.errors;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(swift_store, *boost::unit_test::fixture<SwiftSuite>())

// 0 B, 1 KiB and 2.5 MiB through v1 (POST) and v2 (PUT .../file): one
// object, or a manifest of three segments; every download of the same
// bytes; delete leaves nothing in Swift nor in the cache.
BOOST_AUTO_TEST_CASE(images_of_every_size_round_trip_through_v1_and_v2) {
  Stack& stack = Main();
  Swift& swift = TheStore();
  Api api = stack.api();
  for (size_t size : {size_t{0}, size_t{1024}, size_t{5 * kMiB / 2}}) {
    std::string data = RandomBytes(size, 300 + size);
    for (const std::string version : {"v1", "v2"}) {
      BOOST_TEST_CONTEXT(version << ", " << size << " bytes") {
        std::string id;
        if (version == "v1") {
          // An empty body is sent chunked: a Content-Length of 0 is no body.
          Reply created = size == 0 ? api.SendChunked("POST", "/v1/images", ImageHeaders("swift-v1"), "")
                                    : api.Post("/v1/images", ImageHeaders("swift-v1"), data);
          BOOST_TEST_REQUIRE(created.status == 201, created.Describe());
          id = CreatedId(created);
          BOOST_TEST(created.Json()["image"]["checksum"] == Md5Hex(data));
          BOOST_TEST(created.Json()["image"]["size"] == size);
        } else {
          id = V2ActiveImage(api, {{"name", "swift-v2"}}, data);
          json image = V2Get(api, id);
          BOOST_TEST(S(image, "checksum") == Md5Hex(data));
          BOOST_TEST(S(image, "os_hash_value") == Sha512Hex(data));
          BOOST_TEST(S(image, "status") == "active");
        }
        CheckInSwift(swift, stack, id, data);
        CheckDownloads(stack, id, data);
        BOOST_TEST(WaitIncomingEmpty(stack).empty());
        Reply deleted = version == "v1" ? api.Delete("/v1/images/" + id) : api.Delete("/v2/images/" + id);
        BOOST_TEST_REQUIRE((deleted.status == 200 || deleted.status == 204), deleted.Describe());
        CheckGone(swift, stack, id);
      }
    }
  }
}

// delayed_delete: DELETE only marks the image; the data stays in Swift
// until glance-scrubber runs (scrub_time 0), which removes the manifest
// and every segment and makes the image deleted.
BOOST_AUTO_TEST_CASE(delayed_delete_leaves_the_object_to_the_scrubber) {
  Stack& stack = Stacks().Get("swiftdelay", "", SwiftSettings({{"GLANCE_DELAYED_DELETE", "true"}}));
  Swift& swift = TheStore();
  Api api = stack.api();
  std::string data = RandomBytes(5 * kMiB / 2, 310);
  ImageRef image = CreateImage(api, "swift-delayed", data);
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  BOOST_TEST_REQUIRE(api.Get("/v1/images/" + image.id).status == 200);
  BOOST_TEST_REQUIRE(WaitCached(stack, image.id));
  Reply deleted = api.Delete("/v1/images/" + image.id);
  BOOST_TEST_REQUIRE(deleted.status == 200, deleted.Describe());
  BOOST_TEST(HeadStatus(api, image.id) == "pending_delete");
  BOOST_TEST(api.Get("/v1/images/" + image.id).status == 404);
  // The cached copy goes at once; the data waits for the scrubber.
  BOOST_TEST(!PathExists(CachePath(stack, image.id)));
  BOOST_TEST(swift.Names(stack.SwiftContainer(), image.id).size() == 1u);
  BOOST_TEST(swift.Names(stack.SwiftSegmentContainer(), image.id + "/").size() == 3u);
  RunScrubber(stack, "scrub_time = 0\n");
  CheckGone(swift, stack, image.id);
  BOOST_TEST(HeadStatus(api, image.id) == "deleted");
}

// Swift's proxy down: Swift images answer 503 (v1 and v2) and uploads 503
// before their body is read, nothing stored, while an image kept in the
// filesystem store before the default store became Swift, and a Swift
// image in the image cache, download as before; with the proxy back
// everything works again.
BOOST_AUTO_TEST_CASE(swift_outage_is_503_and_filesystem_images_keep_working) {
  Stack& stack = Stacks().Get("swiftoutage", "", {{"STORE", "file"}});
  Swift& swift = TheStore();
  Api api = stack.api();
  std::string file_data = RandomBytes(3 * kMiB / 2, 320);
  ImageRef file_image = CreateImage(api, "swift-outage-file", file_data);
  BOOST_TEST_REQUIRE(file_image.reply.status == 201, file_image.reply.Describe());
  BOOST_TEST_REQUIRE(FileSize(stack.StorePath(file_image.id)) == static_cast<int64_t>(file_data.size()));
  std::string error;
  BOOST_TEST_REQUIRE(stack.Reconfigure(SwiftSettings(), &error), error);
  BOOST_TEST_REQUIRE(stack.UsesSwift());

  std::string swift_data = RandomBytes(5 * kMiB / 2, 321);
  ImageRef swift_image = CreateImage(api, "swift-outage-swift", swift_data);
  BOOST_TEST_REQUIRE(swift_image.reply.status == 201, swift_image.reply.Describe());
  CheckInSwift(swift, stack, swift_image.id, swift_data);
  std::string cached_data = RandomBytes(kMiB, 322);
  ImageRef cached_image = CreateImage(api, "swift-outage-cached", cached_data);
  BOOST_TEST_REQUIRE(cached_image.reply.status == 201, cached_image.reply.Describe());
  BOOST_TEST_REQUIRE(api.Get("/v1/images/" + cached_image.id).status == 200);
  BOOST_TEST_REQUIRE(WaitCached(stack, cached_image.id));
  auto file_downloads = [&](const std::string& when) {
    BOOST_TEST_CONTEXT(when) {
      Reply v1 = api.Get("/v1/images/" + file_image.id);
      BOOST_TEST(v1.status == 200, v1.Describe());
      BOOST_TEST((v1.body == file_data), "v1: other bytes than uploaded");
      BOOST_TEST(!v1.Has("X-Glance-Cache"), "a filesystem image went through the Swift location");
      Reply v2 = api.Get("/v2/images/" + file_image.id + "/file");
      BOOST_TEST(v2.status == 200, v2.Describe());
      BOOST_TEST((v2.body == file_data), "v2: other bytes than uploaded");
      BOOST_TEST(v2.Header("Content-MD5") == Md5Hex(file_data));
    }
  };
  file_downloads("after the default store became swift");
  // The new default store does not take the old image's data.
  BOOST_TEST(swift.Names(stack.SwiftContainer(), file_image.id).empty());
  BOOST_TEST(FileSize(stack.StorePath(file_image.id)) == static_cast<int64_t>(file_data.size()));

  std::string v1_upload = RandomUuid(), v2_upload;
  {
    swift.StopProxy();
    Finally restart([&] { swift.StartProxy(); });
    for (const std::string& path : {"/v1/images/" + swift_image.id, "/v2/images/" + swift_image.id + "/file"}) {
      Reply down = api.Get(path);
      BOOST_TEST(down.status == 503, path << ": " << down.Describe());
      BOOST_TEST(InApiErrorFormat(down), path << ": " << down.Describe());
      BOOST_TEST(down.body.find("The image store is unavailable") != std::string::npos, down.body);
      BOOST_TEST(down.body.find(swift_data.substr(0, 16)) == std::string::npos);
    }
    file_downloads("with Swift's proxy down");
    // The cached image is served from the cache alone (v1, v2, a range).
    for (const std::string& path : {"/v1/images/" + cached_image.id, "/v2/images/" + cached_image.id + "/file"}) {
      Reply hit = api.Get(path);
      BOOST_TEST(hit.status == 200, path << ": " << hit.Describe());
      BOOST_TEST(hit.Header("X-Glance-Cache") == "HIT", path << ": " << hit.Describe());
      BOOST_TEST((hit.body == cached_data), path << ": other bytes than uploaded");
    }
    Reply part = api.Get("/v2/images/" + cached_image.id + "/file", {{"Range", "bytes=10-19"}});
    BOOST_TEST(part.status == 206, part.Describe());
    BOOST_TEST((part.body == cached_data.substr(10, 10)), part.Describe());
    // Uploads are refused at the pre-flight, before nginx asks for the
    // body: a v1 POST creates no image, a v2 image stays queued.  (A
    // worker trusts its last look at Swift for a second: wait that out.)
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    Api::Streamed v1 = api.StreamUpload(
        UploadHead("POST", "/v1/images", ImageHeaders("swift-outage-v1", {{"x-image-meta-id", v1_upload}}), 2 * kMiB),
        2 * kMiB, true);
    BOOST_TEST(v1.reply.status == 503, v1.reply.Describe());
    BOOST_TEST(InApiErrorFormat(v1.reply), v1.reply.Describe());
    BOOST_TEST(v1.reply.body.find("The image store is unavailable") != std::string::npos, v1.reply.body);
    BOOST_TEST(!v1.got_continue, "the server asked for the body of a v1 upload it cannot store");
    BOOST_TEST(api.Head("/v1/images/" + v1_upload).status == 404);
    v2_upload = V2CreateId(api, {{"name", "swift-outage-v2"}, {"disk_format", "raw"}, {"container_format", "bare"}});
    Api::Streamed v2 = api.StreamUpload(UploadHead("PUT", "/v2/images/" + v2_upload + "/file", {}, 1000), 1000, true);
    BOOST_TEST(v2.reply.status == 503, v2.reply.Describe());
    BOOST_TEST(InApiErrorFormat(v2.reply), v2.reply.Describe());
    BOOST_TEST(!v2.got_continue, "the server asked for the body of a v2 upload it cannot store");
    BOOST_TEST(S(V2Get(api, v2_upload), "status") == "queued");
    BOOST_TEST(S(V2Get(api, v2_upload), "size") == "<null>");
  }
  // Back: the Swift image downloads, the failed uploads left nothing.
  CheckDownloads(stack, swift_image.id, swift_data);
  file_downloads("with Swift's proxy back");
  CheckNoDataLeft(stack, v1_upload);
  CheckNoDataLeft(stack, v2_upload);
  // The queued image takes its data now.
  std::string late = RandomBytes(1000, 323);
  Reply uploaded = V2Upload(api, v2_upload, late);
  BOOST_TEST_REQUIRE(uploaded.status == 204, uploaded.Describe());
  CheckInSwift(swift, stack, v2_upload, late);
  ImageRef after = CreateImage(api, "swift-outage-after", "back again");
  BOOST_TEST_REQUIRE(after.reply.status == 201, after.reply.Describe());
  CheckInSwift(swift, stack, after.id, "back again");
}

// The object server killed while the api sends a 30 MiB upload's segments:
// 503, the image killed; the segments Swift had stored stay (the api's
// clean-up cannot reach the object server) until glance-scrubber, with
// the object server back, removes every one of them and their files.
BOOST_AUTO_TEST_CASE(object_server_killed_mid_upload_leaves_nothing_after_the_scrubber) {
  Stack& stack = Main();
  Swift& swift = TheStore();
  const std::string segments = stack.SwiftSegmentContainer();
  const int baseline = swift.DataFiles();
  std::string id = RandomUuid();
  std::string data = RandomBytes(30 * kMiB, 330);
  std::atomic<bool> answered{false};
  Reply reply;
  std::thread upload([&] {
    reply = stack.api().Post("/v1/images", ImageHeaders("swift-object-killed", {{"x-image-meta-id", id}}), data);
    answered = true;
  });
  bool paused = false, stopped = false;
  Finally recover([&] {
    if (paused) swift.ResumeObject();
    if (stopped || paused) swift.StartObject();
    if (upload.joinable()) upload.join();
  });
  // The object server is paused once a new segment file appears; the case
  // goes on only from a pause in which every segment file is also in the
  // listing (an object server paused between writing a segment and
  // updating its container would leave a file no listing shows).
  int files = 0, listed = 0, seen = 0, pauses = 0;
  while (!answered) {
    bool more = WaitFor([&] { return answered || swift.DataFiles() - baseline > seen; }, std::chrono::seconds(60),
                        std::chrono::milliseconds(1));
    BOOST_TEST_REQUIRE(more, "no segment file appeared in Swift");
    if (answered) break;
    swift.PauseObject();
    paused = true;
    ++pauses;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // updates already sent land
    files = swift.DataFiles() - baseline;
    listed = static_cast<int>(swift.Names(segments, id + "/").size());
    if (files == listed && listed > 0) break;
    seen = files;
    swift.ResumeObject();
    paused = false;
  }
  BOOST_TEST_REQUIRE(!answered.load(), "the upload ended before the object server could be stopped: "
                                           << reply.Describe());
  BOOST_TEST_MESSAGE("object server stopped after " << listed << " of 30 segments (pause " << pauses << ")");
  BOOST_TEST_REQUIRE(listed < 30);
  swift.KillObject();
  paused = false;
  stopped = true;
  upload.join();
  BOOST_TEST(reply.status == 503, reply.Describe());
  BOOST_TEST(InApiErrorFormat(reply), reply.Describe());
  BOOST_TEST(HeadStatus(stack.api(), id) == "killed");
  swift.StartObject();
  stopped = false;
  // What Swift had stored is still there: the api could not remove it.
  std::vector<std::string> left = swift.Names(segments, id + "/");
  BOOST_TEST(left.size() == static_cast<size_t>(listed), "segments left: " << left.size());
  BOOST_TEST(swift.Names(stack.SwiftContainer(), id).empty(), "a manifest was stored");
  RunScrubber(stack, "scrubber_orphan_grace_time = 0\n");
  CheckNoDataLeft(stack, id);
  BOOST_TEST(swift.DataFiles() == baseline, "object files of the image are left in Swift's device");
  BOOST_TEST(HeadStatus(stack.api(), id) == "killed");
}

// Swift forgets every token (memcached flushed): the workers' service
// token is refused once, the api authenticates again, and downloads (the
// worker's HEAD, then nginx's GET with the token the worker hands it) and
// uploads go on working.
BOOST_AUTO_TEST_CASE(a_token_swift_forgot_is_renewed) {
  Stack& stack = Main();
  Swift& swift = TheStore();
  Api api = stack.api();
  // Not downloaded before the flush, so nginx has to fetch them from Swift.
  std::vector<std::pair<std::string, std::string>> images;
  for (int i = 0; i < 4; ++i) {
    std::string data = RandomBytes(3000 + i, 340 + i);
    ImageRef image = CreateImage(api, "swift-token-before", data);
    BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
    images.emplace_back(image.id, data);
  }
  std::string old_token = swift.Token();
  Api raw(swift.port());
  std::string storage = swift.Var("SWIFT_STORAGE_URL");
  std::string container = storage.substr(storage.find("/v1/")) + "/" + stack.SwiftContainer();
  BOOST_TEST_REQUIRE(raw.Get(container, {{"X-Auth-Token", old_token}}).status == 200);
  swift.FlushTokens();
  Reply refused = raw.Get(container, {{"X-Auth-Token", old_token}});
  BOOST_TEST_REQUIRE(refused.status == 401, "the flush did not invalidate the token: " << refused.Describe());
  // Both workers meet the forgotten token: several requests each way.
  for (const auto& [id, data] : images) {
    Reply get = api.Get("/v2/images/" + id + "/file");
    BOOST_TEST(get.status == 200, get.Describe());
    BOOST_TEST((get.body == data), "image " << id << ": other bytes than uploaded");
    BOOST_TEST(get.Header("X-Glance-Cache") == "MISS");
    std::string fresh = RandomBytes(2000, 350 + data.size());
    ImageRef uploaded = CreateImage(api, "swift-token-after", fresh);
    BOOST_TEST_REQUIRE(uploaded.reply.status == 201, uploaded.reply.Describe());
    BOOST_TEST((api.Get("/v1/images/" + uploaded.id).body == fresh), "v1 image " << uploaded.id);
    std::string v2 = V2ActiveImage(api, {{"name", "swift-token-after-v2"}}, fresh);
    BOOST_TEST((api.Get("/v2/images/" + v2 + "/file").body == fresh), "v2 image " << v2);
  }
}

// The second download comes from nginx's cache with the same bytes;
// glance-cache-manage lists, drops and prefetches cached images.
BOOST_AUTO_TEST_CASE(downloads_are_cached_and_glance_cache_manage_sees_them) {
  Stack& stack = Main();
  Api api = stack.api();
  std::string data = RandomBytes(3 * kMiB / 2, 360);
  std::string id = V2ActiveImage(api, {{"name", "swift-cache"}}, data);
  const std::string path = "/v2/images/" + id + "/file";
  Reply first = api.Get(path);
  BOOST_TEST_REQUIRE(first.status == 200, first.Describe());
  BOOST_TEST(first.Header("X-Glance-Cache") == "MISS");
  BOOST_TEST_REQUIRE(WaitCached(stack, id));
  Reply second = api.Get(path);
  BOOST_TEST_REQUIRE(second.status == 200, second.Describe());
  BOOST_TEST(second.Header("X-Glance-Cache") == "HIT");
  BOOST_TEST((second.body == data), "the cached copy has other bytes");
  BOOST_TEST(second.Header("Content-MD5") == Md5Hex(data));
  BOOST_TEST(second.Header("Content-Length") == std::to_string(data.size()));

  ProcessResult listed = CacheManage(stack, {"list-cached"});
  BOOST_TEST_REQUIRE(listed.exit_code == 0, Describe(listed));
  BOOST_TEST(listed.output.find(id) != std::string::npos, listed.output);

  ProcessResult dropped = CacheManage(stack, {"delete-cached-image", id});
  BOOST_TEST_REQUIRE(dropped.exit_code == 0, Describe(dropped));
  BOOST_TEST(dropped.output == "Deleted cached image " + id + "\n");
  BOOST_TEST(!PathExists(CachePath(stack, id)));
  BOOST_TEST(CacheManage(stack, {"list-cached"}).output.find(id) == std::string::npos);
  ProcessResult again = CacheManage(stack, {"delete-cached-image", id});
  BOOST_TEST(again.exit_code == 1, "dropping an image that is not cached: " << Describe(again));
  Reply refetched = api.Get(path);
  BOOST_TEST(refetched.Header("X-Glance-Cache") == "MISS", refetched.Describe());
  BOOST_TEST((refetched.body == data));
  BOOST_TEST_REQUIRE(WaitCached(stack, id));

  BOOST_TEST_REQUIRE(CacheManage(stack, {"delete-cached-image", id}).exit_code == 0);
  ProcessResult queued = CacheManage(stack, {"queue-image", id});
  BOOST_TEST_REQUIRE(queued.exit_code == 0, Describe(queued));
  BOOST_TEST(queued.output == "Cached image " + id + " (" + std::to_string(data.size()) + " bytes, MISS)\n");
  BOOST_TEST_REQUIRE(WaitCached(stack, id));
  BOOST_TEST(CacheManage(stack, {"list-cached"}).output.find(id) != std::string::npos);
  Reply hit = api.Get(path);
  BOOST_TEST(hit.Header("X-Glance-Cache") == "HIT", hit.Describe());
  BOOST_TEST((hit.body == data));

  // Deleting the image drops its cached copy.
  BOOST_TEST_REQUIRE(api.Delete("/v2/images/" + id).status == 204);
  CheckGone(TheStore(), stack, id);
  BOOST_TEST(CacheManage(stack, {"list-cached"}).output.find(id) == std::string::npos);
}

// image_cache_max_size 3000000: four images of 1.2 MB overfill it, and
// nginx's cache manager evicts the least recently used ones until the
// cache fits again (it looks every few seconds).
BOOST_AUTO_TEST_CASE(the_cache_manager_keeps_the_cache_under_its_size) {
  Stack& stack = Stacks().Get("swiftcache", "trusted-auth", SwiftSettings({{"GLANCE_IMAGE_CACHE_MAX_SIZE", "3000000"}}));
  Api api = stack.api(ForTenant("swift-cache-" + NewRunTag()));
  constexpr size_t kSize = 1200000;
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    std::string data = RandomBytes(kSize, 370 + i);
    std::string id = V2ActiveImage(api, {{"name", "swift-evict"}}, data);
    Reply get = api.Get("/v2/images/" + id + "/file");
    BOOST_TEST_REQUIRE(get.status == 200, get.Describe());
    BOOST_TEST((get.body == data));
    BOOST_TEST_REQUIRE(WaitCached(stack, id));
    ids.push_back(id);
  }
  int64_t one_entry = FileSize(CachePath(stack, ids.back()));
  BOOST_TEST_REQUIRE(one_entry > static_cast<int64_t>(kSize));
  int64_t peak = CacheBytes(stack);
  BOOST_TEST(peak > 3000000 + one_entry, "four entries should not fit: " << peak << " bytes");
  auto started = std::chrono::steady_clock::now();
  int64_t bytes = peak;
  bool fits = WaitFor([&] { return (bytes = CacheBytes(stack)) <= 3000000 + one_entry; }, std::chrono::seconds(30),
                      std::chrono::milliseconds(200));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST(fits, "the cache still holds " << bytes << " bytes after " << seconds << " s");
  BOOST_TEST_MESSAGE("cache: " << peak << " bytes, " << bytes << " after " << seconds << " s");
  BOOST_TEST(!PathExists(CachePath(stack, ids.front())), "the least recently used image is still cached");
  Reply last = api.Get("/v2/images/" + ids.back() + "/file");
  BOOST_TEST(last.Header("X-Glance-Cache") == "HIT", "the most recently used image was evicted");
}

// Every download is authorised before nginx looks in its cache: a tenant
// who cannot see a private image gets 404, not its cached bytes.
BOOST_AUTO_TEST_CASE(a_cached_private_image_is_404_for_other_tenants) {
  Stack& stack = Stacks().Get("swiftcache", "trusted-auth", SwiftSettings({{"GLANCE_IMAGE_CACHE_MAX_SIZE", "3000000"}}));
  std::string tag = NewRunTag();
  Api owner = stack.api(ForTenant("swift-owner-" + tag));
  Api other = stack.api(ForTenant("swift-other-" + tag));
  std::string data = RandomBytes(200000, 380);
  std::string id = V2ActiveImage(owner, {{"name", "swift-private"}, {"visibility", "private"}}, data);
  BOOST_TEST_REQUIRE(owner.Get("/v2/images/" + id + "/file").status == 200);
  BOOST_TEST_REQUIRE(WaitCached(stack, id));
  Reply cached = owner.Get("/v2/images/" + id + "/file");
  BOOST_TEST_REQUIRE(cached.Header("X-Glance-Cache") == "HIT", cached.Describe());
  for (const std::string& path : {"/v2/images/" + id + "/file", "/v1/images/" + id}) {
    Reply refused = other.Get(path);
    BOOST_TEST(refused.status == 404, path << ": " << refused.Describe());
    BOOST_TEST(!refused.Has("X-Glance-Cache"), path << ": nginx's cache answered");
    BOOST_TEST(refused.body.find(data.substr(0, 32)) == std::string::npos, path << ": the image's bytes");
    Reply ranged = other.Get(path, {{"Range", "bytes=0-99"}});
    BOOST_TEST(ranged.status == 404, path << " with a Range: " << ranged.Describe());
  }
  Reply anonymous = stack.api().Get("/v2/images/" + id + "/file");
  BOOST_TEST(anonymous.status == 401, anonymous.Describe());
  BOOST_TEST((owner.Get("/v1/images/" + id).body == data));
}

// A Swift that validates Keystone tokens (its own, started through the
// run's Keystone) behind a keystone-mode stack: the store's identity is
// the glance service user, the images' data goes to the service project's
// account, a demo user's upload and download work.
BOOST_AUTO_TEST_CASE(a_swift_behind_keystone_stores_and_serves_images) {
  TheKeystone().Wait();
  Swift swift("keystone");
  swift.StartInBackground(TheKeystone().dir());
  Finally stop_swift([&] { swift.Stop(AnyTestFailed()); });
  swift.Wait();
  BOOST_TEST_REQUIRE(swift.Var("SWIFT_AUTH_MODE") == "keystone");
  Stack stack("swiftks", "keystone",
              SwiftSettings({{"KEYSTONE_DIR", TheKeystone().dir()}, {"SWIFT_DIR", swift.dir()}}));
  Finally stop_stack([&] { Dispose(stack, AnyTestFailed()); });
  stack.Start();
  BOOST_TEST_REQUIRE(stack.started(), stack.start_error());
  Api api = stack.api(TokenHeaders(TheKeystone().Token("demo")));
  std::string data = RandomBytes(5 * kMiB / 2, 390);
  std::string v2 = V2ActiveImage(api, {{"name", "swift-keystone"}}, data);
  CheckInSwift(swift, stack, v2, data);
  BOOST_TEST(S(V2Get(api, v2), "owner") == TheKeystone().Var("DEMO_PROJECT_ID"));
  Reply get = api.Get("/v2/images/" + v2 + "/file");
  BOOST_TEST_REQUIRE(get.status == 200, get.Describe());
  BOOST_TEST((get.body == data), "other bytes than uploaded");
  BOOST_TEST(get.Header("Content-MD5") == Md5Hex(data));
  std::string small = RandomBytes(4096, 391);
  ImageRef v1 = CreateImage(api, "swift-keystone-v1", small);
  BOOST_TEST_REQUIRE(v1.reply.status == 201, v1.reply.Describe());
  CheckInSwift(swift, stack, v1.id, small);
  BOOST_TEST((api.Get("/v1/images/" + v1.id).body == small));
  // The objects are in the account of the service project, not the demo user's.
  BOOST_TEST(swift.Var("SWIFT_STORAGE_URL").find("AUTH_" + swift.Var("SWIFT_PROJECT_ID")) != std::string::npos);
  BOOST_TEST_REQUIRE(api.Delete("/v2/images/" + v2).status == 204);
  BOOST_TEST(swift.Names(stack.SwiftContainer(), v2).empty());
  BOOST_TEST(swift.Names(stack.SwiftSegmentContainer(), v2 + "/").empty());
}

BOOST_AUTO_TEST_SUITE_END()
