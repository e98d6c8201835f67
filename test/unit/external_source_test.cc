#include "glance/api/external_source.h"

#include <arpa/inet.h>

#include <boost/test/unit_test.hpp>

using namespace glance;
using namespace glance::api;

namespace {

std::string Raw(const std::string& literal) {
  unsigned char buffer[16];
  if (inet_pton(AF_INET, literal.c_str(), buffer) == 1) return std::string(reinterpret_cast<char*>(buffer), 4);
  BOOST_REQUIRE(inet_pton(AF_INET6, literal.c_str(), buffer) == 1);
  return std::string(reinterpret_cast<char*>(buffer), 16);
}

ExternalSources Sources(const std::vector<std::string>& forbidden) {
  ExternalSourceOptions options;
  for (const std::string& entry : forbidden) options.forbidden.push_back(ForbiddenTarget::Parse(entry));
  return ExternalSources(options);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(external_source)

BOOST_AUTO_TEST_CASE(parses_http_and_https_sources) {
  ExternalUri uri;
  BOOST_TEST(ParseExternalUri("HTTP://Example.COM/a/b?c=d#frag", &uri).ok());
  BOOST_TEST(uri.scheme == "http");
  BOOST_TEST(uri.host == "example.com");
  BOOST_TEST(uri.port == 80);
  BOOST_TEST(uri.target == "/a/b?c=d");
  BOOST_TEST(uri.HostHeader() == "example.com");
  BOOST_TEST(ParseExternalUri("https://[::1]:8443", &uri).ok());
  BOOST_TEST(uri.host == "::1");
  BOOST_TEST(uri.port == 8443);
  BOOST_TEST(uri.target == "/");
  BOOST_TEST(uri.HostHeader() == "[::1]:8443");
  BOOST_TEST(ParseExternalUri("http://h:8080?x", &uri).ok());
  BOOST_TEST(uri.target == "/?x");
  BOOST_TEST(uri.HostHeader() == "h:8080");
}

BOOST_AUTO_TEST_CASE(refuses_other_schemes_and_malformed_uris) {
  ExternalUri uri;
  for (const char* bad :
       {"file:///etc/passwd", "swift://account/container/obj", "gopher://host/", "ftp://host/x",
        "/var/lib/glance/images/x", "images/x", "", "http:/host/x", "http://", "http:///x",
        "http://user:pw@host/x", "http://@host/x", "http://host:/x", "http://host:0/x",
        "http://host:65536/x", "http://host:+80/x", "http://host:8o/x", "http://[::1/x",
        "http://[zz::1]/x", "http://[::1]x/", "http://ho st/x", "http://host/a b",
        "http://host/\r\nX-Injected: 1", "http://h\xc3\xa9st/", "http://host%2f/x",
        "http://fe80::1/x"}) {
    Status s = ParseExternalUri(bad, &uri);
    BOOST_TEST(s.HttpStatus() == 400, bad);
  }
  BOOST_TEST(ParseExternalUri("http://h/" + std::string(kMaxExternalUriChars, 'a'), &uri).HttpStatus() ==
             400);
  BOOST_TEST(ParseExternalUri("file:///etc/passwd", &uri).message() ==
             "External sources are not supported: 'file:///etc/passwd'");
}

BOOST_AUTO_TEST_CASE(forbidden_targets_parse_and_reject_bad_entries) {
  ForbiddenTarget t = ForbiddenTarget::Parse("local:9292");
  BOOST_TEST(t.any_local_address);
  BOOST_TEST(t.port == 9292);
  t = ForbiddenTarget::Parse("[fd00::1]:*");
  BOOST_TEST(t.address == Raw("fd00::1"));
  BOOST_TEST(t.port == 0);
  for (const char* bad : {"9292", "local", "local:", "host.example:80", "local:99999", ":80"}) {
    BOOST_CHECK_THROW(ForbiddenTarget::Parse(bad), ConfigError);
  }
}

BOOST_AUTO_TEST_CASE(own_ports_are_forbidden_on_every_local_address) {
  ExternalSources sources = Sources({"local:9292", "local:9191", "10.9.8.7:5432"});
  for (const char* local : {"127.0.0.1", "127.9.9.9", "0.0.0.0", "::1", "::"}) {
    BOOST_TEST(sources.IsForbidden(Raw(local), 9292), local);
    BOOST_TEST(sources.IsForbidden(Raw(local), 9191), local);
    BOOST_TEST(!sources.IsForbidden(Raw(local), 8080), local);
  }
  BOOST_TEST(sources.IsForbidden(Raw("10.9.8.7"), 5432));
  BOOST_TEST(!sources.IsForbidden(Raw("10.9.8.7"), 80));
  BOOST_TEST(!sources.IsForbidden(Raw("192.0.2.1"), 9292));  // TEST-NET, never local
  BOOST_TEST(!Sources({}).IsForbidden(Raw("127.0.0.1"), 9292));
}

BOOST_AUTO_TEST_CASE(resolution_checks_every_spelling_of_an_address) {
  ExternalSources sources = Sources({"local:9292"});
  ResolvedSource resolved;
  for (const char* own : {"http://127.0.0.1:9292/", "http://localhost:9292/", "http://[::1]:9292/",
                          "http://[::ffff:127.0.0.1]:9292/", "http://2130706433:9292/",
                          "http://0x7f000001:9292/", "http://0177.0.0.1:9292/", "http://127.1:9292/",
                          "http://0:9292/"}) {
    Status s = sources.Resolve(own, &resolved);
    BOOST_TEST(s.HttpStatus() == 400, own);
    BOOST_TEST(s.message().find("own endpoints") != std::string::npos, own << ": " << s.message());
  }
  BOOST_TEST(sources.Resolve("http://127.0.0.1:8080/x", &resolved).ok());
  BOOST_TEST(resolved.address == "127.0.0.1");
  BOOST_TEST(resolved.AddressAndPort() == "127.0.0.1:8080");
  BOOST_TEST(sources.Resolve("http://[::1]:8080/x", &resolved).ok());
  BOOST_TEST(resolved.AddressAndPort() == "[::1]:8080");
}

BOOST_AUTO_TEST_CASE(options_default_and_explicitly_empty_forbidden_lists) {
  Config config;
  ExternalSourceOptions o = ExternalSourceOptions::FromConfig(config, {"local:1", "local:2"});
  BOOST_TEST(o.forbidden.size() == 2u);
  config.Set("external_sources", "forbidden_targets", "");
  BOOST_TEST(ExternalSourceOptions::FromConfig(config, {"local:1"}).forbidden.empty());
  config.Set("external_sources", "read_timeout", "0");
  BOOST_CHECK_THROW(ExternalSourceOptions::FromConfig(config, {}), ConfigError);
}

BOOST_AUTO_TEST_SUITE_END()
