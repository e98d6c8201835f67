// The Image API v2 helpers the v2 e2e suites share.
#include <regex>
#include <stdexcept>

#include <boost/test/unit_test.hpp>
#include <openssl/evp.h>

#include "v2.h"

namespace e2e {

const std::vector<std::string>& V2ImageKeys() {
  static const std::vector<std::string> keys = {
      "id",         "name",          "status",        "visibility", "protected",  "os_hidden",
      "checksum",   "os_hash_algo",  "os_hash_value", "owner",      "size",       "virtual_size",
      "min_ram",    "min_disk",      "disk_format",   "container_format",        "created_at",
      "updated_at", "tags",          "self",          "file",       "schema"};
  return keys;
}

Reply V2Create(const Api& api, const json& body) { return api.PostJson("/v2/images", {}, body); }

std::string V2CreateId(const Api& api, const json& body) {
  Reply reply = V2Create(api, body);
  if (reply.status != 201) throw std::runtime_error("POST /v2/images " + body.dump() + ": " + reply.Describe());
  return reply.Json().at("id").get<std::string>();
}

Reply V2Show(const Api& api, const std::string& id) { return api.Get("/v2/images/" + id); }

json V2Get(const Api& api, const std::string& id) {
  Reply reply = V2Show(api, id);
  if (reply.status != 200) throw std::runtime_error("GET /v2/images/" + id + ": " + reply.Describe());
  return reply.Json();
}

Reply V2Patch(const Api& api, const std::string& id, const json& ops, const std::string& content_type) {
  return api.Send("PATCH", "/v2/images/" + id, {}, ops.dump(), content_type);
}

Reply V2Upload(const Api& api, const std::string& id, const std::string& data) {
  return api.Put("/v2/images/" + id + "/file", {}, data, "application/octet-stream");
}

std::string V2ActiveImage(const Api& api, const json& body, const std::string& data) {
  json full = {{"disk_format", "raw"}, {"container_format", "bare"}};
  for (const auto& [key, value] : body.items()) full[key] = value;
  std::string id = V2CreateId(api, full);
  Reply uploaded = V2Upload(api, id, data);
  if (uploaded.status != 204) throw std::runtime_error("PUT /v2/images/" + id + "/file: " + uploaded.Describe());
  return id;
}

Reply V2AddMember(const Api& api, const std::string& id, const std::string& member) {
  return api.PostJson("/v2/images/" + id + "/members", {}, json{{"member", member}});
}

Reply V2SetMember(const Api& api, const std::string& id, const std::string& member, const std::string& status) {
  return api.PutJson("/v2/images/" + id + "/members/" + member, {}, json{{"status", status}});
}

Api VerbatimApi(const Stack& stack, Headers defaults) {
  ClientOptions options;
  options.url_encode = false;
  return Api(stack.api_port(), std::move(defaults), options);
}

json V2ListPage(const Api& api, const std::string& path) {
  Reply reply = api.Get(path);
  if (reply.status != 200) throw std::runtime_error("GET " + path + ": " + reply.Describe());
  json body = reply.Json();
  if (!body.is_object() || !body.contains("images") || !body["images"].is_array()) {
    throw std::runtime_error("GET " + path + " has no images array: " + reply.Describe());
  }
  return body;
}

std::vector<json> V2ListAll(const Api& api, const std::string& first_path, int* pages) {
  std::vector<json> out;
  std::string path = first_path;
  int count = 0;
  while (true) {
    if (++count > 200) throw std::runtime_error("more than 200 pages from " + first_path + " (a loop?)");
    json body = V2ListPage(api, path);
    for (const auto& image : body["images"]) out.push_back(image);
    if (!body.contains("next")) break;
    path = body["next"].get<std::string>();
  }
  if (pages) *pages = count;
  return out;
}

std::vector<std::string> IdsOf(const json& images) {
  std::vector<std::string> ids;
  for (const auto& image : images) ids.push_back(image.value("id", std::string("<no id>")));
  return ids;
}

std::set<std::string> IdSetOf(const std::vector<json>& images) {
  std::set<std::string> ids;
  for (const auto& image : images) ids.insert(image.value("id", std::string("<no id>")));
  return ids;
}

std::set<std::string> IdSetOf(const json& images) {
  std::set<std::string> ids;
  for (const auto& image : images) ids.insert(image.value("id", std::string("<no id>")));
  return ids;
}

std::string Sha512Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha512(), nullptr);
  return HexOf(digest, length);
}

bool InApiErrorFormat(const Reply& reply, bool json_asked) {
  std::string type = reply.Header("Content-Type");
  if (json_asked) {
    if (type.rfind("application/json", 0) != 0) return false;
    json body = json::parse(reply.body, nullptr, false);
    return body.is_object() && body.contains("code") && body.contains("message");
  }
  return type.rfind("text/plain", 0) == 0 && reply.body.rfind(std::to_string(reply.status) + " ", 0) == 0;
}

void ExpectRefusal(const Reply& reply, int status, const std::string& what) {
  BOOST_TEST(reply.status == status, what << ": expected " << status << ", got " << reply.Describe());
  if (reply.status >= 400) {
    BOOST_TEST(InApiErrorFormat(reply), what << ": not in the API's error format: " << reply.Describe());
  }
  BOOST_TEST(reply.Header("x-openstack-request-id").rfind("req-", 0) == 0u, what << ": no request id");
}

bool LooksLikeV2Time(const std::string& text) {
  static const std::regex re("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$");
  return std::regex_match(text, re);
}

}  // namespace e2e
