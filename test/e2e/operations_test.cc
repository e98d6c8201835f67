// What operators do to a running API through nginx: probe and drain it with
// /healthcheck, reload its config with SIGHUP, read its log.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "e2e.h"

using namespace e2e;
using namespace std::chrono_literals;

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool LogShows(const Stack& stack, const std::string& text) {
  for (int i = 0; i < 100; ++i) {
    if (Slurp(stack.LogDir() + "/glance-api.log").find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(operations)

BOOST_AUTO_TEST_CASE(healthcheck_needs_no_identity_and_drains_with_the_disable_file) {
  Stack& stack = TrustedStack();
  Reply ok = stack.api().Get("/healthcheck");
  BOOST_TEST(ok.status == 200, ok.Describe());
  BOOST_TEST(ok.body == "OK");
  std::string disable = stack.var_dir() + "/healthcheck_disable";
  std::ofstream(disable) << "maintenance\n";
  Reply drained = stack.api().Get("/healthcheck");
  std::filesystem::remove(disable);
  BOOST_TEST(drained.status == 503, drained.Describe());
  BOOST_TEST(drained.body == "DISABLED BY FILE");
  BOOST_TEST(stack.api().Get("/healthcheck").status == 200);
}

BOOST_AUTO_TEST_CASE(log_lines_carry_request_id_user_and_tenant) {
  Stack& stack = TrustedStack();
  Headers who{{"X-Identity-Status", "Confirmed"}, {"X-User-Id", "ops-user"},
              {"X-Tenant-Id", "ops-tenant"}, {"X-Roles", "member"}};
  Reply r = stack.api().Get("/v1/images", who);
  BOOST_TEST_REQUIRE(r.status == 200, r.Describe());
  std::string line = "[" + r.Header("x-openstack-request-id") + " ops-user ops-tenant - - -] GET "
                     "/v1/images 200";
  BOOST_TEST(LogShows(stack, line), "no '" << line << "' in glance-api.log");
}

BOOST_AUTO_TEST_CASE(sighup_reloads_replaces_workers_and_says_what_changed) {
  Stack& stack = NoAuthStack();
  std::optional<pid_t> supervisor = stack.ApiSupervisor();
  BOOST_TEST_REQUIRE(supervisor.has_value());
  std::vector<pid_t> before = stack.ApiWorkers();
  std::string config = stack.var_dir() + "/etc/glance-api.conf";
  std::string original = Slurp(config);
  std::ofstream(config, std::ios::app) << "[DEFAULT]\npublic_endpoint = http://reloaded.example\n";
  kill(*supervisor, SIGHUP);
  BOOST_TEST(LogShows(stack, "reload: [DEFAULT] public_endpoint added: 'http://reloaded.example'"));
  bool reloaded = false;
  for (int i = 0; i < 100 && !reloaded; ++i) {
    Reply versions = stack.api().Get("/versions");
    reloaded = versions.status == 200 &&
               versions.body.find("http://reloaded.example/v1/") != std::string::npos;
    if (!reloaded) std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(reloaded, "the versions document never showed the new public_endpoint");
  // The old workers finish what they were doing and exit.
  auto old_worker_left = [&] {
    for (pid_t pid : stack.ApiWorkers()) {
      if (std::find(before.begin(), before.end(), pid) != before.end()) return true;
    }
    return false;
  };
  for (int i = 0; i < 100 && old_worker_left(); ++i) std::this_thread::sleep_for(50ms);
  BOOST_TEST(!old_worker_left(), "an old worker survived the reload");
  BOOST_TEST(!stack.ApiWorkers().empty());
  BOOST_TEST((stack.ApiSupervisor() == supervisor), "the supervisor changed");

  // A broken file is refused and the running config stays.
  std::ofstream(config, std::ios::app) << "workers = many\n";
  kill(*supervisor, SIGHUP);
  BOOST_TEST(LogShows(stack, "configuration not reloaded, the running one stays"));
  BOOST_TEST(stack.api().Get("/versions").status == 200);

  std::ofstream(config, std::ios::trunc) << original;
  kill(*supervisor, SIGHUP);
  BOOST_TEST(LogShows(stack, "reload: [DEFAULT] public_endpoint removed"));
  for (int i = 0; i < 100; ++i) {
    if (stack.api().Get("/versions").body.find("reloaded.example") == std::string::npos) break;
    std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(stack.api().Get("/versions").body.find("reloaded.example") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
