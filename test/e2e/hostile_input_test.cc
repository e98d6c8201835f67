// Hostile input through nginx and the api (issue 5; spec §15, §20): every
// class gets a 4xx in the API's error format (text/plain "<code> <title>",
// or JSON when asked for), and neither the database nor the store changes.
// Each request is sent raw where a client library would refuse to send it.
#include <boost/test/unit_test.hpp>

#include "e2e.h"
#include "v2.h"
#include "glance/common/text.h"

using namespace e2e;

namespace {

struct Attempt {
  Attempt(std::string what, std::function<Reply(const Api&)> send, int expected, std::string message = "")
      : what(std::move(what)), send(std::move(send)), expected(expected), message(std::move(message)) {}
  std::string what;
  std::function<Reply(const Api&)> send;
  int expected;         // the one status the server gives
  std::string message;  // text the error body contains (spec §15), if any
};

std::string RawRequest(const std::string& method, const std::string& target,
                       const std::string& extra_header_lines = "", const std::string& body = "") {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                        extra_header_lines;
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return request + "\r\n" + body;
}


void RunAttempts(const std::vector<Attempt>& attempts, bool json_asked = false) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  for (const Attempt& attempt : attempts) {
    std::string before = stack.Fingerprint();
    Reply reply = attempt.send(api);
    BOOST_TEST(reply.status == attempt.expected,
               attempt.what << ": expected " << attempt.expected << ", got " << reply.Describe());
    if (!attempt.message.empty()) {
      BOOST_TEST(reply.body.find(attempt.message) != std::string::npos,
                 attempt.what << ": body lacks '" << attempt.message << "': " << reply.body);
    }
    if (reply.status >= 400 && attempt.what.rfind("HEAD ", 0) != 0) {  // HEAD answers carry no body
      BOOST_TEST(InApiErrorFormat(reply, json_asked),
                 attempt.what << ": not in the API's error format: " << reply.Describe());
    }
    WaitIncomingEmpty(stack);
    BOOST_TEST(stack.Fingerprint() == before, attempt.what << ": the database or store changed");
  }
}

std::string ExistingImage() {
  static std::string id = [] {
    ImageRef image = CreateImage(NoAuthStack().api(), "e2e-hostile-target", "keep-me");
    if (image.id.empty()) throw std::runtime_error("create: " + image.reply.Describe());
    return image.id;
  }();
  return id;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_input)

BOOST_AUTO_TEST_CASE(oversized_and_too_many_headers) {
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'f') + "\r\n";
  std::string properties;
  for (int i = 0; i < 5000; ++i) properties += "x-image-meta-property-p" + std::to_string(i) + ": v\r\n";
  RunAttempts({
      {"one 40 KB header",
       [](const Api& api) {
         return api.Raw(RawRequest("POST", "/v1/images",
                                   "x-image-meta-property-big: " + std::string(40000, 'b') + "\r\n"));
       },
       400},
      {"3000 headers", [&](const Api& api) { return api.Raw(RawRequest("POST", "/v1/images", many)); },
       400},
      {"5000 properties", [&](const Api& api) { return api.Raw(RawRequest("POST", "/v1/images", properties)); },
       400},
      {"20 KB request target",
       [](const Api& api) { return api.Raw(RawRequest("GET", "/v1/images/" + std::string(20000, 'a'))); },
       414},
      // Under nginx's 16 KiB, over what the registry's request line takes.
      {"12 KB list query",
       [](const Api& api) {
         return api.Raw(RawRequest("GET", "/v1/images/detail?name=" + std::string(12000, 'n')));
       },
       400, "The list query is too long"},
  });
}

BOOST_AUTO_TEST_CASE(hundreds_of_properties_over_the_quota) {
  Headers headers = ImageHeaders("e2e-hostile-props");
  for (int i = 0; i < 400; ++i) headers.push_back({"x-image-meta-property-q" + std::to_string(i), "v"});
  RunAttempts({{"400 properties (quota 128)",
                [&](const Api& api) { return api.Post("/v1/images", headers, "", ""); },
                413, "The limit has been exceeded on the number of allowed image properties"}});
}

BOOST_AUTO_TEST_CASE(bad_text_in_property_keys_and_values) {
  std::vector<Attempt> attempts;
  const std::vector<std::pair<std::string, std::string>> values = {
      {"control character", "a\x01z"}, {"escape", "a\x1bz"}, {"DEL", "a\x7fz"},
      {"invalid UTF-8", "a\xff\xfez"}, {"overlong UTF-8", "\xc0\xaf"}, {"4-byte UTF-8", "\xf0\x9f\x98\x80"},
      {"lone continuation", "\x80"}};
  for (const auto& [what, value] : values) {
    attempts.push_back({"property value with " + what,
                        [value](const Api& api) {
                          return api.Raw(RawRequest("POST", "/v1/images",
                                                    "x-image-meta-property-k: " + value + "\r\n"));
                        },
                        400});
    attempts.push_back({"name with " + what,
                        [value](const Api& api) {
                          return api.Raw(RawRequest("POST", "/v1/images", "x-image-meta-name: " + value + "\r\n"));
                        },
                        400});
    attempts.push_back({"property key with " + what,
                        [value](const Api& api) {
                          return api.Raw(RawRequest("POST", "/v1/images",
                                                    "x-image-meta-property-" + value + ": v\r\n"));
                        },
                        400});
  }
  attempts.push_back({"NUL in a header value",
                      [](const Api& api) {
                        return api.Raw(RawRequest("POST", "/v1/images",
                                                  std::string("x-image-meta-name: a\0b\r\n", 23)));
                      },
                      400});
  RunAttempts(attempts);
}

BOOST_AUTO_TEST_CASE(hostile_ids_in_paths) {
  const std::string id = ExistingImage();
  std::vector<Attempt> attempts;
  // nginx refuses a target that climbs above the root, a NUL and a broken
  // escape (400); any other id is an image nobody has (404).
  for (const auto& [target, expected] : std::vector<std::pair<std::string, int>>{
           {"/v1/images/../../../etc/passwd", 400},
           {"/v1/images/..%2F..%2Fetc%2Fpasswd", 404},
           {"/v1/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404},
           {"/v1/images/" + id + "%00", 400},
           {"/v1/images/" + id + "%2F..%2F" + id, 404},
           {"/v1/images/not-a-uuid", 404},
           {"/v1/images/%27%20OR%201=1--", 404},
           {"/v1/images/" + id.substr(0, 35), 404},
           {"/v1/images/" + id + "0", 404},
           {"/v1/images/%ZZ", 400}}) {
    for (const char* method : {"GET", "HEAD", "PUT", "DELETE"}) {
      attempts.push_back({std::string(method) + " " + target,
                          [target = target, method](const Api& api) { return api.Raw(RawRequest(method, target)); },
                          expected});
    }
    attempts.push_back({"GET members of " + target,
                        [target = target](const Api& api) { return api.Raw(RawRequest("GET", target + "/members")); },
                        expected});
  }
  // Bad member ids are refused (spec §20.2), but an encoded '/' makes the
  // path another one, which no route serves (404).
  for (const auto& [member, expected] : std::vector<std::pair<std::string, int>>{
           {"..", 400}, {".", 400}, {"a%2Fb", 404}, {"%00", 400}, {std::string(300, 'm'), 400}}) {
    attempts.push_back({"PUT member " + member.substr(0, 20),
                        [id, member = member](const Api& api) {
                          return api.Raw(RawRequest("PUT", "/v1/images/" + id + "/members/" + member));
                        },
                        expected});
  }
  RunAttempts(attempts);
  BOOST_TEST(NoAuthStack().api().Get("/v1/images/" + id).body == "keep-me");
}

BOOST_AUTO_TEST_CASE(sql_metacharacters_in_every_filter) {
  ExistingImage();
  const std::vector<std::string> payloads = {"'", "x' OR '1'='1", "1; DROP TABLE images; --",
                                             "%", "_", "\\", "\"", "1) OR (1=1"};
  // A metacharacter in a text filter matches nothing (200 with an empty
  // list; a non-empty list is reported as the odd status 299); in a typed
  // parameter it is refused with that parameter's message.
  auto matching_nothing = [](const std::string& path) {
    return [path](const Api& api) {
      Reply reply = api.Get(path);
      if (reply.status == 200 && reply.Json()["images"].size() != 0) reply.status = 299;
      return reply;
    };
  };
  std::vector<Attempt> attempts;
  for (const std::string& payload : payloads) {
    std::string value = glance::UrlEncode(payload);
    // Free-text filters (spec §7.1: exact match, no validation): a
    // legitimate value that matches nothing.
    for (const char* filter : {"name", "property-os_distro"}) {
      attempts.push_back({std::string(filter) + "=" + payload,
                          matching_nothing(std::string("/v1/images/detail?is_public=none&") + filter + "=" + value),
                          200});
    }
    for (const char* filter : {"status", "disk_format", "container_format"}) {
      attempts.push_back({std::string(filter) + "=" + payload,
                          matching_nothing(std::string("/v1/images?") + filter + "=" + value), 200});
    }
    // Typed filters and parameters: refused.
    for (const auto& [param, message] : std::vector<std::pair<std::string, std::string>>{
             {"size_min", "Bad value passed to filter size_min got "},
             {"size_max", "Bad value passed to filter size_max got "},
             {"is_public", "Bad value passed to filter is_public got "},
             {"changes-since", "Unrecognized changes-since value"},
             {"sort_key", "Unsupported sort_key"},
             {"sort_dir", "Unsupported sort_dir"},
             {"limit", "limit param must be an integer"},
             {"marker", "Invalid marker format"},
             {"protected", "Bad value passed to filter protected got "},
             {"min_ram", "Bad value passed to filter min_ram got "},
             {"min_disk", "Bad value passed to filter min_disk got "}}) {
      attempts.push_back({param + "=" + payload, matching_nothing("/v1/images?" + param + "=" + value), 400,
                          message});
    }
  }
  RunAttempts(attempts);
  // The images table is still there and still answers.
  BOOST_TEST(NoAuthStack().api().Head("/v1/images/" + ExistingImage()).status == 200);
}

BOOST_AUTO_TEST_CASE(absurd_limits_and_markers) {
  const std::string id = ExistingImage();
  Api api = NoAuthStack().api();
  std::vector<Attempt> attempts;
  attempts.push_back({"limit=-1", [](const Api& a) { return a.Get("/v1/images?limit=-1"); }, 400,
                      "limit param must be positive"});
  for (const std::string& limit : std::vector<std::string>{"abc", "1e3", "0x10", "", " 5", "5 ", "1.0"}) {
    attempts.push_back({"limit=" + limit,
                        [limit](const Api& a) { return a.Get("/v1/images?limit=" + glance::UrlEncode(limit)); },
                        400, "limit param must be an integer"});
  }
  // (An admin may page from a deleted image: admins see deleted images.)
  attempts.push_back({"marker=<unknown uuid>",
                      [](const Api& a) { return a.Get("/v1/images/detail?marker=" + RandomUuid()); }, 400,
                      "Invalid marker. Image could not be found."});
  for (const std::string& marker : std::vector<std::string>{std::string("not-a-uuid"), std::string("")}) {
    attempts.push_back({"marker=" + marker,
                        [marker](const Api& a) { return a.Get("/v1/images/detail?marker=" + glance::UrlEncode(marker)); },
                        400, "Invalid marker format"});
  }
  RunAttempts(attempts);
  // A huge but numeric limit is clamped to api_limit_max, not refused
  // (§20.5): it returns every image there is, more than the default page
  // of 25 (api_limit_max is 1000).
  const std::string tag = NewRunTag();
  std::vector<std::string> many;
  for (int i = 0; i < 30; ++i) {
    ImageRef image = ReserveImage(api, "e2e-hostile-many", {{"x-image-meta-property-many", tag}});
    BOOST_TEST_REQUIRE(image.reply.status == 201, image.reply.Describe());
    many.push_back(image.id);
  }
  for (const char* limit : {"100000", "99999999999999999999999"}) {
    Reply reply = api.Get("/v1/images?is_public=none&property-many=" + tag + "&limit=" + limit);
    BOOST_TEST_REQUIRE(reply.status == 200, "limit=" << limit << ": " << reply.Describe());
    BOOST_TEST(reply.Json()["images"].size() == 30u, "limit=" << limit << ": " << reply.body.substr(0, 200));
  }
  for (const std::string& one : many) BOOST_TEST(api.Delete("/v1/images/" + one).status == 200);
}

BOOST_AUTO_TEST_CASE(foreign_marker_is_refused) {
  std::string tag = NewRunTag();
  Api owner = TrustedStack().api(ForTenant("hostile-owner-" + tag));
  Api stranger = TrustedStack().api(ForTenant("hostile-stranger-" + tag));
  ImageRef secret = ReserveImage(owner, "e2e-hostile-private");
  BOOST_TEST_REQUIRE(secret.reply.status == 201, secret.reply.Describe());
  Reply reply = stranger.Get("/v1/images/detail?marker=" + secret.id);
  BOOST_TEST(reply.status == 400, reply.Describe());
  BOOST_TEST(reply.body.find("hostile-private") == std::string::npos);
  // The owner's own image, once deleted, is no marker for the owner either.
  ImageRef gone = ReserveImage(owner, "e2e-hostile-deleted");
  BOOST_TEST_REQUIRE(owner.Delete("/v1/images/" + gone.id).status == 200);
  Reply deleted = owner.Get("/v1/images/detail?marker=" + gone.id);
  BOOST_TEST(deleted.status == 400, deleted.Describe());
}

BOOST_AUTO_TEST_CASE(bad_sizes_and_numbers) {
  std::vector<Attempt> attempts;
  for (const char* field : {"size", "min_ram", "min_disk"}) {
    for (const std::string& value : std::vector<std::string>{"-1", "abc", "1e3", "1.5", "99999999999999999999", "0x10", "+-1", "1 2"}) {
      attempts.push_back({std::string(field) + "=" + value,
                          [field, value](const Api& api) {
                            return api.Post("/v1/images", {{std::string("x-image-meta-") + field, value}}, "", "");
                          },
                          400});
    }
  }
  RunAttempts(attempts);
}

BOOST_AUTO_TEST_CASE(dates_in_bad_formats) {
  std::vector<Attempt> attempts;
  for (const std::string& value : std::vector<std::string>{"yesterday", "2026-13-45T99:99:99", "0000-00-00", "2026-11-26T",
                                   "1e10", "'; DROP TABLE images; --", "2026-11-26T10:00:00+99:00"}) {
    attempts.push_back({"changes-since=" + value,
                        [value](const Api& api) { return api.Get("/v1/images/detail?changes-since=" + glance::UrlEncode(value)); },
                        400, "Unrecognized changes-since value"});
  }
  RunAttempts(attempts);
}

BOOST_AUTO_TEST_CASE(bodies_on_routes_that_take_none) {
  const std::string id = ExistingImage();
  std::vector<Attempt> attempts;
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"DELETE", "/v1/images/" + id},
           {"GET", "/v1/images/" + id},
           {"GET", "/v1/images/detail"},
           {"GET", "/v1/images/" + id + "/members"},
           {"DELETE", "/v1/images/" + id + "/members/someone"},
           {"GET", "/v1/shared-images/someone"}}) {
    attempts.push_back({method + " " + target + " with a body",
                        [method, target](const Api& api) {
                          return api.Raw(RawRequest(method, target, "Content-Type: application/octet-stream\r\n",
                                                    "unexpected body"));
                        },
                        400, "This request takes no body."});
  }
  RunAttempts(attempts);
  Reply still = NoAuthStack().api().Get("/v1/images/" + id);
  BOOST_TEST(still.status == 200);
  BOOST_TEST(still.body == "keep-me");
}

BOOST_AUTO_TEST_CASE(errors_come_as_json_when_asked) {
  RunAttempts({{"unknown id, Accept: application/json",
                [](const Api& api) { return api.Get("/v1/images/" + RandomUuid(), {{"Accept", "application/json"}}); },
                404},
               {"bad limit, Accept: application/json",
                [](const Api& api) { return api.Get("/v1/images?limit=x", {{"Accept", "application/json"}}); },
                {400}}},
              true);
}

BOOST_AUTO_TEST_SUITE_END()
