// What operators do to a running glance-registry: drain it with the
// healthcheck disable file, reload its config with SIGHUP, read its log.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "registry_fixture.h"

using namespace it;

namespace {

void Replace(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = ReadFile(path);
  size_t at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in " << path);
  text.replace(at, from.size(), to);
  std::ofstream(path) << text;
}

// Sends SIGHUP and waits (5 s at most) until the log holds `expected`.
bool ReloadAndSee(RegistryProcess& registry, const std::string& expected) {
  kill(registry.pid(), SIGHUP);
  for (int i = 0; i < 100; ++i) {
    if (ReadFile(registry.log_path()).find(expected) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_operations, *boost::unit_test::fixture<it::SuiteScope>())

BOOST_AUTO_TEST_CASE(disable_file_drains_the_node_without_a_restart) {
  RegistryProcess& registry = Shared().Extra("operations-health", RegistryConfig{});
  std::string disable = RequireEnv("GLANCE_TEST_TMPDIR") + "/" + Unique("disable");
  std::ofstream(registry.config_path(), std::ios::app)
      << "\n[healthcheck]\ndisable_by_file_path = " << disable << "\n";
  BOOST_TEST_REQUIRE(ReloadAndSee(registry, "reload: [healthcheck] disable_by_file_path added"),
                     registry.LogTail());
  BOOST_TEST(registry.api().Get("/healthcheck").status == 200);
  std::ofstream(disable) << "maintenance\n";
  Response r = registry.api().Get("/healthcheck");
  BOOST_TEST(r.status == 503);
  BOOST_TEST(r.body == "DISABLED BY FILE");
  std::filesystem::remove(disable);
  BOOST_TEST(registry.api().Get("/healthcheck").status == 200);
}

BOOST_AUTO_TEST_CASE(sighup_applies_limits_and_says_what_changed) {
  RegistryProcess& registry = Shared().Extra("operations-limits", RegistryConfig{});
  Api api = registry.api();
  for (int i = 0; i < 3; ++i) CreateImage(api, Admin(), {{"name", Unique("reload")}});
  BOOST_TEST(ListIndex(api, Admin(), "?limit=3").size() == 3u);

  Replace(registry.config_path(), "api_limit_max = 1000", "api_limit_max = 2");
  BOOST_TEST_REQUIRE(ReloadAndSee(registry, "reload: [DEFAULT] api_limit_max: '1000' -> '2'"),
                     registry.LogTail());
  BOOST_TEST(ListIndex(api, Admin(), "?limit=3").size() == 2u);
  BOOST_TEST(registry.Alive());
}

BOOST_AUTO_TEST_CASE(sighup_names_options_that_need_a_restart_and_hides_secrets) {
  RegistryProcess& registry = Shared().Extra("operations-restart", RegistryConfig{});
  std::string config = ReadFile(registry.config_path());
  std::smatch port;
  BOOST_REQUIRE(std::regex_search(config, port, std::regex("bind_port = ([0-9]+)")));
  Replace(registry.config_path(), "bind_port = " + port[1].str(), "bind_port = 1");
  Replace(registry.config_path(), "connection = postgresql://postgres@/",
          "connection = postgresql://postgres:s3cret@/");
  BOOST_TEST_REQUIRE(
      ReloadAndSee(registry, "reload: [DEFAULT] bind_port: '" + port[1].str() +
                                 "' -> '1' (takes effect only after a restart)"),
      registry.LogTail());
  std::string log = ReadFile(registry.log_path());
  BOOST_TEST((log.find("reload: [database] connection changed (takes effect only after a restart)") !=
              std::string::npos), registry.LogTail());
  BOOST_TEST(log.find("s3cret") == std::string::npos);
  // Still serving where it was.
  BOOST_TEST(registry.api().Get("/healthcheck").status == 200);
}

BOOST_AUTO_TEST_CASE(broken_config_on_reload_keeps_the_running_one) {
  RegistryProcess& registry = Shared().Extra("operations-broken", RegistryConfig{});
  // A flavor glance-cpp does not have (the image cache is not built).
  Replace(registry.config_path(), "flavor = trusted-auth", "flavor = keystone+cachemanagement");
  BOOST_TEST_REQUIRE(ReloadAndSee(registry, "configuration not reloaded, the running one stays"),
                     registry.LogTail());
  BOOST_TEST(registry.Alive());
  // trusted-auth still rules: no identity, no images.
  BOOST_TEST(registry.api().Get("/images").status == 401);
  BOOST_TEST(registry.api().Get("/images", Admin()).status == 200);
}

BOOST_AUTO_TEST_CASE(log_lines_carry_request_id_user_and_tenant) {
  RegistryProcess& registry = Shared().Extra("operations-log", RegistryConfig{});
  Response r = registry.api().Get("/images", ForTenant("log-tenant", "member", "log-user"));
  BOOST_REQUIRE(r.status == 200);
  std::string id = r.Header("x-openstack-request-id");
  std::string line = "[" + id + " log-user log-tenant - - -] GET /images 200";
  bool found = false;
  for (int i = 0; i < 50 && !found; ++i) {
    found = ReadFile(registry.log_path()).find(line) != std::string::npos;
    if (!found) std::this_thread::sleep_for(50ms);
  }
  BOOST_TEST(found, "no '" << line << "' in " << registry.LogTail());
}

BOOST_AUTO_TEST_SUITE_END()
