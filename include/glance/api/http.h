// The API's view of one HTTP exchange, independent of FastCGI: what nginx
// passed in (method, path, query, headers, the body file it wrote) and what
// the controller answers.
#ifndef GLANCE_API_HTTP_H_
#define GLANCE_API_HTTP_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace glance::api {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;        // GET, HEAD, ...
  std::string path;          // decoded, without the query
  std::string query_string;  // raw
  std::string scheme = "http";
  std::string host;          // Host header (or server name:port)
  // Request headers in CGI form: upper case, '-' as '_', no HTTP_ prefix
  // (X-Image-Meta-Disk-Format -> X_IMAGE_META_DISK_FORMAT).
  HeaderList headers;
  std::optional<long long> content_length;  // CONTENT_LENGTH, when given
  std::string content_type;
  bool chunked = false;                     // Transfer-Encoding: chunked
  std::string body_file;                    // nginx's $request_body_file, or empty
  // nginx asks, before it reads the body (auth_request), whether this
  // request would be accepted; `method` is the client's.
  bool preflight = false;

  // Header lookup by its HTTP name ("X-Image-Meta-Size"), case-insensitive.
  std::optional<std::string> Header(const std::string& http_name) const;
  // True when the client sent a body (spec §6.4).
  bool HasBody() const;
};

struct HttpResponse {
  int status = 200;
  HeaderList headers;
  std::string body;
  // oslo context of the request for its log line (see LogTag); empty
  // before a context exists.
  std::string log_context;

  void SetHeader(std::string name, std::string value);
};

// "X-Image-Meta-Size" -> "X_IMAGE_META_SIZE".
std::string CgiHeaderName(const std::string& http_name);

}  // namespace glance::api

#endif  // GLANCE_API_HTTP_H_
