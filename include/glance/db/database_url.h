// The [database] connection setting: Glance's SQLAlchemy-style URL turned
// into what libpq connects with.  The registry, glance-manage and the
// repository all read the setting through this one function.
#ifndef GLANCE_DB_DATABASE_URL_H_
#define GLANCE_DB_DATABASE_URL_H_

#include <string>

#include "glance/common/status.h"

namespace glance {

// Turns Glance's SQLAlchemy-style URL (postgresql[+driver]://user:pw@host:port/db?k=v)
// into a libpq keyword/value string ("host=... port=... dbname=..."), the
// %-escapes decoded.  Keywords rather than the URI, because SOCI 4.0 splits
// the connection string into key=value options and mangles a URI without a
// query ("…/glance" reached libpq as database "glance=").  Fails for other
// schemes and malformed URLs, without quoting the URL (it may hold a
// password).
Status ToLibpqConnectionString(const std::string& url, std::string* libpq);

}  // namespace glance

#endif  // GLANCE_DB_DATABASE_URL_H_
