// Spec §13, §20.7: x-image-meta-location and x-glance-api-copy-from against
// a real origin (test/e2e/origin.py on a free 127.0.0.1 port), through the
// real nginx, registry and PostgreSQL.  The test stacks give sources a
// 3-second time-out (GLANCE_SOURCE_TIMEOUT).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "e2e.h"

using namespace e2e;

namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// The origin server, started for one test case and stopped after it.
struct Origin {
  int port = FreePorts(1).at(0);
  std::string dir;
  pid_t pid = -1;

  Origin() {
    dir = RequireEnv("GLANCE_TEST_TMPDIR") + "/origin-" + NewRunTag();
    fs::create_directories(dir);
    std::string script = RequireEnv("GLANCE_SCRIPTS_DIR") + "/../test/e2e/origin.py";
    pid = ::fork();
    if (pid == 0) {
      ::execlp("python3", "python3", script.c_str(), std::to_string(port).c_str(), dir.c_str(),
               static_cast<char*>(nullptr));
      _exit(127);
    }
    BOOST_REQUIRE(pid > 0);
    httplib::Client probe("127.0.0.1", port);
    bool up = WaitFor([&] { return static_cast<bool>(probe.Get("/status/204")); }, seconds(10));
    BOOST_REQUIRE_MESSAGE(up, "origin.py did not start on port " << port);
  }
  ~Origin() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  std::string Put(const std::string& name, const std::string& data) const {
    std::ofstream(dir + "/" + name, std::ios::binary) << data;
    return name;
  }
  std::string Requests() const { return ReadFile(dir + "/requests.log"); }
};

struct Tagged {
  std::string tag = NewRunTag();
  Headers With(const Headers& extra) const {
    Headers headers{{"x-image-meta-property-e2e_source", tag}};
    for (const auto& h : extra) headers.push_back(h);
    return headers;
  }
};

// Ids of the images with the run tag that `api` lists.
std::set<std::string> Listed(const Api& api, const std::string& tag) {
  Reply reply = api.Get("/v1/images/detail?is_public=none&property-e2e_source=" + tag);
  if (reply.status != 200) throw std::runtime_error("list: " + reply.Describe());
  std::set<std::string> ids;
  const json body = reply.Json();  // kept: a range-for would outlive a temporary
  for (const auto& image : body["images"]) ids.insert(image["id"].get<std::string>());
  return ids;
}

std::string IdOf(const Reply& reply) {
  json body = json::parse(reply.body, nullptr, false);
  if (body.is_discarded() || !body.contains("image")) return "";
  return body["image"].value("id", "");
}

// Waits (bounded) until the image leaves queued/saving; returns its status.
std::string SettledStatus(const Api& api, const std::string& id, seconds limit = seconds(20)) {
  std::string status;
  WaitFor(
      [&] {
        status = HeadStatus(api, id);
        return status != "queued" && status != "saving";
      },
      limit, std::chrono::milliseconds(100));
  return status;
}

void ExpectLocationHidden(const Api& api, const std::string& id, const std::string& tag) {
  Reply head = api.Head("/v1/images/" + id);
  BOOST_TEST(head.status == 200, head.Describe());
  for (const auto& [name, value] : head.headers) {
    BOOST_TEST(ToLower(name).find("location") == std::string::npos, "HEAD shows " << name);
    BOOST_TEST(value.find("127.0.0.1:") == std::string::npos, "HEAD shows " << name << ": " << value);
  }
  Reply detail = api.Get("/v1/images/detail?is_public=none&property-e2e_source=" + tag);
  BOOST_TEST(detail.body.find("location") == std::string::npos, detail.body);
  BOOST_TEST(detail.body.find("/files/") == std::string::npos, detail.body);
}

// Which api worker holds the copy file of `id` open, if any.
std::optional<pid_t> CopyHolder(const Stack& stack, const std::string& id) {
  for (pid_t worker : stack.ApiWorkers()) {
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(worker) + "/fd", ec)) {
      std::error_code link_ec;
      if (fs::read_symlink(fd.path(), link_ec).string().find("copy-" + id) != std::string::npos) {
        return worker;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(external_sources)

BOOST_FIXTURE_TEST_CASE(location_image_is_active_and_nginx_proxies_its_bytes, Origin) {
  Api api = NoAuthStack().api();
  Tagged t;
  std::string data = RandomBytes(300 * 1024 + 7, 51);
  Reply created = api.Post("/v1/images",
                           ImageHeaders("located", t.With({{"x-image-meta-location", Url("/files/" + Put("a", data))},
                                                           {"x-image-meta-checksum", "0123456789abcdef0123456789abcdef"}})),
                           "", "");
  BOOST_TEST_REQUIRE(created.status == 201, created.Describe());
  json image = created.Json()["image"];
  std::string id = image["id"];
  BOOST_TEST(image["status"] == "active");
  BOOST_TEST(image["size"] == static_cast<int64_t>(data.size()));
  BOOST_TEST(image["checksum"].is_null(), "a client's checksum is not evidence: " << image);
  BOOST_TEST(!image.contains("location"));
  BOOST_TEST(created.body.find("/files/") == std::string::npos, created.body);

  Reply head = api.Head("/v1/images/" + id);
  BOOST_TEST(head.Header("x-image-meta-size") == std::to_string(data.size()));
  BOOST_TEST(head.Header("x-image-meta-status") == "active");
  ExpectLocationHidden(api, id, t.tag);

  Api::Download got = api.GetDigest("/v1/images/" + id, {{"X-Auth-Token", "client-secret"},
                                                         {"Cookie", "session=client"}});
  BOOST_TEST(got.reply.status == 200, got.reply.Describe());
  BOOST_TEST(got.bytes == static_cast<int64_t>(data.size()));
  BOOST_TEST(got.md5 == Md5Hex(data));
  BOOST_TEST(got.reply.Header("Content-Type") == "application/octet-stream");
  BOOST_TEST(got.reply.Header("x-image-meta-id") == id);
  BOOST_TEST(got.reply.Header("x-image-meta-name") == "located");
  BOOST_TEST(got.reply.Header("x-image-meta-property-e2e_source") == t.tag);
  BOOST_TEST(got.reply.Has("x-openstack-request-id"));
  BOOST_TEST(!got.reply.Has("Set-Cookie"), "the origin's cookie reached the client");
  BOOST_TEST(!got.reply.Has("X-Glance-Source-Addr"));

  Reply range = api.Get("/v1/images/" + id, {{"Range", "bytes=100-199"}});
  BOOST_TEST(range.status == 206, range.Describe());
  BOOST_TEST((range.body == data.substr(100, 100)));

  // The source saw the right Host and nothing of the client's credentials.
  std::string log = Requests();
  BOOST_TEST(log.find("GET /files/a host=127.0.0.1:" + std::to_string(port) + " clean") != std::string::npos, log);
  BOOST_TEST(log.find("leaked") == std::string::npos, log);

  BOOST_TEST(api.Delete("/v1/images/" + id).status == 200);
  BOOST_TEST(api.Get("/v1/images/" + id).status == 404);
}

BOOST_FIXTURE_TEST_CASE(location_by_put_on_a_queued_image_only, Origin) {
  Api api = NoAuthStack().api();
  Tagged t;
  std::string data = RandomBytes(4096, 52);
  ImageRef queued = ReserveImage(api, "later", t.With({}));
  BOOST_TEST_REQUIRE(queued.reply.status == 201, queued.reply.Describe());
  std::string url = Url("/files/" + Put("b", data));
  Reply put = api.Put("/v1/images/" + queued.id,
                      ImageHeaders("later", t.With({{"x-image-meta-location", url}})), "", "");
  BOOST_TEST_REQUIRE(put.status == 200, put.Describe());
  BOOST_TEST(put.Json()["image"]["status"] == "active");
  BOOST_TEST(put.Json()["image"]["size"] == 4096);
  BOOST_TEST(api.GetDigest("/v1/images/" + queued.id).md5 == Md5Hex(data));
  Reply again = api.Put("/v1/images/" + queued.id, {{"x-image-meta-location", url}}, "", "");
  BOOST_TEST(again.status == 400, again.Describe());
  ExpectLocationHidden(api, queued.id, t.tag);
}

BOOST_FIXTURE_TEST_CASE(unreadable_locations_are_400_and_create_nothing, Origin) {
  Api api = NoAuthStack().api();
  Tagged t;
  std::string name = Put("c", RandomBytes(1000, 53));
  std::set<std::string> before = Listed(api, t.tag);
  for (const char* path : {"/status/404", "/status/500", "/status/302", "/status/301",
                           "/nolength/c", "/files/missing"}) {
    Reply reply = api.Post("/v1/images", ImageHeaders("bad", t.With({{"x-image-meta-location", Url(path)}})), "", "");
    BOOST_TEST(reply.status == 400, path << ": " << reply.Describe());
  }
  auto started = std::chrono::steady_clock::now();
  Reply hang = api.Post("/v1/images", ImageHeaders("hang", t.With({{"x-image-meta-location", Url("/hang")}})), "", "");
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST(hang.status == 400, hang.Describe());
  BOOST_TEST(took < 10.0, "a silent source held the request " << took << " s");
  Reply closed = api.Post("/v1/images",
                          ImageHeaders("closed", t.With({{"x-image-meta-location",
                                                          "http://127.0.0.1:" + std::to_string(FreePorts(1)[0]) + "/x"}})),
                          "", "");
  BOOST_TEST(closed.status == 400, closed.Describe());
  // TLS to a server that speaks none fails the handshake: a 400, no hang.
  std::string https = Url("/files/" + name).replace(0, 4, "https");
  Reply plain = api.Post("/v1/images", ImageHeaders("tls", t.With({{"x-image-meta-location", https}})), "", "");
  BOOST_TEST(plain.status == 400, plain.Describe());
  Reply mismatch = api.Post("/v1/images",
                            ImageHeaders("mismatch", t.With({{"x-image-meta-location", Url("/files/" + name)},
                                                             {"x-image-meta-size", "999"}})),
                            "", "");
  BOOST_TEST(mismatch.status == 409, mismatch.Describe());
  BOOST_TEST(mismatch.body.find("Provided image size must match the stored image size.") != std::string::npos);
  BOOST_TEST((Listed(api, t.tag) == before), "a refused location left an image");
  // Without a length from the source, the client's size is taken.
  Reply sized = api.Post("/v1/images",
                         ImageHeaders("sized", t.With({{"x-image-meta-location", Url("/nolength/" + name)},
                                                       {"x-image-meta-size", "1000"}})),
                         "", "");
  BOOST_TEST(sized.status == 201, sized.Describe());
}

BOOST_FIXTURE_TEST_CASE(forbidden_sources_are_400_and_create_nothing, Origin) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  Tagged t;
  std::set<std::string> before = Listed(api, t.tag);
  std::vector<std::string> own;
  for (int p : {stack.api_port(), stack.registry_port()}) {
    std::string port = std::to_string(p);
    for (const char* host : {"127.0.0.1", "[::1]", "localhost", "2130706433", "0x7f000001",
                             "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]", "0.0.0.0", "127.0.0.2"}) {
      own.push_back("http://" + std::string(host) + ":" + port + "/v1/images");
    }
  }
  own.push_back("http://127.0.0.1:" + std::to_string(stack.api_port()) + "/v1/images/detail?is_public=none");
  std::vector<std::string> malformed{"file:///etc/passwd", "file://" + stack.StoreDir(),
                                     "swift://account:key@container/object", "gopher://127.0.0.1:70/",
                                     "ftp://example.com/x", "../../etc/passwd", stack.StoreDir() + "/x",
                                     "http://", "http://user:pw@127.0.0.1:1/", "http://127.0.0.1:99999/",
                                     "http://[::1/", "http://host name/", "http://" + std::string(3000, 'a'),
                                     "HTTP://127.0.0.1:" + std::to_string(stack.registry_port()) + "/"};
  for (const char* header : {"x-image-meta-location", "x-glance-api-copy-from"}) {
    for (const auto* list : {&own, &malformed}) {
      for (const std::string& uri : *list) {
        Reply reply = api.Post("/v1/images", ImageHeaders("forbidden", t.With({{header, uri}})), "", "");
        BOOST_TEST(reply.status == 400, header << ": " << uri << ": " << reply.Describe());
      }
    }
  }
  Reply message = api.Post("/v1/images", ImageHeaders("f", t.With({{"x-image-meta-location", "file:///etc/passwd"}})), "", "");
  BOOST_TEST(message.body.find("External sources are not supported") != std::string::npos, message.body);
  BOOST_TEST((Listed(api, t.tag) == before), "a refused source left an image");
  // The test origin itself is on loopback too, but on neither own port.
  Reply allowed = api.Post("/v1/images", ImageHeaders("ok", t.With({{"x-image-meta-location", Url("/files/" + Put("d", "data"))}})), "", "");
  BOOST_TEST(allowed.status == 201, allowed.Describe());
}

BOOST_FIXTURE_TEST_CASE(two_sources_at_once_are_400, Origin) {
  Api api = NoAuthStack().api();
  Tagged t;
  std::string url = Url("/files/" + Put("e", "xyz"));
  Reply both = api.Post("/v1/images", ImageHeaders("two", t.With({{"x-image-meta-location", url},
                                                                 {"x-glance-api-copy-from", url}})), "", "");
  BOOST_TEST(both.status == 400, both.Describe());
  Reply with_body = api.Post("/v1/images", ImageHeaders("two", t.With({{"x-glance-api-copy-from", url}})), "body");
  BOOST_TEST(with_body.status == 400, with_body.Describe());
  BOOST_TEST(Listed(api, t.tag).empty());
}

BOOST_FIXTURE_TEST_CASE(copy_from_becomes_active_with_the_sources_md5, Origin) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  Tagged t;
  std::string data = RandomBytes(2 * 1024 * 1024 + 3, 54);
  Reply created = api.Post("/v1/images",
                           ImageHeaders("copied", t.With({{"x-glance-api-copy-from", Url("/files/" + Put("f", data))},
                                                          {"x-image-meta-checksum", Md5Hex(data)}})),
                           "", "");
  BOOST_TEST_REQUIRE(created.status == 201, created.Describe());
  std::string id = IdOf(created);
  BOOST_TEST(created.Json()["image"]["status"] == "queued");
  BOOST_TEST(SettledStatus(api, id) == "active");
  Reply head = api.Head("/v1/images/" + id);
  BOOST_TEST(head.Header("x-image-meta-checksum") == Md5Hex(data));
  BOOST_TEST(head.Header("x-image-meta-size") == std::to_string(data.size()));
  BOOST_TEST(StoredSize(stack, id) == static_cast<int64_t>(data.size()));
  BOOST_TEST(api.GetDigest("/v1/images/" + id).md5 == Md5Hex(data));
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
  ExpectLocationHidden(api, id, t.tag);

  // By PUT on a queued image; a source without Content-Length is fine.
  ImageRef queued = ReserveImage(api, "copied later", t.With({}));
  Reply put = api.Put("/v1/images/" + queued.id,
                      ImageHeaders("copied later", t.With({{"x-glance-api-copy-from", Url("/nolength/f")}})), "", "");
  BOOST_TEST_REQUIRE(put.status == 200, put.Describe());
  BOOST_TEST(SettledStatus(api, queued.id) == "active");
  BOOST_TEST(api.Head("/v1/images/" + queued.id).Header("x-image-meta-checksum") == Md5Hex(data));
}

BOOST_FIXTURE_TEST_CASE(failed_copies_end_killed_with_no_data_left, Origin) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  Tagged t;
  std::string name = Put("g", RandomBytes(64 * 1024, 55));
  struct Case {
    std::string path;
    Headers extra;
  };
  std::vector<Case> cases{{"/status/404", {}},
                          {"/status/302", {}},
                          {"/status/500", {}},
                          {"/hang", {}},
                          {"/short/" + name, {}},
                          {"/files/" + name, {{"x-image-meta-size", "1000"}}},
                          {"/files/" + name, {{"x-image-meta-size", "999999"}}},
                          {"/files/" + name, {{"x-image-meta-checksum", "0123456789abcdef0123456789abcdef"}}}};
  std::vector<std::string> ids;
  for (const Case& c : cases) {
    Headers headers = t.With(c.extra);
    headers.emplace_back("x-glance-api-copy-from", Url(c.path));
    Reply reply = api.Post("/v1/images", ImageHeaders("doomed", headers), "", "");
    BOOST_TEST(reply.status == 201, c.path << ": " << reply.Describe());
    ids.push_back(IdOf(reply));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) continue;
    BOOST_TEST(SettledStatus(api, ids[i]) == "killed", cases[i].path);
    BOOST_TEST(api.Get("/v1/images/" + ids[i]).status == 404);
    CheckNoDataLeft(stack, ids[i]);
  }
}

BOOST_FIXTURE_TEST_CASE(a_worker_stopped_mid_copy_leaves_the_image_killed, Origin) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  Tagged t;
  std::string name = Put("h", RandomBytes(60, 56));  // one byte a second: a minute
  for (int signal_number : {SIGTERM, SIGKILL}) {
    Reply created = api.Post("/v1/images",
                             ImageHeaders("interrupted", t.With({{"x-glance-api-copy-from", Url("/drip/" + name)}})),
                             "", "");
    BOOST_TEST_REQUIRE(created.status == 201, created.Describe());
    std::string id = IdOf(created);
    std::optional<pid_t> holder;
    BOOST_TEST_REQUIRE(WaitFor([&] { return (holder = CopyHolder(stack, id)).has_value(); }, seconds(10)),
                       "no worker holds the copy of " << id);
    BOOST_TEST(HeadStatus(api, id) == "saving");
    BOOST_TEST_REQUIRE(::kill(*holder, signal_number) == 0);
    // SIGTERM: the worker cancels its copy; SIGKILL: the replacement
    // worker finds the copy nobody holds.
    BOOST_TEST(SettledStatus(api, id, seconds(20)) == "killed", "signal " << signal_number);
    BOOST_TEST(WaitFor([&] { return stack.ApiWorkers().size() == 2u; }, seconds(10)));
    CheckNoDataLeft(stack, id);
  }
}

BOOST_FIXTURE_TEST_CASE(non_admins_may_not_use_sources_by_default, Origin) {
  std::string tag = NewRunTag();
  Api user = TrustedStack().api(ForTenant("tenant-src-" + tag));
  Api admin = TrustedStack().api(ForTenant("admin-src-" + tag, "admin"));
  Tagged t;
  std::string url = Url("/files/" + Put("i", "bytes"));
  for (const char* header : {"x-image-meta-location", "x-glance-api-copy-from"}) {
    Reply post = user.Post("/v1/images", ImageHeaders("mine", t.With({{header, url}})), "", "");
    BOOST_TEST(post.status == 403, header << ": " << post.Describe());
    ImageRef queued = ReserveImage(user, "mine", t.With({}));
    BOOST_TEST_REQUIRE(queued.reply.status == 201, queued.reply.Describe());
    Reply put = user.Put("/v1/images/" + queued.id, ImageHeaders("mine", t.With({{header, url}})), "", "");
    BOOST_TEST(put.status == 403, header << ": " << put.Describe());
    BOOST_TEST(HeadStatus(user, queued.id) == "queued");
  }
  // Even a forbidden target is a 403 for them: no probing through policy.
  Reply own = user.Post("/v1/images",
                        ImageHeaders("own", t.With({{"x-image-meta-location",
                                                     "http://127.0.0.1:" + std::to_string(TrustedStack().registry_port()) + "/"}})),
                        "", "");
  BOOST_TEST(own.status == 403, own.Describe());
  BOOST_TEST(Requests().find("/files/i") == std::string::npos, "a refused request reached the source");
  Reply allowed = admin.Post("/v1/images", ImageHeaders("admins", t.With({{"x-image-meta-location", url}})), "", "");
  BOOST_TEST(allowed.status == 201, allowed.Describe());
  BOOST_TEST(allowed.Json()["image"]["status"] == "active");
}

BOOST_AUTO_TEST_SUITE_END()
