// Error bodies in Glance's format (spec §15): JSON
//   {"code": "404 Not Found", "title": "Not Found", "message": "..."}
// when the client's Accept prefers application/json, otherwise text/plain
//   "404 Not Found\n\n<message>\n\n   ".
#ifndef GLANCE_COMMON_HTTP_ERROR_H_
#define GLANCE_COMMON_HTTP_ERROR_H_

#include <string>

namespace glance {

struct ErrorBody {
  std::string content_type;
  std::string body;
};

ErrorBody FormatErrorBody(int http_status, const std::string& message, const std::string& accept);

}  // namespace glance

#endif  // GLANCE_COMMON_HTTP_ERROR_H_
