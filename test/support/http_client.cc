#include "http_client.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

#include "text.h"

namespace testsupport {

// ---------------------------------------------------------------- Response

std::string Response::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

bool Response::Has(const std::string& name) const { return headers.find(name) != headers.end(); }

size_t Response::Count(const std::string& name) const { return headers.count(name); }

json Response::Json() const {
  try {
    return json::parse(body);
  } catch (const std::exception& e) {
    throw std::runtime_error("response body is not JSON (" + std::string(e.what()) + "): " + Describe());
  }
}

std::map<std::string, std::string> Response::MetaHeaders() const {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    std::string lower = ToLower(name);
    if (lower.rfind("x-image-meta-", 0) == 0) out[lower] = value;
  }
  return out;
}

std::string Response::Describe() const {
  std::ostringstream out;
  if (status == 0) {
    out << "no HTTP answer (" << error << ")";
    return out.str();
  }
  out << "HTTP " << status;
  for (const auto& [name, value] : headers) out << "\n  " << name << ": " << value;
  std::string shown = body.substr(0, 600);
  bool printable = std::all_of(shown.begin(), shown.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\n' || c == '\r' || c == '\t';
  });
  if (printable) {
    out << "\n  body: " << shown << (body.size() > shown.size() ? "..." : "");
  } else {
    out << "\n  body: <" << body.size() << " bytes>";
  }
  return out.str();
}

// ---------------------------------------------------------------- Api

Api::Api(int port, Headers defaults, ClientOptions options)
    : port_(port), defaults_(std::move(defaults)), options_(std::move(options)) {}

std::unique_ptr<httplib::Client> Api::NewClient() const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
  client->set_connection_timeout(static_cast<time_t>(options_.connect_timeout.count()), 0);
  client->set_read_timeout(static_cast<time_t>(options_.read_timeout.count()), 0);
  client->set_write_timeout(static_cast<time_t>(options_.write_timeout.count()), 0);
  client->set_keep_alive(false);
  client->set_url_encode(options_.url_encode);
  return client;
}

httplib::Headers Api::Merge(const Headers& headers) const {
  httplib::Headers out;
  for (const auto& [k, v] : defaults_) {
    bool overridden = std::any_of(headers.begin(), headers.end(),
                                  [&k](const auto& h) { return ToLower(h.first) == ToLower(k); });
    if (!overridden) out.emplace(k, v);
  }
  for (const auto& [k, v] : headers) out.emplace(k, v);
  return out;
}

Response Api::FromResult(const httplib::Result& result) {
  Response reply;
  if (!result) {
    reply.error = httplib::to_string(result.error());
    return reply;
  }
  reply.status = result->status;
  reply.headers = result->headers;
  reply.body = result->body;
  return reply;
}

Response Api::Send(const std::string& method, const std::string& path, const Headers& headers,
                   const std::string& body, const std::string& content_type) const {
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers = Merge(headers);
  // Added even beside a Content-Type of `headers`, as cpp-httplib's own
  // Post and Put do: a test may send two on purpose.
  if (!content_type.empty()) request.headers.emplace("Content-Type", content_type);
  request.body = body;
  return FromResult(NewClient()->send(request));
}

Response Api::Get(const std::string& path, const Headers& headers) const { return Send("GET", path, headers); }

Response Api::Head(const std::string& path, const Headers& headers) const { return Send("HEAD", path, headers); }

Response Api::Delete(const std::string& path, const Headers& headers) const {
  return Send("DELETE", path, headers);
}

Response Api::Post(const std::string& path, const Headers& headers, const std::string& body,
                   const std::optional<std::string>& content_type) const {
  return Send("POST", path, headers, body, content_type.value_or(options_.body_type));
}

Response Api::Put(const std::string& path, const Headers& headers, const std::string& body,
                  const std::optional<std::string>& content_type) const {
  return Send("PUT", path, headers, body, content_type.value_or(options_.body_type));
}

Response Api::PostJson(const std::string& path, const Headers& headers, const json& body) const {
  return Send("POST", path, headers, body.dump(), "application/json");
}

Response Api::PutJson(const std::string& path, const Headers& headers, const json& body) const {
  return Send("PUT", path, headers, body.dump(), "application/json");
}

Response Api::SendChunked(const std::string& method, const std::string& path, const Headers& headers,
                          const std::string& body, size_t piece,
                          const std::optional<std::string>& content_type) const {
  auto provider = [&body, piece](size_t offset, httplib::DataSink& sink) {
    if (offset >= body.size()) {
      sink.done();
      return true;
    }
    size_t n = std::min(piece, body.size() - offset);
    return sink.write(body.data() + offset, n);
  };
  std::string type = content_type.value_or(options_.body_type);
  auto client = NewClient();
  if (method == "PUT") return FromResult(client->Put(path.c_str(), Merge(headers), provider, type.c_str()));
  return FromResult(client->Post(path.c_str(), Merge(headers), provider, type.c_str()));
}

Api::Download Api::GetDigest(const std::string& path, const Headers& headers) const {
  Download download;
  Md5 md5;
  auto client = NewClient();
  auto result = client->Get(
      path.c_str(), Merge(headers), [](const httplib::Response&) { return true; },
      [&md5, &download](const char* data, size_t size) {
        md5.Update(data, size);
        download.bytes += static_cast<int64_t>(size);
        return true;
      });
  download.reply = FromResult(result);
  download.reply.body.clear();
  download.md5 = md5.HexDigest();
  return download;
}

// ---------------------------------------------------------------- headers

Headers ForTenant(const std::string& tenant, const std::string& roles, const std::string& user) {
  return {{"X-Identity-Status", "Confirmed"},
          {"X-Tenant-Id", tenant},
          {"X-User-Id", user.empty() ? "user-" + tenant : user},
          {"X-Roles", roles}};
}

Headers Admin(const std::string& tenant) { return ForTenant(tenant, "admin"); }

Headers With(Headers headers, const std::string& name, const std::string& value) {
  headers.emplace_back(name, value);
  return headers;
}

std::vector<std::string> SortedMethods(std::vector<std::string> methods) {
  for (auto& m : methods) {
    for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::sort(methods.begin(), methods.end());
  return methods;
}

std::vector<std::string> AllowSet(const Response& response) {
  std::vector<std::string> methods;
  std::stringstream in(response.Header("Allow"));
  std::string item;
  while (std::getline(in, item, ',')) {
    item = Trim(item);
    if (!item.empty()) methods.push_back(item);
  }
  return SortedMethods(methods);
}

// ---------------------------------------------------------------- JSON

std::string S(const json& object, const std::string& key) {
  if (!object.is_object() || !object.contains(key)) return "<missing>";
  const json& v = object.at(key);
  if (v.is_string()) return v.get<std::string>();
  return "<" + v.dump() + ">";
}

std::vector<std::string> Keys(const json& object) {
  std::vector<std::string> keys;
  if (!object.is_object()) return keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace testsupport
