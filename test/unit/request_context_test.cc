#include "glance/common/request_context.h"
#include "glance/common/auth_mode.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace glance;

namespace {

HeaderLookup Headers(std::map<std::string, std::string> headers) {
  return [headers](const std::string& name) -> std::optional<std::string> {
    auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  };
}

ContextOptions Trusted() {
  ContextOptions o;
  o.mode = AuthMode::kTrustedAuth;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request_context)

BOOST_AUTO_TEST_CASE(noauth_is_admin_and_ignores_identity) {
  RequestContext c;
  BOOST_TEST(BuildRequestContext(ContextOptions(),
                                 Headers({{"X-Identity-Status", "Confirmed"},
                                          {"X-Tenant-Id", "t1"},
                                          {"X-Roles", "member"}}),
                                 &c)
                 .ok());
  BOOST_TEST(c.is_admin);
  BOOST_TEST(!c.tenant);
  BOOST_TEST(!c.owner);
  BOOST_TEST(c.request_id.rfind("req-", 0) == 0);
}

BOOST_AUTO_TEST_CASE(trusted_auth_reads_identity_headers) {
  RequestContext c;
  BOOST_TEST(BuildRequestContext(Trusted(),
                                 Headers({{"X-Identity-Status", "Confirmed"},
                                          {"X-User-Id", "u1"},
                                          {"X-Tenant-Id", "t1"},
                                          {"X-Project-Id", "p1"},
                                          {"X-Roles", " Member , ADMIN "}}),
                                 &c)
                 .ok());
  BOOST_TEST(c.user.value() == "u1");
  BOOST_TEST(c.tenant.value() == "p1");  // X-Project-Id wins over X-Tenant-Id
  BOOST_TEST(c.owner.value() == "p1");
  BOOST_TEST(c.is_admin);
  BOOST_TEST((c.roles == std::vector<std::string>{"member", "admin"}));
}

BOOST_AUTO_TEST_CASE(trusted_auth_without_confirmation) {
  RequestContext c;
  Status s = BuildRequestContext(Trusted(), Headers({{"X-Tenant-Id", "t1"}}), &c);
  BOOST_TEST(s.HttpStatus() == 401);
  s = BuildRequestContext(Trusted(), Headers({{"X-Identity-Status", "Invalid"}}), &c);
  BOOST_TEST(s.HttpStatus() == 401);
  ContextOptions anonymous = Trusted();
  anonymous.allow_anonymous_access = true;
  BOOST_TEST(BuildRequestContext(anonymous, Headers({}), &c).ok());
  BOOST_TEST(c.read_only);
  BOOST_TEST(!c.is_admin);
  BOOST_TEST(!c.owner);
}

BOOST_AUTO_TEST_CASE(owner_is_user_when_configured) {
  ContextOptions o = Trusted();
  o.owner_is_tenant = false;
  RequestContext c;
  BOOST_TEST(BuildRequestContext(o,
                                 Headers({{"X-Identity-Status", "Confirmed"},
                                          {"X-User-Id", "u1"},
                                          {"X-Tenant-Id", "t1"}}),
                                 &c)
                 .ok());
  BOOST_TEST(c.owner.value() == "u1");
  BOOST_TEST(!c.is_admin);
}

BOOST_AUTO_TEST_CASE(bad_identity_text_is_refused) {
  RequestContext c;
  Status s = BuildRequestContext(
      Trusted(), Headers({{"X-Identity-Status", "Confirmed"}, {"X-Tenant-Id", "t\x01"}}), &c);
  BOOST_TEST(s.HttpStatus() == 400);
}

// Some proxies join roles with a trailing or doubled comma: the empty
// elements name no role (upstream splits on ',' and strips each role; an
// empty role matches nothing), the request is not refused.
// A confirmed trusted-auth identity of tenant t1 with the given X-Roles.
Status ConfirmedWithRoles(const std::string& roles, RequestContext* context) {
  return BuildRequestContext(
      Trusted(), Headers({{"X-Identity-Status", "Confirmed"}, {"X-Tenant-Id", "t1"}, {"X-Roles", roles}}),
      context);
}

BOOST_AUTO_TEST_CASE(empty_role_elements_are_dropped) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"a,b,", {"a", "b"}},
      {",a,,b", {"a", "b"}},
      {" a , , B ,", {"a", "b"}},
      {",", {}},
      {" , ,", {}},
      {"", {}},
      {"member,admin,", {"member", "admin"}},
  };
  for (const auto& [header, roles] : cases) {
    RequestContext c;
    Status s = ConfirmedWithRoles(header, &c);
    BOOST_TEST(s.ok(), "'" << header << "': " << s.message());
    BOOST_TEST((c.roles == roles), "'" << header << "'");
    BOOST_TEST(c.is_admin == (header.find("admin") != std::string::npos), "'" << header << "'");
    BOOST_TEST(c.owner.value_or("") == "t1");
  }
}

BOOST_AUTO_TEST_CASE(bad_role_text_is_refused) {
  for (const std::string& header :
       {std::string("a,b\x01" "c"), std::string("admin\x7f"), std::string("a,\xff"), std::string("a,b\nc"),
        std::string("a,") + std::string(256, 'r')}) {
    RequestContext c;
    Status s = ConfirmedWithRoles(header, &c);
    BOOST_TEST(s.HttpStatus() == 400, header.substr(0, 20));
    BOOST_TEST(!c.is_admin, header.substr(0, 20));
  }
}

BOOST_AUTO_TEST_CASE(request_ids) {
  BOOST_TEST(ResolveRequestId(std::string("req-abc")) == "req-abc");
  BOOST_TEST(ResolveRequestId(std::string("abc")) == "req-abc");
  std::string replaced = ResolveRequestId(std::string(65, 'a'));
  BOOST_TEST(replaced.size() == 40u);
  BOOST_TEST(ResolveRequestId(std::string("a\r\nX-Evil: 1")).find('\n') == std::string::npos);
  BOOST_TEST(ResolveRequestId(std::nullopt).rfind("req-", 0) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

// The auth mode as a module: one Authenticator per flavor, picked once.
BOOST_AUTO_TEST_CASE(authenticator_per_flavor) {
  ContextOptions noauth;
  RequestContext admin;
  BOOST_TEST(MakeAuthenticator(noauth)->Authenticate(Headers({{"X-Roles", "member"}}), &admin).ok());
  BOOST_TEST(admin.is_admin);
  BOOST_TEST(!admin.owner.has_value());
  auto trusted = MakeAuthenticator(Trusted());
  RequestContext nobody;
  BOOST_TEST(trusted->Authenticate(Headers({}), &nobody).HttpStatus() == 401);
  RequestContext member;
  BOOST_TEST(trusted->Authenticate(Headers({{"X-Identity-Status", "Confirmed"}, {"X-Tenant-Id", "t9"},
                                            {"X-Roles", "member"}}),
                                   &member).ok());
  BOOST_TEST(member.owner.value_or("") == "t9");
  BOOST_TEST(!member.is_admin);
}
