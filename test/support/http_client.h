// The HTTP client of the integration and end-to-end tests: requests through
// cpp-httplib, plus raw-socket requests for what cpp-httplib cannot shape
// (malformed requests, paced uploads, connections dropped mid-request).
#ifndef GLANCE_TEST_SUPPORT_HTTP_CLIENT_H_
#define GLANCE_TEST_SUPPORT_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace testsupport {

using json = nlohmann::json;

// Request headers in the order the test wrote them: raw requests send them
// so (cpp-httplib orders them by name anyway).
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Response {
  int status = 0;             // 0: no HTTP answer at all
  std::string error;          // transport error, when status == 0
  httplib::Headers headers;   // case-insensitive multimap
  std::string body;

  std::string Header(const std::string& name) const;  // "" when absent
  bool Has(const std::string& name) const;
  size_t Count(const std::string& name) const;
  // Throws std::runtime_error with the response in the message when the
  // body is not JSON.
  json Json() const;
  // The x-image-meta-* headers, names lower-cased.
  std::map<std::string, std::string> MetaHeaders() const;
  std::string Describe() const;  // status, headers and the body's start
};

// The defaults suit a whole stack behind nginx (uploads of up to 200 MiB);
// the registry tests, which talk to one daemon, set shorter timeouts.
struct ClientOptions {
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds read_timeout{120};
  std::chrono::seconds write_timeout{120};
  // cpp-httplib percent-encodes the path's spaces and non-ASCII bytes;
  // off where a test sends the path exactly as written.
  bool url_encode = true;
  // Content-Type of a Post/Put body when the call names none.
  std::string body_type = "application/octet-stream";
};

// One connection per request (no keep-alive) to 127.0.0.1:port.
class Api {
 public:
  explicit Api(int port, Headers defaults = {}, ClientOptions options = {});

  // The request as given: `headers` over the defaults, Content-Type only
  // when `content_type` is not empty.
  Response Send(const std::string& method, const std::string& path, const Headers& headers,
                const std::string& body = {}, const std::string& content_type = {}) const;
  Response Get(const std::string& path, const Headers& headers = {}) const;
  Response Head(const std::string& path, const Headers& headers = {}) const;
  Response Delete(const std::string& path, const Headers& headers = {}) const;
  // content_type: nullopt sends ClientOptions::body_type, "" none.
  Response Post(const std::string& path, const Headers& headers, const std::string& body = {},
                const std::optional<std::string>& content_type = std::nullopt) const;
  Response Put(const std::string& path, const Headers& headers, const std::string& body = {},
               const std::optional<std::string>& content_type = std::nullopt) const;
  Response PostJson(const std::string& path, const Headers& headers, const json& body) const;
  Response PutJson(const std::string& path, const Headers& headers, const json& body) const;
  // Chunked (Transfer-Encoding: chunked, no Content-Length) upload of `body`
  // in pieces of `piece` bytes.
  Response SendChunked(const std::string& method, const std::string& path, const Headers& headers,
                       const std::string& body, size_t piece = 64 * 1024,
                       const std::optional<std::string>& content_type = std::nullopt) const;
  // GET whose body is hashed while it streams, not kept.
  struct Download {
    Response reply;  // reply.body stays empty
    int64_t bytes = 0;
    std::string md5;
  };
  Download GetDigest(const std::string& path, const Headers& headers = {}) const;

  // ---------------------------------------------- raw sockets (raw_http.cc)

  // Sends raw bytes on a new connection and parses what comes back
  // (Content-Length, chunked or until close).
  Response Raw(const std::string& request_bytes,
               std::chrono::seconds timeout = std::chrono::seconds(30)) const;

  // An upload the test paces itself, on a raw connection: `head` (request
  // line and headers, ending in a blank line) goes first; with
  // `wait_continue` the body follows only after "100 Continue" (any other
  // answer ends the exchange); otherwise up to `body_bytes` of body are
  // sent in 256 KiB pieces, `bytes_per_second` at most (0: no limit), until
  // the server answers or closes.  `on_piece` runs after every piece.
  struct Streamed {
    Response reply;          // the final answer (status 0: none)
    bool got_continue = false;
    int64_t body_sent = 0;
  };
  Streamed StreamUpload(const std::string& head, int64_t body_bytes, bool wait_continue,
                        int64_t bytes_per_second = 0,
                        const std::function<void(int64_t sent)>& on_piece = nullptr,
                        std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  // Sends raw bytes on a new connection and closes it without reading.
  bool SendAndClose(const std::string& request_bytes) const;

  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Client> NewClient() const;
  httplib::Headers Merge(const Headers& headers) const;
  static Response FromResult(const httplib::Result& result);

  int port_;
  Headers defaults_;
  ClientOptions options_;
};

// ---------------------------------------------------------------- headers

// Identity headers of a trusted-auth request (X-Identity-Status: Confirmed).
Headers ForTenant(const std::string& tenant, const std::string& roles = "member",
                  const std::string& user = "");
// An admin context (role `admin`) with its own tenant.
Headers Admin(const std::string& tenant = "it-admin-tenant");
// A copy of `headers` with one more header.
Headers With(Headers headers, const std::string& name, const std::string& value);
// The `Allow` header as a sorted list of upper-case method names.
std::vector<std::string> AllowSet(const Response& response);
std::vector<std::string> SortedMethods(std::vector<std::string> methods);

// ---------------------------------------------------------------- JSON

// A JSON member as comparable text: a string's value, "<missing>" when the
// key is absent, "<dump>" for any other JSON value ("<null>", "<5>",
// "<true>").  (BOOST_TEST on json values directly would compare them as
// collections.)
std::string S(const json& object, const std::string& key);
// The sorted key names of a JSON object.
std::vector<std::string> Keys(const json& object);

}  // namespace testsupport

#endif  // GLANCE_TEST_SUPPORT_HTTP_CLIENT_H_
