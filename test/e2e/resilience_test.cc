// The stack under failure (DESIGN.md "Processes", "Every step is atomic and
// recoverable"): a FastCGI worker killed with SIGKILL is replaced, a stopped
// registry gives 503 until it is back, and scripts/stack stop leaves nothing.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;

namespace {

std::string PidList(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t p : pids) out += (out.empty() ? "" : ",") + std::to_string(p);
  return "[" + out + "]";
}

// Waits until the pool has `count` live workers and `gone` is not one of them.
bool WaitForReplacement(const Stack& stack, pid_t gone, size_t count, std::vector<pid_t>* now) {
  return WaitFor(
      [&] {
        *now = stack.ApiWorkers();
        return now->size() == count && std::find(now->begin(), now->end(), gone) == now->end();
      },
      std::chrono::seconds(10), std::chrono::milliseconds(50));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(resilience)

// The early-writeback process (glance-api-wb) only speeds uploads up: when it
// dies the supervisor starts another, and uploads meanwhile keep working.
BOOST_AUTO_TEST_CASE(killed_writeback_process_is_replaced) {
  Stack& stack = NoAuthStack();
  auto writeback = [&stack] { return stack.ApiChildren("glance-api-wb"); };
  std::vector<pid_t> before = writeback();
  BOOST_TEST_REQUIRE(before.size() == 1u, "writeback processes: " << PidList(before));
  BOOST_TEST_REQUIRE(::kill(before.front(), SIGKILL) == 0);

  Api api = stack.api();
  ImageRef image = CreateImage(api, "e2e-writeback-kill", RandomBytes(3 << 20, 43));
  BOOST_TEST(image.reply.status == 201, image.reply.Describe());
  std::vector<pid_t> after;
  bool replaced = WaitFor(
      [&] {
        after = writeback();
        return after.size() == 1u && after.front() != before.front();
      },
      std::chrono::seconds(10), std::chrono::milliseconds(50));
  BOOST_TEST(replaced, "writeback processes after the kill: " << PidList(after));
}

BOOST_AUTO_TEST_CASE(killed_worker_is_replaced_and_requests_keep_working) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef image = CreateImage(api, "e2e-worker-kill", RandomBytes(1000, 41));
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());

  std::vector<pid_t> before = stack.ApiWorkers();
  BOOST_TEST_REQUIRE(before.size() == 2u, "workers before: " << PidList(before));
  pid_t victim = before.front();
  BOOST_TEST_REQUIRE(ProcessName(victim) == "glance-api");
  BOOST_TEST_REQUIRE(::kill(victim, SIGKILL) == 0);

  // Right after the kill: the other worker (and nginx's retry) must answer.
  int ok_right_after = 0;
  std::string failures;
  for (int i = 0; i < 5; ++i) {
    Reply reply = api.Get("/v1/images/" + image.id);
    if (reply.status == 200) ++ok_right_after;
    else failures += "\n" + reply.Describe();
  }
  BOOST_TEST(ok_right_after == 5, "GETs right after SIGKILL of a worker:" << failures);

  std::vector<pid_t> after;
  bool replaced = WaitForReplacement(stack, victim, 2, &after);
  BOOST_TEST(replaced, "workers 10 s after killing " << victim << ": " << PidList(after)
                                                      << " (before " << PidList(before) << ")");
  // Every following request succeeds.
  for (int i = 0; i < 20; ++i) {
    Reply get = api.Get("/v1/images/" + image.id);
    BOOST_TEST(get.status == 200, "GET #" << i << " after replacement: " << get.Describe());
    Reply head = api.Head("/v1/images/" + image.id);
    BOOST_TEST(head.status == 200, "HEAD #" << i << ": " << head.Describe());
  }
  ImageRef created = CreateImage(api, "e2e-worker-kill-after", "after");
  BOOST_TEST(created.reply.status == 201, created.reply.Describe());
}

BOOST_AUTO_TEST_CASE(worker_killed_under_load_is_replaced) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef image = CreateImage(api, "e2e-worker-kill-load", RandomBytes(5000, 42));
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  std::vector<pid_t> before = stack.ApiWorkers();
  BOOST_TEST_REQUIRE(before.size() == 2u, "workers before: " << PidList(before));

  // Four clients keep requests in flight while a worker is killed.
  std::atomic<bool> stop{false};
  std::atomic<int> total{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      int n = 0;
      while (!stop.load()) {
        Reply reply = (n++ + t) % 2 ? api.Get("/v1/images/detail?is_public=none&limit=5")
                                    : api.Head("/v1/images/" + image.id);
        ++total;
        if (reply.status != 200) ++failed;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  pid_t victim = before.back();
  BOOST_TEST_REQUIRE(::kill(victim, SIGKILL) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  stop = true;
  for (auto& c : clients) c.join();
  BOOST_TEST_MESSAGE("requests during the kill: " << total.load() << ", not 200: " << failed.load());
  // nginx retries idempotent requests on another connection (the site config).
  BOOST_TEST(failed.load() == 0, failed.load() << " of " << total.load()
                                               << " GET/HEAD requests failed around the SIGKILL");

  std::vector<pid_t> after;
  BOOST_TEST(WaitForReplacement(stack, victim, 2, &after),
             "workers after killing " << victim << ": " << PidList(after));
  for (int i = 0; i < 10; ++i) {
    Reply get = api.Get("/v1/images/" + image.id);
    BOOST_TEST(get.status == 200, "GET #" << i << ": " << get.Describe());
  }
}

BOOST_AUTO_TEST_CASE(registry_down_gives_503_and_recovers) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  ImageRef image = CreateImage(api, "e2e-registry-down", "registry");
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  auto registry = ReadPidFile(stack.PidFile("glance-registry"));
  BOOST_TEST_REQUIRE(registry.has_value());
  BOOST_TEST_REQUIRE(ProcessAlive(*registry));

  // Whatever happens below, the registry is running again afterwards.
  struct Restore {
    Stack& stack;
    ~Restore() {
      auto pid = ReadPidFile(stack.PidFile("glance-registry"));
      if (!pid || !ProcessAlive(*pid)) stack.Restart();
    }
  } restore{stack};

  BOOST_TEST_REQUIRE(::kill(*registry, SIGTERM) == 0);
  bool gone = WaitFor([&] { return !ProcessAlive(*registry); }, std::chrono::seconds(15));
  BOOST_TEST_REQUIRE(gone, "glance-registry did not exit within 15 s of SIGTERM");
  // scripts/stack checks its pid file with kill -0, which a zombie passes:
  // wait until init has reaped it (bounded) so the restart below is real.
  WaitFor([&] { return !PathExists("/proc/" + std::to_string(*registry)); }, std::chrono::seconds(10));

  Reply list = api.Get("/v1/images/detail");
  BOOST_TEST(list.status == 503, list.Describe());
  BOOST_TEST(ToLower(list.body).find("registry") != std::string::npos, list.body);
  BOOST_TEST(list.Has("x-openstack-request-id"));
  Reply get = api.Get("/v1/images/" + image.id);
  BOOST_TEST(get.status == 503, get.Describe());
  Reply head = api.Head("/v1/images/" + image.id);
  BOOST_TEST(head.status == 503, head.Describe());
  Reply create = api.Post("/v1/images", ImageHeaders("e2e-registry-down-create"), "some data");
  BOOST_TEST(create.status == 503, create.Describe());
  BOOST_TEST(ToLower(create.body).find("registry") != std::string::npos, create.body);
  BOOST_TEST(WaitIncomingEmpty(stack).empty(), "upload temp file left while the registry was down");
  Reply json_error = api.Get("/v1/images/detail", {{"Accept", "application/json"}});
  BOOST_TEST(json_error.status == 503);
  if (json_error.status == 503) BOOST_TEST(json_error.Json()["code"] == "503 Service Unavailable");

  // Back up (scripts/stack start restarts what is missing).
  std::string log;
  int rc = stack.Restart(&log);
  BOOST_TEST_REQUIRE(rc == 0, "scripts/stack start after the registry stopped exited " << rc << ":\n" << log);
  auto restarted = ReadPidFile(stack.PidFile("glance-registry"));
  BOOST_TEST_REQUIRE(restarted.has_value());
  BOOST_TEST(*restarted != *registry);
  BOOST_TEST(ProcessAlive(*restarted));
  // Every request now succeeds, including on connections the workers kept.
  for (int i = 0; i < 12; ++i) {
    Reply again = api.Head("/v1/images/" + image.id);
    BOOST_TEST(again.status == 200, "HEAD #" << i << " after restart: " << again.Describe());
    Reply listed = api.Get("/v1/images/detail?is_public=none&limit=3");
    BOOST_TEST(listed.status == 200, "list #" << i << " after restart: " << listed.Describe());
  }
  Reply download = api.Get("/v1/images/" + image.id);
  BOOST_TEST(download.status == 200, download.Describe());
  BOOST_TEST(download.body == "registry");
  ImageRef created = CreateImage(api, "e2e-registry-back", "back");
  BOOST_TEST(created.reply.status == 201, created.reply.Describe());
}

BOOST_AUTO_TEST_CASE(stack_stop_leaves_nothing_running) {
  // A throwaway stack of its own, so the shared ones stay up.
  Stack scratch("scratch", "");
  struct Cleanup {
    Stack& stack;
    ~Cleanup() {
      stack.Stop();
      stack.DropDatabase();
      std::error_code ec;
      if (!stack.var_dir().empty()) std::filesystem::remove_all(stack.var_dir(), ec);
    }
  } cleanup{scratch};
  scratch.Start();
  BOOST_TEST_REQUIRE(scratch.started(), scratch.start_error());
  std::vector<pid_t> pids = scratch.AllPids();
  BOOST_TEST(scratch.ApiWorkers().size() == 2u, "workers: " << PidList(scratch.ApiWorkers()));
  // registry, glance-api (supervisor + 2 workers), nginx (master + workers)
  BOOST_TEST(pids.size() >= 6u, "stack processes: " << PidList(pids));
  BOOST_TEST(scratch.api().Get("/versions").status == 200);

  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> killed = scratch.Stop();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST_MESSAGE("scripts/stack stop took " << seconds << " s");
  std::string listing;
  for (const auto& k : killed) listing += " " + k;
  BOOST_TEST(killed.empty(), "still running after scripts/stack stop (killed by the test):" << listing);
  for (pid_t pid : pids) BOOST_TEST(!ProcessAlive(pid), "pid " << pid << " alive after stop");
  for (const char* daemon : {"glance-registry", "glance-api", "nginx"}) {
    BOOST_TEST(!PathExists(scratch.PidFile(daemon)), daemon << " pid file left");
  }
  BOOST_TEST(!PathExists(scratch.var_dir() + "/run/api/glance-api.sock"), "FastCGI socket left");
  Reply after = scratch.api().Get("/versions");
  BOOST_TEST(after.status == 0, "the API port still answers after stop: " << after.Describe());
  Reply registry = Api(scratch.registry_port()).Get("/healthcheck");
  BOOST_TEST(registry.status == 0, "the registry port still answers after stop: " << registry.Describe());
}

BOOST_AUTO_TEST_SUITE_END()
