// ToLibpqConnectionString: the [database] connection URL, parsed by libpq
// itself (PQconninfoParse), as libpq keywords.
#include "glance/db/database_url.h"

#include <libpq-fe.h>

#include <memory>
#include <string_view>

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

// SQLAlchemy ends the user info at the last '@' before the host, libpq at
// the first: a password may hold '@' unescaped.  Every other '@' is
// %-escaped, which libpq decodes back in every part of the URI.
std::string EscapeInnerAts(const std::string& rest) {
  size_t authority_end = rest.find_first_of("/?");  // npos: all of it
  size_t last_at = authority_end == 0 ? std::string::npos : rest.rfind('@', authority_end - 1);
  std::string out;
  for (size_t k = 0; k < rest.size(); ++k) {
    if (rest[k] == '@' && k != last_at) out += "%40";
    else out += rest[k];
  }
  return out;
}

// libpq's messages quote the URI, which may hold a password: only what
// went wrong is kept.  (Untranslated: the programs never call setlocale.)
std::string WhyUnparsable(std::string_view libpq_error) {
  struct Known {
    const char* prefix;
    const char* why;
  };
  static constexpr Known kKnown[] = {
      {"invalid percent-encoded token", "malformed %-escape"},
      {"forbidden value %00", "malformed %-escape"},
      {"end of string reached when looking for matching", "unclosed '[' in the host"},
      {"IPv6 host address may not be empty", "empty IPv6 address"},
      {"unexpected character", "unexpected text after the IPv6 address"},
      {"missing key/value separator", "query parameter without a value"},
      {"extra key/value separator", "query parameter with two '='"},
      {"invalid URI query parameter", "unknown query parameter"},
  };
  for (const Known& known : kKnown) {
    if (libpq_error.substr(0, std::string_view(known.prefix).size()) == known.prefix) return known.why;
  }
  return "libpq cannot parse it";
}

// A port, or the comma-separated ports of several hosts.
bool PortIsNumeric(std::string_view port) {
  while (true) {
    size_t comma = port.find(',');
    std::string_view one = port.substr(0, comma);
    if (!one.empty() && !ParseInt64(one)) return false;
    if (comma == std::string_view::npos) return true;
    port.remove_prefix(comma + 1);
  }
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
  auto bad = [](const std::string& why) {
    return Status::InvalidArgument("[database] connection is not a valid URL: " + why);
  };
  std::string uri = "postgresql://" + EscapeInnerAts(url.substr(scheme_end + 3));
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(uri.c_str(), &error), &PQconninfoFree);
  if (!options) {
    std::string why = error ? WhyUnparsable(error) : "out of memory";
    PQfreemem(error);
    return bad(why);
  }
  // host, port, user, password, dbname first (a URL's order), then any
  // other keyword in libpq's order.
  static constexpr std::string_view kFirst[] = {"host", "port", "user", "password", "dbname"};
  auto value_of = [&](std::string_view keyword) -> const char* {
    for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
      if (keyword == o->keyword) return o->val;
    }
    return nullptr;
  };
  if (const char* port = value_of("port"); port && !PortIsNumeric(port)) {
    return bad("the port is not a number");
  }
  libpq->clear();
  auto add = [&](std::string_view keyword, const char* value) {
    if (!value || !*value) return;  // "?host=" sets nothing, as an absent host
    *libpq += (libpq->empty() ? "" : " ") + std::string(keyword) + "=" + LibpqValue(value);
  };
  for (std::string_view keyword : kFirst) add(keyword, value_of(keyword));
  for (const PQconninfoOption* o = options.get(); o->keyword; ++o) {
    bool first = false;
    for (std::string_view keyword : kFirst) first = first || keyword == o->keyword;
    if (!first) add(o->keyword, o->val);
  }
  return Status::Ok();
}

}  // namespace glance
