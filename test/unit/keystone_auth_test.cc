// The keystone auth mode's parts that need no Keystone: its options, the
// token document it reads, and the cache the workers share.  (Against a
// real Keystone: test/e2e/keystone_test.cc.)
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "../../src/auth/identity_client.h"
#include "../../src/auth/token_cache.h"
#include "glance/auth/keystone_auth.h"

using namespace glance;
using namespace glance::auth;

namespace {

Config KeystoneConfig(const std::string& extra = "") {
  return Config::LoadString("[paste_deploy]\nflavor = keystone\n[keystone_authtoken]\n"
                            "auth_url = http://127.0.0.1:5000\nusername = glance\n"
                            "password = p\nproject_name = service\n" + extra);
}

TokenIdentity Alice(std::time_t expires) {
  TokenIdentity identity;
  identity.valid = true;
  identity.user_id = "u-alice";
  identity.project_id = "p-one";
  identity.roles = {"member", "reader"};
  identity.expires_at = expires;
  return identity;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keystone_auth)

BOOST_AUTO_TEST_CASE(options_follow_keystonemiddleware) {
  KeystoneOptions o = KeystoneOptions::FromConfig(KeystoneConfig());
  BOOST_TEST(o.token_cache_time == 300);
  BOOST_TEST(o.www_authenticate_uri == "http://127.0.0.1:5000");  // defaults to auth_url
  BOOST_TEST(o.IdentityUrl() == "http://127.0.0.1:5000/v3");
  BOOST_TEST(o.service_token_roles == std::vector<std::string>{"service"});
  BOOST_TEST(!o.service_token_roles_required);

  o = KeystoneOptions::FromConfig(KeystoneConfig(
      "www_authenticate_uri = http://public:5000/identity\nauth_url = http://k/identity/v3/\n"
      "token_cache_time = 7\nservice_token_roles = Service, Admin\n"));
  BOOST_TEST(o.www_authenticate_uri == "http://public:5000/identity");
  BOOST_TEST(o.IdentityUrl() == "http://k/identity/v3");
  BOOST_TEST(o.token_cache_time == 7);
  BOOST_TEST((o.service_token_roles == std::vector<std::string>{"service", "admin"}));

  BOOST_CHECK_THROW(KeystoneOptions::FromConfig(KeystoneConfig("auth_type = token\n")), ConfigError);
  BOOST_CHECK_THROW(KeystoneOptions::FromConfig(KeystoneConfig("auth_url = ftp://x\n")), ConfigError);
  BOOST_CHECK_THROW(KeystoneOptions::FromConfig(KeystoneConfig("password =\n")), ConfigError);
  BOOST_CHECK_THROW(KeystoneOptions::FromConfig(KeystoneConfig("token_cache_time = -1\n")), ConfigError);
  BOOST_CHECK_THROW(KeystoneOptions::FromConfig(
                        Config::LoadString("[paste_deploy]\nflavor = keystone\n")),
                    ConfigError);
}

BOOST_AUTO_TEST_CASE(flavor_keystone_is_known) {
  BOOST_TEST((ContextOptions::FromConfig(KeystoneConfig()).mode == AuthMode::kKeystone));
}

BOOST_AUTO_TEST_CASE(token_document_gives_user_project_roles_and_expiry) {
  TokenIdentity identity;
  BOOST_TEST(ParseTokenDocument(R"({"token": {"user": {"id": "u1", "name": "alice"},
      "project": {"id": "p1", "name": "one"}, "expires_at": "2026-11-26T00:37:32.000000Z",
      "roles": [{"id": "r1", "name": "Reader"}, {"id": "r2", "name": "member"}]}})",
                                &identity));
  BOOST_TEST(identity.valid);
  BOOST_TEST(identity.user_id == "u1");
  BOOST_TEST(identity.project_id == "p1");
  BOOST_TEST((identity.roles == std::vector<std::string>{"reader", "member"}));
  BOOST_TEST(identity.expires_at == 1795653452);

  // Unscoped: no project, no roles.
  BOOST_TEST(ParseTokenDocument(R"({"token": {"user": {"id": "u1"}, "expires_at": "2026-11-26T00:37:32Z"}})",
                                &identity));
  BOOST_TEST(identity.project_id.empty());
  BOOST_TEST(identity.roles.empty());

  for (const char* bad : {"", "[]", R"({"token": {}})", R"({"token": {"user": {"id": 5}, "expires_at": "x"}})",
                          R"({"token": {"user": {"id": "u"}, "expires_at": "yesterday"}})",
                          R"({"token": {"user": {"id": "u"}, "expires_at": "2026-11-26T00:37:32Z", "roles": [{}]}})"}) {
    BOOST_TEST(!ParseTokenDocument(bad, &identity), bad);
  }
}

BOOST_AUTO_TEST_CASE(cache_keeps_an_answer_until_its_own_expiry) {
  TokenCache cache(64);
  BOOST_TEST(!cache.Find("tok-a", 1000).has_value());
  cache.Store("tok-a", Alice(5000), 1300);
  auto found = cache.Find("tok-a", 1299);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->valid);
  BOOST_TEST(found->user_id == "u-alice");
  BOOST_TEST(found->project_id == "p-one");
  BOOST_TEST((found->roles == std::vector<std::string>{"member", "reader"}));
  BOOST_TEST(found->expires_at == 5000);
  BOOST_TEST(!cache.Find("tok-b", 1000).has_value());
  BOOST_TEST(!cache.Find("tok-a", 1300).has_value());  // expired at `until`
  BOOST_TEST(!cache.Find("tok-a", 1000).has_value());  // and gone

  cache.Store("tok-bad", TokenIdentity(), 1010);
  found = cache.Find("tok-bad", 1000);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(!found->valid);
  cache.Forget("tok-bad");
  BOOST_TEST(!cache.Find("tok-bad", 1000).has_value());
}

BOOST_AUTO_TEST_CASE(full_cache_evicts_what_expires_first_and_skips_oversized_identities) {
  TokenCache cache(8);  // one set of eight
  for (int i = 0; i < 8; ++i) cache.Store("t" + std::to_string(i), Alice(9000), 2000 + i);
  cache.Store("t-new", Alice(9000), 3000);
  BOOST_TEST(!cache.Find("t0", 1000).has_value());  // expired first, evicted
  for (int i = 1; i < 8; ++i) BOOST_TEST(cache.Find("t" + std::to_string(i), 1000).has_value());
  BOOST_TEST(cache.Find("t-new", 1000).has_value());

  TokenIdentity huge = Alice(9000);
  huge.roles.assign(200, std::string(20, 'r'));
  cache.Store("t-huge", huge, 3000);
  BOOST_TEST(!cache.Find("t-huge", 1000).has_value());
  cache.Clear();
  BOOST_TEST(!cache.Find("t-new", 1000).has_value());
}

BOOST_AUTO_TEST_CASE(workers_forked_after_construction_share_the_cache) {
  TokenCache cache(64);
  pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    cache.Store("from-child", Alice(9000), 5000);
    _exit(cache.Find("from-parent-later", 1000) ? 1 : 0);
  }
  int status = 0;
  BOOST_TEST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_TEST(WIFEXITED(status));
  auto found = cache.Find("from-child", 1000);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->user_id == "u-alice");
}

BOOST_AUTO_TEST_CASE(unreachable_keystone_is_503_and_no_token_is_401_with_a_challenge) {
  ContextOptions context = ContextOptions::FromConfig(KeystoneConfig());
  // Port 9 (discard) on 127.0.0.1 refuses: Keystone is down.
  KeystoneOptions keystone = KeystoneOptions::FromConfig(
      KeystoneConfig("auth_url = http://127.0.0.1:9\nwww_authenticate_uri = http://public:5000\n"
                     "http_request_max_retries = 0\n"));
  KeystoneAuthMode mode(context, keystone);
  BOOST_TEST(mode.Challenge() == "Keystone uri=\"http://public:5000\"");
  auto headers = [](std::map<std::string, std::string> h) {
    return [h](const std::string& name) -> std::optional<std::string> {
      auto it = h.find(name);
      return it == h.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  };
  RequestContext c;
  // Identity headers alone are no identity in this mode.
  Status s = mode.Authenticate(headers({{"X-Identity-Status", "Confirmed"}, {"X-Roles", "admin"},
                                        {"X-Tenant-Id", "t"}}),
                               &c);
  BOOST_TEST(s.HttpStatus() == 401);
  BOOST_TEST(s.message() == "The request you have made requires authentication.");
  BOOST_TEST(mode.Authenticate(headers({{"X-Auth-Token", "bad token\x01"}}), &c).HttpStatus() == 401);
  BOOST_TEST(mode.Authenticate(headers({{"X-Auth-Token", std::string(9000, 'a')}}), &c).HttpStatus() == 401);
  s = mode.Authenticate(headers({{"X-Auth-Token", "gAAAAAplausible"}}), &c);
  BOOST_TEST(s.HttpStatus() == 503);
  BOOST_TEST(s.message() == "The identity service cannot validate the token now; try again later.");

  context.allow_anonymous_access = true;
  KeystoneAuthMode anonymous(context, keystone);
  RequestContext a;
  BOOST_TEST(anonymous.Authenticate(headers({}), &a).ok());
  BOOST_TEST(a.read_only);
  BOOST_TEST(!a.is_admin);
  BOOST_TEST(!a.tenant.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
