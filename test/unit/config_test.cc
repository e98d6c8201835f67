#include "glance/common/config.h"

#include <boost/test/unit_test.hpp>

#include "glance/common/request_context.h"
#include "glance/registry/registry_server.h"

using namespace glance;

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(reads_sections_and_keeps_hashes_in_values) {
  Config c = Config::LoadString(
      "# comment\n"
      "bind_port = 1\n"
      "[DEFAULT]\n"
      "Bind_Host=10.0.0.1\n"
      "; another comment\n"
      "[database]\n"
      "connection = postgresql://u:p#ss@/db\n"
      "[paste_deploy]\n"
      "flavor:trusted-auth\n");
  BOOST_TEST(c.GetInt("DEFAULT", "bind_port", 0) == 1);
  BOOST_TEST(c.GetString("DEFAULT", "bind_host") == "10.0.0.1");
  BOOST_TEST(c.GetString("database", "connection") == "postgresql://u:p#ss@/db");
  BOOST_TEST(c.GetString("paste_deploy", "flavor") == "trusted-auth");
  BOOST_TEST(c.GetString("database", "missing", "dflt") == "dflt");
}

BOOST_AUTO_TEST_CASE(typed_values_are_checked) {
  Config c = Config::LoadString("[DEFAULT]\nworkers = many\nflag = maybe\nlist = a, b,,c\n");
  BOOST_CHECK_THROW(c.GetInt("DEFAULT", "workers", 1), ConfigError);
  BOOST_CHECK_THROW(c.GetBool("DEFAULT", "flag", false), ConfigError);
  BOOST_TEST(c.GetList("DEFAULT", "list", {}) == (std::vector<std::string>{"a", "b", "c"}));
  BOOST_CHECK_THROW(Config::LoadString("[broken\n"), ConfigError);
  BOOST_CHECK_THROW(Config::LoadString("no equals sign\n"), ConfigError);
  BOOST_CHECK_THROW(Config::LoadFile("/nonexistent/glance.conf"), ConfigError);
}

BOOST_AUTO_TEST_CASE(merge_overrides_earlier_files) {
  Config a = Config::LoadString("[DEFAULT]\nx = 1\ny = 2\n");
  Config b = Config::LoadString("[DEFAULT]\ny = 3\n");
  a.MergeFrom(b);
  BOOST_TEST(a.GetInt("DEFAULT", "x", 0) == 1);
  BOOST_TEST(a.GetInt("DEFAULT", "y", 0) == 3);
}

BOOST_AUTO_TEST_CASE(registry_options_defaults_and_validation) {
  Config c = Config::LoadString("[database]\nconnection = postgresql:///glance\n");
  RegistryOptions o = RegistryOptions::FromConfig(c);
  BOOST_TEST(o.bind_host == "127.0.0.1");
  BOOST_TEST(o.bind_port == 9191);
  BOOST_TEST(o.limits.limit_param_default == 25);
  BOOST_TEST(o.limits.api_limit_max == 1000);
  BOOST_TEST((o.context.mode == AuthMode::kNoAuth));
  BOOST_CHECK_THROW(RegistryOptions::FromConfig(Config::LoadString("[DEFAULT]\nbind_port=1\n")),
                    ConfigError);
  BOOST_CHECK_THROW(
      RegistryOptions::FromConfig(Config::LoadString(
          "[database]\nconnection = postgresql:///g\n[paste_deploy]\nflavor = keystone+cache\n")),
      ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()
