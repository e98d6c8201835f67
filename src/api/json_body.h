// Internal to src/api: request bodies that are JSON documents (v1 member
// lists, every v2 body but image data).  nginx writes them to a file like
// any body; they are read into memory, so their size is bounded.
#ifndef GLANCE_SRC_API_JSON_BODY_H_
#define GLANCE_SRC_API_JSON_BODY_H_

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "glance/api/http.h"
#include "glance/common/status.h"

namespace glance::api {

inline constexpr size_t kMaxJsonBodyBytes = 1 << 20;

// The body nginx wrote (empty when there is none); kTooLarge past the bound.
Status ReadBodyFile(const HttpRequest& request, std::string* body);
// The body parsed as JSON; no body or malformed text is a 400.
Status ReadJsonBody(const HttpRequest& request, nlohmann::json* body);
// The pre-flight's check: a declared body over the bound is refused before
// nginx receives it.
Status PreflightJsonBody(const HttpRequest& request);

}  // namespace glance::api

#endif  // GLANCE_SRC_API_JSON_BODY_H_
