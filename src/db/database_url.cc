// ToLibpqConnectionString: the [database] connection URL as libpq keywords.
#include "glance/db/database_url.h"

#include <optional>
#include <utility>
#include <vector>

#include "glance/common/text.h"

namespace glance {

namespace {

// libpq's quoting: a value with spaces, quotes or backslashes (or an empty
// one) goes in single quotes with ' and \ escaped.
std::string LibpqValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" '\\") == std::string::npos) return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

}  // namespace

Status ToLibpqConnectionString(const std::string& url, std::string* libpq) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return Status::InvalidArgument("[database] connection must be a postgresql:// URL");
  }
  std::string scheme = url.substr(0, scheme_end);
  size_t plus = scheme.find('+');  // postgresql+psycopg2://
  if (plus != std::string::npos) scheme.resize(plus);
  if (scheme != "postgresql" && scheme != "postgres") {
    return Status::InvalidArgument("[database] connection scheme '" + scheme +
                                   "' is not supported: only postgresql:// is");
  }
  // The URL may hold a password: errors name the problem, not the text.
  auto bad = [](const std::string& why) {
    return Status::InvalidArgument("[database] connection is not a valid URL: " + why);
  };
  std::string rest = url.substr(scheme_end + 3);
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  std::string path;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    path = rest.substr(slash + 1);
    rest.resize(slash);
  }
  // The password may contain '@': the host part follows the last one.
  std::string userinfo, hostport = rest;
  if (size_t at = rest.rfind('@'); at != std::string::npos) {
    userinfo = rest.substr(0, at);
    hostport = rest.substr(at + 1);
  }
  std::vector<std::pair<std::string, std::string>> keywords;
  auto add = [&](const std::string& key, const std::string& raw) -> bool {
    if (raw.empty()) return true;
    std::optional<std::string> value = UrlDecode(raw, false);
    if (!value) return false;
    keywords.emplace_back(key, *value);
    return true;
  };
  std::string host = hostport, port;
  if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
    size_t close = hostport.find(']');
    if (close == std::string::npos) return bad("unclosed '[' in the host");
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return bad("unexpected text after the IPv6 address");
      port = hostport.substr(close + 2);
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (!port.empty() && !ParseInt64(port)) return bad("the port is not a number");
  std::string user = userinfo, password;
  if (size_t colon = userinfo.find(':'); colon != std::string::npos) {
    user = userinfo.substr(0, colon);
    password = userinfo.substr(colon + 1);
  }
  if (!add("host", host) || !add("port", port) || !add("user", user) ||
      !add("password", password) || !add("dbname", path)) {
    return bad("malformed %-escape");
  }
  for (const std::string& pair : SplitAndTrim(query, '&')) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return bad("query parameter without a value");
    if (!add(pair.substr(0, eq), pair.substr(eq + 1))) return bad("malformed %-escape");
  }
  libpq->clear();
  for (const auto& [key, value] : keywords) {
    *libpq += (libpq->empty() ? "" : " ") + key + "=" + LibpqValue(value);
  }
  return Status::Ok();
}

}  // namespace glance
