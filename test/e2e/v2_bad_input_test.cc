// Bad and hostile input to Image API v2 through nginx (v2 contract §1.3,
// §3, §5, §8; the v1 spec's §20 hardening rules hold for v2 too): bad ids
// on every route, methods a route does not serve (405 with the exact
// Allow), bodies where none is taken, malformed and deeply nested JSON,
// hostile text, bad query strings, oversized headers.  Every attempt gets
// one clear 4xx in the API's error format -- never a 5xx, never a hang --
// and neither the database nor the store changes.
// Over 400 lines for a reason: one table of attempts per kind of input,
// all run by RunAttempts below against the same target image.
#include <boost/test/unit_test.hpp>

#include "v2.h"

using namespace e2e;

namespace {

struct Attempt {
  Attempt(std::string what, std::function<Reply(const Api&)> send, std::set<int> expected, std::string message = "")
      : what(std::move(what)), send(std::move(send)), expected(std::move(expected)), message(std::move(message)) {}
  std::string what;
  std::function<Reply(const Api&)> send;
  std::set<int> expected;  // the statuses the contract allows (one, nearly always)
  std::string message;     // text the error body contains, if any
};

std::string RawRequest(const std::string& method, const std::string& target, const std::string& extra_header_lines = "",
                       const std::string& body = "") {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                        extra_header_lines;
  if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return request + "\r\n" + body;
}

std::string Describe(const std::set<int>& statuses) {
  std::string out;
  for (int s : statuses) out += (out.empty() ? "" : " or ") + std::to_string(s);
  return out;
}

void RunAttempts(const std::vector<Attempt>& attempts, bool json_asked = false) {
  Stack& stack = NoAuthStack();
  Api api = stack.api();
  for (const Attempt& attempt : attempts) {
    std::string before = stack.Fingerprint();
    Reply reply = attempt.send(api);
    BOOST_TEST(attempt.expected.count(reply.status) == 1u,
               attempt.what << ": expected " << Describe(attempt.expected) << ", got " << reply.Describe());
    if (!attempt.message.empty()) {
      BOOST_TEST(reply.body.find(attempt.message) != std::string::npos,
                 attempt.what << ": body lacks '" << attempt.message << "': " << reply.body);
    }
    if (reply.status >= 400 && attempt.what.rfind("HEAD ", 0) != 0) {
      BOOST_TEST(InApiErrorFormat(reply, json_asked),
                 attempt.what << ": not in the API's error format: " << reply.Describe());
    }
    WaitIncomingEmpty(stack);
    BOOST_TEST(stack.Fingerprint() == before, attempt.what << ": the database or store changed");
  }
}

// One image the attempts aim at: shared, active, with a tag and a member.
struct Target {
  std::string id, member = "v2-hostile-member";
};

const Target& TheTarget() {
  static Target target = [] {
    Target t;
    Api api = NoAuthStack().api();
    t.id = V2ActiveImage(api, {{"name", "v2-hostile-target"}, {"tags", {"kept"}}}, "keep-me");
    Reply added = V2AddMember(api, t.id, t.member);
    if (added.status != 200) throw std::runtime_error("member: " + added.Describe());
    return t;
  }();
  return target;
}

// The requests of every v2 route on the image `id`, well formed but for the id.
std::vector<std::pair<std::string, std::string>> RoutesOf(const std::string& id) {
  const std::string image = "/v2/images/" + id;
  return {
      {"GET " + image, RawRequest("GET", image)},
      {"PATCH " + image, RawRequest("PATCH", image, std::string("Content-Type: ") + kV2PatchType + "\r\n",
                                    R"([{"op": "replace", "path": "/name", "value": "x"}])")},
      {"DELETE " + image, RawRequest("DELETE", image)},
      {"GET " + image + "/file", RawRequest("GET", image + "/file")},
      {"PUT " + image + "/file", RawRequest("PUT", image + "/file", "Content-Type: application/octet-stream\r\n", "data")},
      {"PUT " + image + "/tags/t", RawRequest("PUT", image + "/tags/t")},
      {"DELETE " + image + "/tags/kept", RawRequest("DELETE", image + "/tags/kept")},
      {"GET " + image + "/members", RawRequest("GET", image + "/members")},
      {"POST " + image + "/members",
       RawRequest("POST", image + "/members", "Content-Type: application/json\r\n", R"({"member": "someone"})")},
      {"GET " + image + "/members/m", RawRequest("GET", image + "/members/v2-hostile-member")},
      {"PUT " + image + "/members/m", RawRequest("PUT", image + "/members/v2-hostile-member",
                                                 "Content-Type: application/json\r\n", R"({"status": "accepted"})")},
      {"DELETE " + image + "/members/m", RawRequest("DELETE", image + "/members/v2-hostile-member")},
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(v2_bad_input)

BOOST_AUTO_TEST_CASE(bad_ids_are_404_on_every_route) {
  const std::string id = TheTarget().id;
  std::vector<Attempt> attempts;
  for (const std::string& bad : {std::string("1"), std::string("not-a-uuid"), std::string(37, 'a'), id + "0",
                                 id.substr(0, 35), RandomUuid(), std::string("%27%20OR%201=1--"),
                                 std::string("..%2F..%2Fetc%2Fpasswd"), std::string("%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
                                 id + "%2F..%2F" + id, std::string(id.size(), 'Z')}) {
    for (const auto& [what, request] : RoutesOf(bad)) {
      attempts.push_back({what, [request = request](const Api& api) { return api.Raw(request); }, {404}});
    }
  }
  // nginx refuses a target that climbs above the root, a NUL and a broken
  // escape itself.
  for (const std::string& target : {std::string("/v2/images/../../../etc/passwd"), "/v2/images/" + id + "%00",
                                    std::string("/v2/images/%ZZ"), "/v2/images/" + id + "/../../../../../etc"}) {
    attempts.push_back({"GET " + target, [target](const Api& api) { return api.Raw(RawRequest("GET", target)); }, {400}});
  }
  RunAttempts(attempts);
  BOOST_TEST(NoAuthStack().api().Get("/v2/images/" + id + "/file").body == "keep-me");
}

BOOST_AUTO_TEST_CASE(unmatched_paths_are_404) {
  const std::string id = TheTarget().id;
  std::vector<Attempt> attempts;
  for (const std::string& path : {std::string("/v2/nowhere"), "/v2/images/" + id + "/nowhere",
                                  "/v2/images/" + id + "/tags", "/v2/images/" + id + "/file/more",
                                  "/v2/images/" + id + "/members/m/more", std::string("/v2/schemas"),
                                  std::string("/v2/schemas/image/more"), std::string("/v2/tasks"),
                                  std::string("/v2/info/import"), "/v2/images/" + id + "/import",
                                  "/v2/images/" + id + "/stage", std::string("/v2/metadefs/namespaces")}) {
    attempts.push_back({"GET " + path, [path](const Api& api) { return api.Get(path); }, {404}});
  }
  RunAttempts(attempts);
}

BOOST_AUTO_TEST_CASE(methods_a_route_does_not_serve_are_405_with_its_allow) {
  const Target& t = TheTarget();
  const std::string image = "/v2/images/" + t.id;
  const std::vector<std::tuple<std::string, std::vector<std::string>, std::vector<std::string>>> routes = {
      {"/v2/images", {"GET", "POST"}, {"PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}},
      {image, {"GET", "PATCH", "DELETE"}, {"POST", "PUT", "HEAD", "OPTIONS", "TRACE"}},
      {image + "/file", {"GET", "PUT"}, {"POST", "PATCH", "DELETE", "OPTIONS", "TRACE"}},
      {image + "/tags/kept", {"PUT", "DELETE"}, {"GET", "POST", "PATCH", "OPTIONS", "TRACE"}},
      {image + "/members", {"GET", "POST"}, {"PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}},
      {image + "/members/" + t.member, {"GET", "PUT", "DELETE"}, {"POST", "PATCH", "OPTIONS", "TRACE"}},
      {"/v2/schemas/image", {"GET"}, {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}},
      {"/v2/schemas/images", {"GET"}, {"POST", "DELETE"}},
      {"/v2/schemas/member", {"GET"}, {"PUT", "PATCH"}},
      {"/v2/schemas/members", {"GET"}, {"POST", "DELETE"}},
  };
  std::vector<Attempt> attempts;
  for (const auto& [path, allowed, refused] : routes) {
    for (const std::string& method : refused) {
      attempts.push_back({method + " " + path,
                          [path = path, method, allowed = allowed](const Api& api) {
                            Reply reply = api.Raw(RawRequest(method, path));
                            if (reply.status == 405 && AllowSet(reply) != SortedMethods(allowed)) {
                              reply.status = 499;  // reported below as the wrong Allow
                              reply.body = "Allow: " + reply.Header("Allow") + " (wanted " +
                                           [&] {
                                             std::string all;
                                             for (const auto& m : allowed) all += m + " ";
                                             return all;
                                           }() + ")\n" + reply.body;
                            }
                            return reply;
                          },
                          {405}});
    }
  }
  RunAttempts(attempts);
}

BOOST_AUTO_TEST_CASE(a_body_where_none_is_taken_is_400) {
  const Target& t = TheTarget();
  const std::string image = "/v2/images/" + t.id;
  std::vector<Attempt> attempts;
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", image},
           {"DELETE", image},
           {"GET", image + "/file"},
           {"PUT", image + "/tags/new"},
           {"DELETE", image + "/tags/kept"},
           {"GET", image + "/members"},
           {"GET", image + "/members/" + t.member},
           {"DELETE", image + "/members/" + t.member}}) {
    attempts.push_back({method + " " + target + " with a body",
                        [method = method, target = target](const Api& api) {
                          return api.Raw(RawRequest(method, target, "Content-Type: application/json\r\n", "{}"));
                        },
                        {400}});
    attempts.push_back({method + " " + target + " with a chunked body",
                        [method = method, target = target](const Api& api) {
                          return api.Raw(method + " " + target +
                                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                         "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                                         "5\r\nhello\r\n0\r\n\r\n");
                        },
                        {400}});
  }
  RunAttempts(attempts);
  Api api = NoAuthStack().api();
  json image_now = V2Get(api, t.id);
  BOOST_TEST((image_now["tags"] == json::array({"kept"})), image_now.dump());
  BOOST_TEST(api.Get(image + "/members/" + t.member).status == 200);
  BOOST_TEST(api.Get(image + "/file").body == "keep-me");
}

BOOST_AUTO_TEST_CASE(malformed_and_deeply_nested_json_is_400) {
  const Target& t = TheTarget();
  const std::string image = "/v2/images/" + t.id;
  const std::string deep_arrays = std::string(100000, '[') + std::string(100000, ']');
  std::string deep_objects;
  for (int i = 0; i < 20000; ++i) deep_objects += "{\"a\":";
  deep_objects += "1" + std::string(20000, '}');
  const std::string deep_value = "{\"name\": \"x\", \"color\": " + deep_arrays + "}";
  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"deep arrays", deep_arrays},
      {"deep objects", deep_objects},
      {"a deep value", deep_value},
      {"invalid UTF-8", "{\"name\": \"\xff\xfe\"}"},
      {"a NUL escape", R"({"name": "a\u0000b"})"},
      {"a raw NUL", std::string("{\"name\": \"a\0b\"}", 15)},
      {"a lone surrogate", R"({"name": "\ud800"})"},
      {"4-byte UTF-8", "{\"name\": \"\xf0\x9f\x98\x80\"}"},
      {"an escaped 4-byte character", R"({"name": "\ud83d\ude00"})"},
      {"a control character", "{\"name\": \"a\x01z\"}"},
      {"a huge number", R"({"min_ram": 1e400})"},
      {"a long integer", R"({"min_ram": 99999999999999999999})"},
      {"a property over 64 KiB", "{\"color\": \"" + std::string(65536, 'c') + "\"}"},
      {"a key with a control character", "{\"a\x02z\": \"v\"}"},
      {"NaN", R"({"min_ram": NaN})"},
      {"comments", "{/* c */ \"name\": \"x\"}"},
  };
  std::vector<Attempt> attempts;
  for (const auto& [what, body] : bodies) {
    attempts.push_back({"POST /v2/images, " + what,
                        [body = body](const Api& api) { return api.Send("POST", "/v2/images", {}, body, "application/json"); },
                        {400}});
  }
  for (const auto& [what, body] : std::vector<std::pair<std::string, std::string>>{
           {"deep arrays", deep_arrays},
           {"a deep value", "[{\"op\": \"add\", \"path\": \"/x\", \"value\": " + deep_arrays + "}]"},
           {"deep objects in a value", "[{\"op\": \"add\", \"path\": \"/x\", \"value\": " + deep_objects + "}]"},
           {"invalid UTF-8 in a value", "[{\"op\": \"add\", \"path\": \"/x\", \"value\": \"\xff\"}]"},
           {"a NUL in the path", R"([{"op": "add", "path": "/a\u0000", "value": "x"}])"},
           {"a control character in a value", R"([{"op": "add", "path": "/x", "value": "a\u001bz"}])"},
           {"4-byte UTF-8 in a value", "[{\"op\": \"add\", \"path\": \"/x\", \"value\": \"\xf0\x9f\x98\x80\"}]"},
           {"a value over 64 KiB", "[{\"op\": \"add\", \"path\": \"/x\", \"value\": \"" + std::string(65536, 'v') + "\"}]"}}) {
    attempts.push_back({"PATCH, " + what,
                        [image, body = body](const Api& api) { return api.Send("PATCH", image, {}, body, kV2PatchType); },
                        {400}});
  }
  for (const auto& [what, body] : std::vector<std::pair<std::string, std::string>>{
           {"deep arrays", deep_arrays},
           {"a deep member", "{\"member\": " + deep_arrays + "}"},
           {"invalid UTF-8", "{\"member\": \"\xff\"}"},
           {"4-byte UTF-8", "{\"member\": \"\xf0\x9f\x98\x80\"}"}}) {
    attempts.push_back({"POST members, " + what,
                        [image, body = body](const Api& api) {
                          return api.Send("POST", image + "/members", {}, body, "application/json");
                        },
                        {400}});
  }
  attempts.push_back({"PUT member, deep arrays",
                      [image, member = t.member, deep_arrays](const Api& api) {
                        return api.Send("PUT", image + "/members/" + member, {}, deep_arrays, "application/json");
                      },
                      {400}});
  RunAttempts(attempts);
}

BOOST_AUTO_TEST_CASE(huge_bodies_are_a_clear_4xx) {
  const Target& t = TheTarget();
  std::string many_ops = "[";
  // Each adds another property: far over the quota, if not over a body limit.
  for (int i = 0; i < 200000; ++i) {
    many_ops += std::string(i ? "," : "") + R"({"op":"add","path":"/p)" + std::to_string(i) + R"(","value":"v"})";
  }
  many_ops += "]";
  const std::string big_name = "{\"name\": \"x\", \"big\": \"" + std::string(16 << 20, 'b') + "\"}";
  RunAttempts({
      {"POST /v2/images with a 16 MiB property",
       [&](const Api& api) { return api.Send("POST", "/v2/images", {}, big_name, "application/json"); }, {400, 413}},
      {"PATCH with 200000 operations",
       [&](const Api& api) { return api.Send("PATCH", "/v2/images/" + t.id, {}, many_ops, kV2PatchType); },
       {400, 413}},
      {"POST members with a 16 MiB member",
       [&](const Api& api) {
         return api.Send("POST", "/v2/images/" + t.id + "/members", {},
                         "{\"member\": \"" + std::string(16 << 20, 'm') + "\"}", "application/json");
       },
       {400, 413}},
  });
}

BOOST_AUTO_TEST_CASE(hostile_text_in_names_properties_tags_and_members) {
  const Target& t = TheTarget();
  const std::string image = "/v2/images/" + t.id;
  const std::vector<std::pair<std::string, std::string>> values = {
      {"control character", "a\x01z"}, {"escape", "a\x1bz"},        {"DEL", "a\x7fz"},
      {"invalid UTF-8", "a\xff\xfez"}, {"overlong UTF-8", "\xc0\xaf"}, {"4-byte UTF-8", "\xf0\x9f\x98\x80"},
      {"lone continuation", "\x80"},   {"a newline", "a\nb"}};
  std::vector<Attempt> attempts;
  auto quoted = [](const std::string& text) { return "\"" + text + "\""; };  // raw bytes inside a JSON string
  for (const auto& [what, value] : values) {
    attempts.push_back({"name with " + what,
                        [=](const Api& api) {
                          return api.Send("POST", "/v2/images", {}, "{\"name\": " + quoted(value) + "}", "application/json");
                        },
                        {400}});
    attempts.push_back({"property value with " + what,
                        [=](const Api& api) {
                          return api.Send("POST", "/v2/images", {}, "{\"k\": " + quoted(value) + "}", "application/json");
                        },
                        {400}});
    attempts.push_back({"property key with " + what,
                        [=](const Api& api) {
                          return api.Send("POST", "/v2/images", {}, "{" + quoted("k" + value) + ": \"v\"}",
                                          "application/json");
                        },
                        {400}});
    attempts.push_back({"PATCH value with " + what,
                        [=](const Api& api) {
                          return api.Send("PATCH", image, {},
                                          "[{\"op\": \"add\", \"path\": \"/k\", \"value\": " + quoted(value) + "}]",
                                          kV2PatchType);
                        },
                        {400}});
    attempts.push_back({"member with " + what,
                        [=](const Api& api) {
                          return api.Send("POST", image + "/members", {}, "{\"member\": " + quoted(value) + "}",
                                          "application/json");
                        },
                        {400}});
    attempts.push_back({"tag with " + what,
                        [=](const Api& api) { return api.Raw(RawRequest("PUT", image + "/tags/" + UrlEncode(value))); },
                        {400}});
  }
  // JSON escapes of the same characters are the same characters.
  for (const char* escaped : {R"("a\u0001z")", R"("a\u007fz")", R"("a\u001bz")"}) {
    attempts.push_back({std::string("escaped name ") + escaped,
                        [escaped](const Api& api) {
                          return api.Send("POST", "/v2/images", {}, std::string("{\"name\": ") + escaped + "}",
                                          "application/json");
                        },
                        {400}});
  }
  for (const std::string& member : {std::string(".."), std::string("."), std::string(256, 'm')}) {
    attempts.push_back({"member id " + member.substr(0, 20),
                        [image, member](const Api& api) { return V2AddMember(api, image.substr(11), member); },
                        {400}});
  }
  RunAttempts(attempts);
}

BOOST_AUTO_TEST_CASE(bad_query_strings) {
  TheTarget();
  const std::vector<std::string> payloads = {"'", "x' OR '1'='1", "1; DROP TABLE images; --", "%", "_", "\\",
                                             "\"", "1) OR (1=1", "*"};
  // A metacharacter in a free-text filter matches nothing (200 with an
  // empty list; a non-empty list is reported as the odd status 299); in a
  // typed parameter it is refused.
  auto matching_nothing = [](const std::string& path) {
    return [path](const Api& api) {
      Reply reply = api.Get(path);
      if (reply.status == 200 && reply.Json()["images"].size() != 0) reply.status = 299;
      return reply;
    };
  };
  std::vector<Attempt> attempts;
  for (const std::string& payload : payloads) {
    std::string value = UrlEncode(payload);
    for (const char* filter : {"name", "v2_no_such_property", "tag", "owner", "checksum"}) {
      attempts.push_back({std::string(filter) + "=" + payload,
                          matching_nothing(std::string("/v2/images?") + filter + "=eq:" + value), {200}});
    }
    // Enumerated columns: no match, or refused -- never more.
    for (const char* filter : {"status", "disk_format", "container_format"}) {
      attempts.push_back({std::string(filter) + "=" + payload,
                          matching_nothing(std::string("/v2/images?") + filter + "=eq:" + value), {200, 400}});
    }
    for (const char* param : {"limit", "marker", "sort", "sort_key", "sort_dir", "size_min", "size_max", "visibility",
                              "member_status", "protected", "os_hidden", "created_at", "updated_at", "min_ram",
                              "min_disk"}) {
      attempts.push_back({std::string(param) + "=" + payload,
                          matching_nothing(std::string("/v2/images?") + param + "=" + value), {400}});
    }
  }
  // Query strings that are not well-formed.
  for (const std::string& query : {std::string("limit"), std::string("limit=x&limit=x"),
                                   std::string("sort=name:asc&sort=size:desc&sort_dir=asc"),
                                   std::string("size_min=99999999999999999999"), std::string("min_ram=2147483648"),
                                   std::string("marker=%00"), std::string("limit=%ZZ")}) {
    attempts.push_back({"?" + query, [query](const Api& api) { return api.Raw(RawRequest("GET", "/v2/images?" + query)); },
                        {400}});
  }
  // Broken escapes in free text: refused, or taken literally and matching
  // nothing.
  for (const std::string& query : {std::string("name=%ZZ"), std::string("name=%"), std::string("%ZZ=1"),
                                   std::string("name=in:%00"), std::string("v2_nothing=%00")}) {
    attempts.push_back({"?" + query, matching_nothing("/v2/images?" + query), {200, 400}});
  }
  attempts.push_back({"a 12 KB query",
                      [](const Api& api) { return api.Raw(RawRequest("GET", "/v2/images?name=" + std::string(12000, 'n'))); },
                      {400, 414}});
  attempts.push_back({"a 20 KB target",
                      [](const Api& api) { return api.Raw(RawRequest("GET", "/v2/images/" + std::string(20000, 'a'))); },
                      {414}});
  RunAttempts(attempts);
  BOOST_TEST(NoAuthStack().api().Get("/v2/images/" + TheTarget().id).status == 200);
}

BOOST_AUTO_TEST_CASE(oversized_and_too_many_headers) {
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'f') + "\r\n";
  const std::string body = R"({"name": "v2-header"})";
  RunAttempts({
      {"one 40 KB header",
       [&](const Api& api) {
         return api.Raw(RawRequest("POST", "/v2/images",
                                   "Content-Type: application/json\r\nX-Big: " + std::string(40000, 'b') + "\r\n", body));
       },
       {400}},
      {"3000 headers",
       [&](const Api& api) {
         return api.Raw(RawRequest("POST", "/v2/images", "Content-Type: application/json\r\n" + many, body));
       },
       {400}},
      {"Content-Length and Transfer-Encoding",
       [&](const Api& api) {
         return api.Raw("POST /v2/images HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Content-Type: application/json\r\nContent-Length: 21\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "15\r\n" + body + "\r\n0\r\n\r\n");
       },
       {400}},
      {"two Content-Lengths",
       [&](const Api& api) {
         return api.Raw("POST /v2/images HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Content-Type: application/json\r\nContent-Length: 21\r\nContent-Length: 5\r\n\r\n" + body);
       },
       {400}},
      {"a request id over 64 characters",
       [&](const Api& api) {
         return api.Raw(RawRequest("GET", "/v2/images?limit=1", "X-Openstack-Request-Id: " + std::string(300, 'r') + "\r\n"));
       },
       {200, 400, 431}},
  });
}

BOOST_AUTO_TEST_CASE(errors_come_as_json_when_asked) {
  RunAttempts({{"unknown id, Accept: application/json",
                [](const Api& api) { return api.Get("/v2/images/" + RandomUuid(), {{"Accept", "application/json"}}); },
                {404}},
               {"bad limit, Accept: application/json",
                [](const Api& api) { return api.Get("/v2/images?limit=x", {{"Accept", "application/json"}}); },
                {400}},
               {"read-only key, Accept: application/json",
                [](const Api& api) {
                  return api.Send("POST", "/v2/images", {{"Accept", "application/json"}}, R"({"status": "active"})",
                                  "application/json");
                },
                {403}}},
              true);
}

BOOST_AUTO_TEST_SUITE_END()
