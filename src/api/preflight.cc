#include "glance/api/preflight.h"

#include <openssl/evp.h>

namespace glance::api {

HttpResponse PreflightAccepted() {
  HttpResponse r;
  r.status = 200;
  r.SetHeader("X-Glance-Preflight", "accepted");
  return r;
}

HttpResponse PreflightRefused(int status, const ErrorBody& body, const HeaderList& headers) {
  HttpResponse r;
  r.status = 403;
  r.SetHeader("X-Glance-Refusal-Status", std::to_string(status));
  r.SetHeader("X-Glance-Refusal-Type", body.content_type);
  r.SetHeader("X-Glance-Refusal-Body", Base64Encode(body.body));
  for (const auto& [name, value] : headers) {
    if (name == "Allow" && !value.empty()) r.SetHeader("X-Glance-Refusal-Allow", value);
    if (name == "WWW-Authenticate") r.SetHeader("X-Glance-Refusal-Authenticate", value);
    if (name == "Accept-Patch") r.SetHeader("X-Glance-Refusal-Accept-Patch", value);
  }
  return r;
}

std::string Base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace glance::api
