// The HTTP the Swift store speaks: small requests through cpp-httplib and
// the one large one, an object PUT, written by hand so that its body goes
// from the upload file to the socket with sendfile(2) and never through
// user space.  Plain http only (see SwiftStoreOptions::FromConfig).
#ifndef GLANCE_SRC_STORE_SWIFT_HTTP_H_
#define GLANCE_SRC_STORE_SWIFT_HTTP_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <httplib.h>

namespace glance::swift {

// An http:// URL taken apart.
struct HttpUrl {
  std::string host;
  int port = 80;
  std::string path;  // no trailing '/'; "" for the root
};
bool ParseHttpUrl(const std::string& url, HttpUrl* out);

// What came back; status 0 when nothing did (`error` says why).
struct Reply {
  int status = 0;
  httplib::Headers headers;
  std::string body;
  std::string error;

  std::string Header(const std::string& name) const;
  // "HTTP 503" or the transport error, for log lines and messages.
  std::string Describe() const;
};

// One request with a body held in memory (or none).
Reply Send(const HttpUrl& server, const std::string& method, const std::string& path,
           const httplib::Headers& headers, const std::string& body, int timeout_seconds);

// PUT of `length` bytes of `fd` from `offset`, sent with sendfile(2).
Reply PutFileRange(const HttpUrl& server, const std::string& path, const httplib::Headers& headers,
                   int fd, off_t offset, int64_t length, int timeout_seconds);

}  // namespace glance::swift

#endif  // GLANCE_SRC_STORE_SWIFT_HTTP_H_
