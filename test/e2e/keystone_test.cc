// The keystone auth mode (issue 12) against a real Keystone: tokens valid,
// garbage, expired, revoked and missing; identity headers a client sends;
// the service's own token revoked under it; Keystone stopped and back;
// uploads with a bad token refused before their body is read.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "keystone.h"

using namespace e2e;
using Clock = std::chrono::steady_clock;

namespace {

const char* const kAuthRequired = "The request you have made requires authentication.";

std::string Challenge() { return "Keystone uri=\"" + TheKeystone().Var("KEYSTONE_URL") + "\""; }

void ExpectUnauthorized(const Reply& reply, const std::string& what) {
  BOOST_TEST(reply.status == 401, what << ": " << reply.Describe());
  BOOST_TEST(reply.Header("WWW-Authenticate") == Challenge(), what);
  if (!reply.body.empty()) {
    BOOST_TEST(reply.body.find(kAuthRequired) != std::string::npos, what << ": " << reply.body);
  }
}

std::string Owner(const Api& api, const std::string& id) {
  return api.Head("/v1/images/" + id).Header("x-image-meta-owner");
}

// Keystone is resumed however the test ends.
struct PausedKeystone {
  PausedKeystone() { TheKeystone().Script("pause"); }
  ~PausedKeystone() {
    try {
      TheKeystone().Script("resume");
    } catch (const std::exception& e) {
      BOOST_ERROR("keystone resume: " << e.what());
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(keystone)

BOOST_AUTO_TEST_CASE(a_valid_token_is_the_context) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  Api demo = stack.api(TokenHeaders(ks.Token("demo")));
  Api alt = stack.api(TokenHeaders(ks.Token("alt_demo")));
  Api admin = stack.api(TokenHeaders(ks.Token("admin")));
  ImageRef image = CreateImage(demo, "ks-valid", "keystone data");
  BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
  BOOST_TEST(image.reply.Json()["image"]["owner"] == ks.Var("DEMO_PROJECT_ID"));
  BOOST_TEST(Owner(demo, image.id) == ks.Var("DEMO_PROJECT_ID"));
  BOOST_TEST(demo.Get("/v1/images/" + image.id).body == "keystone data");
  BOOST_TEST(alt.Head("/v1/images/" + image.id).status == 404);
  BOOST_TEST(admin.Head("/v1/images/" + image.id).status == 200);
  // Only the admin role may publicize (spec §3.4).
  BOOST_TEST(demo.Put("/v1/images/" + image.id, {{"x-image-meta-is_public", "true"}}, "", "").status == 403);
  BOOST_TEST(admin.Put("/v1/images/" + image.id, {{"x-image-meta-is_public", "true"}}, "", "").status == 200);
  BOOST_TEST(alt.Head("/v1/images/" + image.id).status == 200);
  BOOST_TEST(demo.Delete("/v1/images/" + image.id).status == 200);
}

BOOST_AUTO_TEST_CASE(missing_garbage_and_expired_tokens_are_401_with_the_challenge) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  std::string expired = ks.Script("expired-token", {"demo"});
  BOOST_TEST_REQUIRE(expired.size() > 100u);
  const std::vector<std::pair<std::string, Headers>> cases = {
      {"no token", {}},
      {"empty token", {{"X-Auth-Token", ""}}},
      {"garbage", {{"X-Auth-Token", "gAAAAABgarbage-" + NewRunTag()}}},
      {"not a token at all", {{"X-Auth-Token", "<script>"}}},
      {"expired", {{"X-Auth-Token", expired}}},
  };
  for (const auto& [what, headers] : cases) {
    Api api = stack.api(headers);
    ExpectUnauthorized(api.Get("/v1/images"), what + " GET");
    Reply head = api.Head("/v1/images/" + RandomUuid());
    BOOST_TEST(head.status == 401, what << " HEAD: " << head.Describe());
    BOOST_TEST(head.Header("WWW-Authenticate") == Challenge());
  }
  // Unauthenticated routes stay open.
  BOOST_TEST(stack.api().Get("/versions").status == 200);
  BOOST_TEST(stack.api().Get("/healthcheck").status == 200);
}

BOOST_AUTO_TEST_CASE(a_revoked_token_is_refused_once_its_cache_entry_expires) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  // Not yet cached: refused at once.
  std::string unseen = ks.Token("demo");
  ks.Script("revoke", {unseen});
  ExpectUnauthorized(stack.api(TokenHeaders(unseen)).Get("/v1/images"), "revoked, never seen");

  std::string token = ks.Token("demo");
  Api demo = stack.api(TokenHeaders(token));
  BOOST_TEST_REQUIRE(demo.Get("/v1/images").status == 200);
  auto cached_at = Clock::now();
  ks.Script("revoke", {token});
  // The documented revocation delay: the cached answer still holds...
  Reply during = demo.Get("/v1/images");
  if (Clock::now() - cached_at < std::chrono::seconds(kKeystoneTokenCacheSeconds - 1)) {
    BOOST_TEST(during.status == 200, during.Describe());
  }
  // ...and no longer than token_cache_time.
  bool refused = WaitFor([&] { return demo.Get("/v1/images").status == 401; },
                         std::chrono::seconds(kKeystoneTokenCacheSeconds + 4), std::chrono::milliseconds(250));
  BOOST_TEST(refused);
  BOOST_TEST((Clock::now() - cached_at < std::chrono::seconds(kKeystoneTokenCacheSeconds + 4)));
}

BOOST_AUTO_TEST_CASE(identity_headers_from_the_client_change_nothing) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  Api alt = stack.api(TokenHeaders(ks.Token("alt_demo")));
  ImageRef theirs = CreateImage(alt, "ks-alt-private", "alt data");
  BOOST_TEST_REQUIRE(theirs.reply.status == 201, theirs.reply.Describe());
  const std::string alt_project = ks.Var("ALT_DEMO_PROJECT_ID");
  Headers spoofed = TokenHeaders(ks.Token("demo"));
  for (const auto& header : Headers{{"X-Identity-Status", "Confirmed"},
                                    {"X-Roles", "admin"},
                                    {"X-Role", "admin"},
                                    {"X-Tenant-Id", alt_project},
                                    {"X-Project-Id", alt_project},
                                    {"X-Tenant", alt_project},
                                    {"X-User-Id", ks.Var("ADMIN_USER_ID")},
                                    {"X-Is-Admin-Project", "True"},
                                    {"X-Service-Roles", "admin"},
                                    {"X-Service-Identity-Status", "Confirmed"}}) {
    spoofed.push_back(header);
  }
  Api demo = stack.api(spoofed);
  BOOST_TEST(demo.Head("/v1/images/" + theirs.id).status == 404);
  BOOST_TEST(demo.Delete("/v1/images/" + theirs.id).status == 404);
  Reply made_public = demo.Post("/v1/images", ImageHeaders("ks-spoof", {{"x-image-meta-is_public", "true"}}));
  BOOST_TEST(made_public.status == 403, made_public.Describe());
  // The owner field is the admin's to set; the token's project owns it.
  ImageRef mine = CreateImage(demo, "ks-spoof", "demo data", {{"x-image-meta-owner", alt_project}});
  BOOST_TEST_REQUIRE(mine.reply.status == 201, mine.reply.Describe());
  BOOST_TEST(mine.reply.Json()["image"]["owner"] == ks.Var("DEMO_PROJECT_ID"));
  BOOST_TEST(alt.Head("/v1/images/" + mine.id).status == 404);
  BOOST_TEST(alt.Head("/v1/images/" + theirs.id).status == 200);
  BOOST_TEST(demo.Delete("/v1/images/" + mine.id).status == 200);
  BOOST_TEST(alt.Delete("/v1/images/" + theirs.id).status == 200);
}

BOOST_AUTO_TEST_CASE(an_upload_with_a_bad_token_is_refused_before_its_body) {
  Stack& stack = KeystoneStack();
  Api api = stack.api();
  const int64_t size = 8 << 20;
  for (bool expect_continue : {true, false}) {
    std::string head = "PUT /v1/images/" + RandomUuid() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "X-Auth-Token: gAAAAABnot-a-token-" + NewRunTag() + "\r\n"
                       "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(size) +
                       "\r\n" + (expect_continue ? "Expect: 100-continue\r\n" : "") + "\r\n";
    Api::Streamed sent = api.StreamUpload(head, size, expect_continue);
    BOOST_TEST(sent.reply.status == 401, sent.reply.Describe());
    BOOST_TEST(sent.reply.Header("WWW-Authenticate") == Challenge());
    BOOST_TEST(!sent.got_continue);
    BOOST_TEST(WaitIncomingEmpty(stack).empty());
  }
  // A create with a body, no token at all.
  std::string head = "POST /v1/images HTTP/1.1\r\nHost: 127.0.0.1\r\nx-image-meta-name: ks-nobody\r\n"
                     "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(size) +
                     "\r\nExpect: 100-continue\r\n\r\n";
  Api::Streamed sent = api.StreamUpload(head, size, true);
  BOOST_TEST(sent.reply.status == 401, sent.reply.Describe());
  BOOST_TEST(!sent.got_continue);
  BOOST_TEST(WaitIncomingEmpty(stack).empty());
}

BOOST_AUTO_TEST_CASE(the_service_token_revoked_under_the_api_is_issued_again) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  // Both workers hold a service token once each validated a token.
  for (int i = 0; i < 6; ++i) BOOST_TEST_REQUIRE(stack.api(TokenHeaders(ks.Token("demo"))).Get("/v1/images").status == 200);
  ks.RevokeUserTokens(ks.Var("GLANCE_USER_ID"));
  for (int i = 0; i < 6; ++i) {
    Reply r = stack.api(TokenHeaders(ks.Token("demo"))).Get("/v1/images");
    BOOST_TEST(r.status == 200, r.Describe());
  }
  BOOST_TEST(ReadFile(stack.LogDir() + "/glance-api.log").find("the service token was refused") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(keystone_stopped_cached_tokens_still_work_new_ones_are_503) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  std::string fresh = ks.Token("demo");
  Api cached = stack.api(TokenHeaders(ks.Token("demo")));
  BOOST_TEST_REQUIRE(cached.Get("/v1/images").status == 200);
  auto cached_at = Clock::now();
  {
    PausedKeystone paused;
    if (Clock::now() - cached_at < std::chrono::seconds(kKeystoneTokenCacheSeconds - 1)) {
      Reply still = cached.Get("/v1/images");
      BOOST_TEST(still.status == 200, still.Describe());
    } else {
      BOOST_TEST_MESSAGE("keystone pause took too long to check the cached token");
    }
    auto asked = Clock::now();
    Reply refused = stack.api(TokenHeaders(fresh)).Get("/v1/images");
    BOOST_TEST(refused.status == 503, refused.Describe());
    BOOST_TEST(refused.body.find("identity service") != std::string::npos, refused.body);
    // Keystone's port refuses at once: no waiting for time-outs.
    BOOST_TEST((Clock::now() - asked < std::chrono::seconds(3)));
    BOOST_TEST(!refused.Has("WWW-Authenticate"));
  }
  // Back: the same token is good, without restarting anything.
  Reply back = stack.api(TokenHeaders(fresh)).Get("/v1/images");
  BOOST_TEST(back.status == 200, back.Describe());
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Runs Debian's `glance` (python-glanceclient, API v1) as a user of the
// run's Keystone, with nothing but that user's openrc: the client finds
// the API through the catalog.  Under `script`, so stdin is a terminal:
// glanceclient v1 would otherwise read image data from it on updates.
std::string Glance(const std::string& openrc, const std::string& arguments, int* rc) {
  std::string out = RequireEnv("GLANCE_TEST_TMPDIR") + "/glance-cli-" + NewRunTag() + ".out";
  std::string command = ". '" + openrc + "' && script -qec \"glance " + arguments + "\" /dev/null < /dev/null > '" +
                        out + "' 2>&1";
  *rc = RunCommand({"/bin/bash", "-c", command}, {}, out + ".log", std::chrono::seconds(120));
  std::string text = ReadFile(out);
  std::filesystem::remove(out);
  std::filesystem::remove(out + ".log");
  return text;
}

// A value of the client's "| Property | Value |" table.
std::string Field(const std::string& table, const std::string& property) {
  std::string needle = "| " + property + " ";
  size_t at = table.find(needle);
  if (at == std::string::npos) return "";
  size_t start = table.find('|', at + 1) + 1, end = table.find('|', start);
  std::string value = table.substr(start, end - start);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keystone)

BOOST_AUTO_TEST_CASE(a_glanceclient_v1_session_through_the_catalog) {
  Stack& stack = KeystoneStack();
  Keystone& ks = TheKeystone();
  ks.Script("register-image", {"http://127.0.0.1:" + std::to_string(stack.api_port())});
  std::string etc = stack.var_dir() + "/openrc";
  std::filesystem::create_directories(etc);
  ks.Script("openrc", {etc});
  const std::string demo = etc + "/openrc.demo", alt = etc + "/openrc.alt_demo";
  std::string data = RandomBytes(3 << 20, 12);
  std::string file = stack.var_dir() + "/cli-image.bin";
  { std::ofstream(file, std::ios::binary) << data; }
  int rc = 0;

  std::string created = Glance(demo, "image-create --name cli-" + NewRunTag() +
                                         " --disk-format qcow2 --container-format bare --file " + file, &rc);
  BOOST_TEST_REQUIRE(rc == 0, created);
  std::string id = Field(created, "id");
  BOOST_TEST_REQUIRE(id.size() == 36u, created);
  BOOST_TEST(Field(created, "status") == "active");
  BOOST_TEST(Field(created, "checksum") == Md5Hex(data));
  BOOST_TEST(Field(created, "owner") == ks.Var("DEMO_PROJECT_ID"));

  std::string listed = Glance(demo, "image-list", &rc);
  BOOST_TEST(rc == 0);
  BOOST_TEST(listed.find(id) != std::string::npos, listed);

  std::string updated = Glance(demo, "image-update --name cli-renamed --property os_distro=debian " + id, &rc);
  BOOST_TEST(rc == 0, updated);
  BOOST_TEST(Field(updated, "name") == "cli-renamed");
  BOOST_TEST(Field(updated, "Property 'os_distro'") == "debian");
  std::string shown = Glance(demo, "image-show " + id, &rc);
  BOOST_TEST(Field(shown, "name") == "cli-renamed", shown);
  BOOST_TEST(Field(shown, "size") == std::to_string(data.size()));

  std::string out = stack.var_dir() + "/cli-download.bin";
  Glance(demo, "image-download --file " + out + " " + id, &rc);
  BOOST_TEST(rc == 0);
  BOOST_TEST(Md5Hex(ReadFile(out)) == Md5Hex(data));

  // Not alt_demo's until it is shared with it.
  std::string hidden = Glance(alt, "image-show " + id, &rc);
  BOOST_TEST(rc != 0, hidden);
  std::string shared = Glance(demo, "member-create " + id + " " + ks.Var("ALT_DEMO_PROJECT_ID"), &rc);
  BOOST_TEST(rc == 0, shared);
  std::string members = Glance(demo, "member-list --image-id " + id, &rc);
  BOOST_TEST(members.find(ks.Var("ALT_DEMO_PROJECT_ID")) != std::string::npos, members);
  shown = Glance(alt, "image-show " + id, &rc);
  BOOST_TEST(rc == 0, shown);
  BOOST_TEST(Field(shown, "name") == "cli-renamed");
  std::filesystem::remove(out);
  Glance(alt, "image-download --file " + out + " " + id, &rc);
  BOOST_TEST(rc == 0);
  BOOST_TEST(Md5Hex(ReadFile(out)) == Md5Hex(data));
  // A member cannot delete it; the owner can.
  // (glanceclient v1 exits 0 even when a delete fails: read what it says.)
  std::string refused = Glance(alt, "image-delete " + id, &rc);
  BOOST_TEST(refused.find("Unable to delete image " + id) != std::string::npos, refused);
  Api check = stack.api(TokenHeaders(ks.Token("demo")));
  BOOST_TEST(check.Head("/v1/images/" + id).Header("x-image-meta-status") == "active");
  std::string deleted = Glance(demo, "image-delete " + id, &rc);
  BOOST_TEST(rc == 0, deleted);
  BOOST_TEST(deleted.find("Unable to delete") == std::string::npos, deleted);
  // Deleted: gone for a tenant (only an admin still sees the record).
  BOOST_TEST(check.Head("/v1/images/" + id).status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
