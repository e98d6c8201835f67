// SwiftAccount: the service's own Swift credentials turned into a token
// and a storage URL, kept while valid, renewed before they expire and
// after Swift refuses them.  tempauth (auth version 1: GET auth/v1.0 with
// X-Auth-User/X-Auth-Key) or Keystone (version 3: a project-scoped
// password token, the object-store endpoint from its catalog).
// Thread-safe: one account is shared by a worker's threads.
#ifndef GLANCE_SRC_STORE_SWIFT_ACCOUNT_H_
#define GLANCE_SRC_STORE_SWIFT_ACCOUNT_H_

#include <ctime>
#include <mutex>
#include <optional>
#include <string>

#include "glance/common/status.h"
#include "glance/store/swift_options.h"
#include "swift_http.h"

namespace glance::swift {

struct Session {
  std::string token;
  std::string storage_url;  // http://host:port/v1/AUTH_x
  HttpUrl storage;          // the same, taken apart
  std::time_t expires_at = 0;
};

class SwiftAccount {
 public:
  explicit SwiftAccount(const SwiftStoreOptions& options) : options_(options) {}

  // A session valid for at least another minute: kUnauthorized when Swift
  // or Keystone refuses the credentials, kUnavailable when they cannot be
  // asked.
  Status Current(Session* session);
  // Forgets `token` after Swift answered 401 to it; the next Current
  // authenticates again.
  void Refused(const std::string& token);

 private:
  Status Authenticate(Session* session) const;
  Status AuthenticateV1(Session* session) const;
  Status AuthenticateV3(Session* session) const;

  const SwiftStoreOptions& options_;
  std::mutex mutex_;
  std::optional<Session> current_;
};

}  // namespace glance::swift

#endif  // GLANCE_SRC_STORE_SWIFT_ACCOUNT_H_
