// Shared by the v2 PATCH tests: sample contexts, a sample image, and a
// helper that parses and applies one patch body.
#ifndef GLANCE_TEST_UNIT_V2_PATCH_HELPERS_H_
#define GLANCE_TEST_UNIT_V2_PATCH_HELPERS_H_

#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "glance/image/v2_request.h"

namespace v2_patch_test {

using namespace glance;
using nlohmann::json;
using Kind = v2::PatchOp::Kind;

inline RequestContext Admin() {
  RequestContext c;
  c.is_admin = true;
  return c;
}

inline RequestContext Project() {
  RequestContext c;
  c.tenant = "t1";
  c.owner = "t1";
  return c;
}

inline Image Current() {
  Image image;
  image.id = "0ddf0a3e-6b3b-4b6f-9c8e-1234567890ab";
  image.name = "cirros";
  image.status = "queued";
  image.visibility = "shared";
  image.owner = "t1";
  image.disk_format = "raw";
  image.container_format = "bare";
  image.tags = {"a"};
  image.properties = {{"color", "red"}, {"os_glance_stage_host", "h"}};
  return image;
}

inline Status Parse(const char* body, std::vector<v2::PatchOp>* ops) {
  return v2::ParsePatch(json::parse(body), ops);
}

inline Status Parse(const char* body) {
  std::vector<v2::PatchOp> ops;
  return Parse(body, &ops);
}

struct Result {
  Status status;
  ImageChanges changes;
  bool purge = false;
};

// Parses (which must succeed) and applies one patch body.
inline Result Patch(const char* body, const Image& current = Current(),
                    const RequestContext& context = Project(), v2::V2Limits limits = {}) {
  std::vector<v2::PatchOp> ops;
  Status parsed = Parse(body, &ops);
  BOOST_REQUIRE_MESSAGE(parsed.ok(), parsed.message());
  Result r;
  r.status = v2::ApplyPatch(current, ops, context, limits, &r.changes, &r.purge);
  return r;
}

}  // namespace v2_patch_test

#endif  // GLANCE_TEST_UNIT_V2_PATCH_HELPERS_H_
