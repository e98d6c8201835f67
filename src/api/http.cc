#include "glance/api/http.h"

namespace glance::api {

std::string CgiHeaderName(const std::string& http_name) {
  std::string out = http_name;
  for (char& c : out) {
    if (c == '-') c = '_';
    else if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::optional<std::string> HttpRequest::Header(const std::string& http_name) const {
  std::string name = CgiHeaderName(http_name);
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool HttpRequest::HasBody() const {
  return chunked || (content_length && *content_length > 0);
}

void HttpResponse::SetHeader(std::string name, std::string value) {
  for (auto& [key, v] : headers) {
    if (key == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace glance::api
