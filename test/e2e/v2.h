// Helpers of the Image API v2 e2e suites (contract: image-api-v2-core.md):
// JSON create, JSON-patch, data upload and lists followed page by page,
// over the same stacks and HTTP client as the v1 suites.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "e2e.h"

namespace e2e {

// The media type PATCH requires (v2 contract §5).
inline constexpr const char* kV2PatchType = "application/openstack-images-v2.1-json-patch";
// The MD5 of no bytes, the checksum of an empty image.
inline constexpr const char* kV2EmptyMd5 = "d41d8cd98f00b204e9800998ecf8427e";

// Every key the image representation always has (v2 contract §2).
const std::vector<std::string>& V2ImageKeys();

// POST /v2/images with `body` as application/json.
Reply V2Create(const Api& api, const json& body);
// The same, throwing std::runtime_error (with the answer) unless 201;
// returns the new id.
std::string V2CreateId(const Api& api, const json& body);
Reply V2Show(const Api& api, const std::string& id);
// GET /v2/images/{id}, throwing unless 200; the image object.
json V2Get(const Api& api, const std::string& id);
// PATCH /v2/images/{id} with `ops` (a JSON array, or any JSON to test
// refusals) and the given Content-Type ("" sends none).
Reply V2Patch(const Api& api, const std::string& id, const json& ops,
              const std::string& content_type = kV2PatchType);
// PUT /v2/images/{id}/file, Content-Type application/octet-stream.
Reply V2Upload(const Api& api, const std::string& id, const std::string& data);
// Creates (raw/bare plus `body`) and uploads `data`; throws unless both
// succeed.  Returns the id.
std::string V2ActiveImage(const Api& api, const json& body, const std::string& data);

// POST /v2/images/{id}/members {"member": member}.
Reply V2AddMember(const Api& api, const std::string& id, const std::string& member);
// PUT /v2/images/{id}/members/{member} {"status": status}.
Reply V2SetMember(const Api& api, const std::string& id, const std::string& member,
                  const std::string& status);

// A client that sends paths exactly as written (a `next` link verbatim).
Api VerbatimApi(const Stack& stack, Headers defaults = {});

// GET `first_path` (e.g. "/v2/images?limit=2"), then every `next` link
// verbatim until a page has none; *pages counts the pages.  Throws on a
// non-200 page, on a page without "images", and after 200 pages.
std::vector<json> V2ListAll(const Api& api, const std::string& first_path, int* pages = nullptr);
// GET one list page; throws unless 200.  The whole body.
json V2ListPage(const Api& api, const std::string& path);
std::vector<std::string> IdsOf(const json& images);
std::set<std::string> IdSetOf(const std::vector<json>& images);
std::set<std::string> IdSetOf(const json& images);

// SHA-512 of `data`, lower-case hex (os_hash_value, v2 contract §6.1).
std::string Sha512Hex(const std::string& data);

// The error format of v1 spec §15 that v2 shares: text/plain starting with
// "<code> ", unless JSON was asked for.
bool InApiErrorFormat(const Reply& reply, bool json_asked = false);

// Asserts a refusal's status, the API's error format (for 4xx and 5xx) and
// its request id; `what` names the attempt in the messages.
void ExpectRefusal(const Reply& reply, int status, const std::string& what);

// "YYYY-MM-DDTHH:MM:SSZ" (v2 contract §2).
bool LooksLikeV2Time(const std::string& text);

}  // namespace e2e
