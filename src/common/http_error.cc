#include "glance/common/http_error.h"

#include <nlohmann/json.hpp>

#include "glance/common/status.h"

namespace glance {

ErrorBody FormatErrorBody(int http_status, const std::string& message, const std::string& accept) {
  std::string title = HttpReasonPhrase(http_status);
  std::string code = std::to_string(http_status) + " " + title;
  if (accept.find("application/json") != std::string::npos) {
    nlohmann::json body = {{"code", code}, {"title", title}, {"message", message}};
    // Replace rather than throw on bytes that are not UTF-8 (a message may
    // quote client input).
    return {"application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  }
  return {"text/plain; charset=UTF-8", code + "\n\n" + message + "\n\n   "};
}

}  // namespace glance
