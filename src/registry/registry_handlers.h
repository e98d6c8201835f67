// Internal to src/registry: the request handlers behind the routes.  Each
// handler reads the call and fills the reply; a non-OK Status becomes an
// error response in the dispatcher.
#ifndef GLANCE_SRC_REGISTRY_REGISTRY_HANDLERS_H_
#define GLANCE_SRC_REGISTRY_REGISTRY_HANDLERS_H_

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "glance/common/request_context.h"
#include "glance/common/router.h"
#include "glance/common/status.h"
#include "glance/db/image_repository.h"
#include "glance/image/list_query.h"

namespace glance::registry {

struct Call {
  RequestContext context;
  PathParams params;
  std::string body;
  std::string query_string;
  std::function<std::optional<std::string>(const std::string&)> header;
};

struct Reply {
  int status = 200;
  std::optional<nlohmann::json> json;  // no body when empty
  std::string raw_json;                // a body already serialised (lists)
};

struct Services {
  ImageRepository* repository;
  ListLimits limits;
};

using Handler = std::function<Status(const Services&, const Call&, Reply*)>;

// Registers every route of spec §16 on the router.
void AddImageRoutes(Router<Handler>* router);
void AddMemberRoutes(Router<Handler>* router);

}  // namespace glance::registry

#endif  // GLANCE_SRC_REGISTRY_REGISTRY_HANDLERS_H_
