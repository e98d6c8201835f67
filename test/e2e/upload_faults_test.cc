// Faults during uploads (issue 10): nginx, the api workers and the registry
// SIGKILLed while a body is received and while it is hashed, PostgreSQL
// restarted under load.  Each time the client gets an answer (or a closed
// connection), never a hang; no image is ever active without its exact
// bytes; an upload that can no longer finish ends killed within the
// recovery time; nothing stays in the store or in _incoming once recovered.
//
// The stack of this suite runs noauth with interrupted_upload_timeout = 3 s.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>

#include "e2e.h"

using namespace e2e;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMiB = 1 << 20;
constexpr auto kRecovery = std::chrono::seconds(15);  // 3 s timeout, sweeps every second

struct FaultStack {
  Stack stack{"faults", "", {{"GLANCE_INTERRUPTED_UPLOAD_TIMEOUT", "3"},
                             {"GLANCE_IMAGE_SIZE_CAP", std::to_string(2LL << 30)}}};
  FaultStack() { stack.Start(); }
  ~FaultStack() {
    stack.Stop();
    stack.DropDatabase();
    std::error_code ec;
    fs::remove_all(stack.var_dir(), ec);
  }
};

Stack& Faults() {
  static FaultStack faults;
  BOOST_TEST_REQUIRE(faults.stack.started(), faults.stack.start_error());
  return faults.stack;
}

std::string UploadHead(const std::string& id, int64_t length) {
  return "POST /v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nx-image-meta-id: " + id +
         "\r\nx-image-meta-name: e2e-fault\r\nx-image-meta-disk_format: raw\r\n"
         "x-image-meta-container_format: bare\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// MD5 of `length` bytes of 'x', the body StreamUpload sends.
std::string Md5OfXs(int64_t length) {
  std::string piece(1 << 20, 'x');
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  for (int64_t done = 0; done < length; done += static_cast<int64_t>(piece.size())) {
    EVP_DigestUpdate(ctx, piece.data(), static_cast<size_t>(std::min<int64_t>(piece.size(), length - done)));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, digest, &size);
  EVP_MD_CTX_free(ctx);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

void KillAll(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) ::kill(pid, SIGKILL);
}

std::vector<pid_t> NginxPids(const Stack& stack) {
  std::vector<pid_t> pids;
  if (auto master = ReadPidFile(stack.PidFile("nginx"))) {
    pids.push_back(*master);
    for (pid_t child : ChildrenOf(*master)) pids.push_back(child);
  }
  return pids;
}

std::vector<pid_t> RegistryPids(const Stack& stack) {
  std::vector<pid_t> pids;
  if (auto registry = ReadPidFile(stack.PidFile("glance-registry"))) pids.push_back(*registry);
  return pids;
}

// Uploads `length` bytes as image `id` while `kill` runs once: when the
// image turns saving (hashing has begun) or, with `while_receiving`, once
// a quarter of the body has been sent.
Api::Streamed UploadWhileKilling(const Stack& stack, const std::string& id, int64_t length,
                                 bool while_receiving, const std::function<void()>& kill) {
  std::atomic<bool> killed{false};
  std::atomic<bool> hashing{false};
  std::thread watcher;
  if (!while_receiving) {
    watcher = std::thread([&] {
      Api admin = stack.api();
      hashing = WaitFor([&] { return HeadStatus(admin, id) == "saving"; }, std::chrono::seconds(60),
                        std::chrono::milliseconds(5));
      kill();
      killed = true;
    });
  }
  auto on_piece = [&](int64_t sent) {
    if (while_receiving && !killed && sent >= length / 4) {
      kill();
      killed = true;
    }
  };
  Api::Streamed sent = stack.api().StreamUpload(UploadHead(id, length), length, false,
                                                while_receiving ? 128 * kMiB : 0, on_piece,
                                                std::chrono::seconds(120));
  if (watcher.joinable()) watcher.join();
  BOOST_TEST_REQUIRE(killed.load(), "the fault was never injected");
  if (!while_receiving) BOOST_TEST(hashing.load(), "image " << id << " never seen saving");
  return sent;
}

void RestartStack(Stack& stack) {
  std::string log;
  BOOST_TEST_REQUIRE(stack.Restart(&log) == 0, log);
  BOOST_TEST_REQUIRE(WaitFor([&] { return stack.api().Get("/healthcheck").status == 200; },
                             std::chrono::seconds(20)));
}

// Killed within the recovery time, its bytes gone.
void CheckEndsKilled(const Stack& stack, const std::string& id) {
  Api admin = stack.api();
  std::string status;
  bool killed = WaitFor([&] { return (status = HeadStatus(admin, id)) == "killed"; }, kRecovery,
                        std::chrono::milliseconds(100));
  BOOST_TEST(killed, "image " << id << " is still '" << status << "' after " << kRecovery.count() << " s");
  CheckNoDataLeft(stack, id);
}

// The scrubber removes what a killed nginx left in _incoming.
void ScrubIncoming(const Stack& stack) {
  std::string extra = stack.var_dir() + "/scrub-now.conf";
  {
    std::ofstream conf(extra);
    conf << "[DEFAULT]\nscrubber_orphan_grace_time = 0\n";
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  int rc = RunCommand({RequireEnv("GLANCE_BIN_DIR") + "/glance-scrubber", "--config-file",
                       stack.var_dir() + "/etc/glance-api.conf", "--config-file", extra},
                      {}, stack.LogDir() + "/scrubber.log", std::chrono::seconds(60));
  BOOST_TEST(rc == 0, TailOfFile(stack.LogDir() + "/scrubber.log", 1500));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(upload_faults)

BOOST_AUTO_TEST_CASE(api_workers_killed_while_hashing) {
  Stack& stack = Faults();
  std::string id = RandomUuid();
  auto sent = UploadWhileKilling(stack, id, 512 * kMiB, false, [&] { KillAll(stack.ApiWorkers()); });
  BOOST_TEST(sent.reply.status == 502, sent.reply.Describe());
  BOOST_TEST(sent.reply.body.find("The API worker handling the request stopped") != std::string::npos);
  CheckEndsKilled(stack, id);
}

BOOST_AUTO_TEST_CASE(registry_killed_while_hashing) {
  Stack& stack = Faults();
  std::string id = RandomUuid();
  auto sent = UploadWhileKilling(stack, id, 512 * kMiB, false, [&] { KillAll(RegistryPids(stack)); });
  BOOST_TEST(sent.reply.status == 503, sent.reply.Describe());
  RestartStack(stack);
  CheckEndsKilled(stack, id);
}

BOOST_AUTO_TEST_CASE(nginx_killed_while_hashing_leaves_the_upload_whole) {
  Stack& stack = Faults();
  std::string id = RandomUuid();
  int64_t length = 512 * kMiB;
  auto sent = UploadWhileKilling(stack, id, length, false, [&] { KillAll(NginxPids(stack)); });
  BOOST_TEST(sent.reply.status == 0, sent.reply.Describe());
  RestartStack(stack);
  // The worker did not depend on nginx to finish: the image is whole.
  Api admin = stack.api();
  BOOST_TEST_REQUIRE(WaitFor([&] { return HeadStatus(admin, id) == "active"; }, kRecovery));
  Api::Download download = admin.GetDigest("/v1/images/" + id);
  BOOST_TEST(download.reply.status == 200);
  BOOST_TEST(download.bytes == length);
  BOOST_TEST(download.md5 == Md5OfXs(length));
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
  BOOST_TEST(admin.Delete("/v1/images/" + id).status == 200);
}

BOOST_AUTO_TEST_CASE(api_workers_killed_while_receiving) {
  Stack& stack = Faults();
  std::string id = RandomUuid();
  int64_t length = 96 * kMiB;
  auto sent = UploadWhileKilling(stack, id, length, true, [&] { KillAll(stack.ApiWorkers()); });
  // nginx had the body, not the workers: the new workers take the upload.
  BOOST_TEST(sent.reply.status == 201, sent.reply.Describe());
  BOOST_TEST(HeadStatus(stack.api(), id) == "active");
  BOOST_TEST(stack.api().GetDigest("/v1/images/" + id).md5 == Md5OfXs(length));
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
}

BOOST_AUTO_TEST_CASE(registry_killed_while_receiving) {
  Stack& stack = Faults();
  std::string id = RandomUuid();
  auto sent = UploadWhileKilling(stack, id, 96 * kMiB, true, [&] { KillAll(RegistryPids(stack)); });
  BOOST_TEST(sent.reply.status == 503, sent.reply.Describe());
  RestartStack(stack);
  Reply head = stack.api().Head("/v1/images/" + id);
  BOOST_TEST(head.status == 404, "no image is created without the registry: " << head.Describe());
  CheckNoDataLeft(stack, id);
}

BOOST_AUTO_TEST_CASE(nginx_killed_while_receiving) {
  Stack& stack = Faults();
  std::string id = RandomUuid();
  auto sent = UploadWhileKilling(stack, id, 96 * kMiB, true, [&] { KillAll(NginxPids(stack)); });
  BOOST_TEST(sent.reply.status == 0, sent.reply.Describe());
  RestartStack(stack);
  BOOST_TEST(stack.api().Head("/v1/images/" + id).status == 404);
  ScrubIncoming(stack);
  CheckNoDataLeft(stack, id);
}

// The registry answers 503 while PostgreSQL is away and 200 again within
// seconds of its return, without a restart; never a 500.
BOOST_AUTO_TEST_CASE(postgresql_restarted_under_load) {
  Stack& stack = Faults();
  ImageRef image = CreateImage(stack.api(), "e2e-fault-pg", "bytes");
  BOOST_TEST_REQUIRE(image.reply.status == 201);
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::map<int, int> statuses;
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      Api api = stack.api();
      while (!stop) {
        Reply r = i % 2 ? api.Head("/v1/images/" + image.id) : api.Get("/v1/images/detail?limit=5");
        std::lock_guard<std::mutex> lock(mutex);
        ++statuses[r.status];
      }
    });
  }
  std::string scripts = RequireEnv("GLANCE_SCRIPTS_DIR");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int stopped = RunCommand({scripts + "/pg", "stop"}, {}, stack.LogDir() + "/pg-restart.log",
                           std::chrono::seconds(60));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  int started = RunCommand({scripts + "/pg", "start"}, {}, stack.LogDir() + "/pg-restart.log",
                           std::chrono::seconds(60));
  auto back = std::chrono::steady_clock::now();
  bool recovered = WaitFor([&] { return stack.api().Head("/v1/images/" + image.id).status == 200; },
                           std::chrono::seconds(10));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - back).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  for (auto& c : clients) c.join();
  BOOST_TEST(stopped == 0);
  BOOST_TEST(started == 0);
  BOOST_TEST(recovered);
  std::string seen;
  for (auto [status, count] : statuses) seen += " " + std::to_string(status) + "×" + std::to_string(count);
  BOOST_TEST_MESSAGE("PostgreSQL restart: statuses" << seen << ", 200 again " << seconds << " s after start");
  for (auto [status, count] : statuses) {
    BOOST_TEST((status == 200 || status == 503), "status " << status << " seen " << count << " times;" << seen);
  }
  BOOST_TEST(statuses[503] > 0, "PostgreSQL's absence was never seen:" << seen);
}

BOOST_AUTO_TEST_SUITE_END()
