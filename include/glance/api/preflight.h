// The pre-flight answer: how a worker tells nginx, before nginx reads an
// upload's body, whether to read it.
//
// nginx's auth_request maps every status but 2xx, 401 and 403 to 500, so a
// refusal travels as 403 carrying the real answer in X-Glance-Refusal-*
// headers (its body in base64, since it may hold any bytes); nginx's
// refusal locations rebuild that answer (nginx/glance-api.conf.in,
// nginx/glance-image-headers.js) without reading the body, and a client
// that sent `Expect: 100-continue` is never told to send it.
#ifndef GLANCE_API_PREFLIGHT_H_
#define GLANCE_API_PREFLIGHT_H_

#include <string>

#include "glance/api/http.h"
#include "glance/common/http_error.h"

namespace glance::api {

// 200 with X-Glance-Preflight: accepted.
HttpResponse PreflightAccepted();
// 403 with the refusal headers; `headers` are those of the real answer
// nginx passes on: Allow (405), WWW-Authenticate (401) and Accept-Patch
// (a PATCH's 415).
HttpResponse PreflightRefused(int status, const ErrorBody& body, const HeaderList& headers);

std::string Base64Encode(const std::string& bytes);

}  // namespace glance::api

#endif  // GLANCE_API_PREFLIGHT_H_
