// SwiftStoreOptions: the Swift store's settings under glance_store's option
// names ([glance_store] swift_store_*), with its defaults.  Sizes are given
// in MB in the file, as glance_store has them, and held here in bytes.
#ifndef GLANCE_STORE_SWIFT_OPTIONS_H_
#define GLANCE_STORE_SWIFT_OPTIONS_H_

#include <cstdint>
#include <string>

#include "glance/common/config.h"

namespace glance {

struct SwiftStoreOptions {
  // tempauth: http://host:port/auth/v1.0 (version 1); Keystone:
  // http://host:5000/v3 (version 3).
  std::string auth_address;
  int auth_version = 3;
  // "account:user" (tempauth) or "project:user" (Keystone), as
  // glance_store takes them.
  std::string user;
  std::string key;
  std::string user_domain_id = "default";     // Keystone only
  std::string project_domain_id = "default";  // Keystone only
  std::string container = "glance";
  bool create_container_on_put = false;
  int64_t large_object_size = 5120LL << 20;       // above it: a static large object
  int64_t large_object_chunk_size = 200LL << 20;  // its segments' size
  std::string region;                             // any region when empty
  std::string endpoint_type = "publicURL";
  std::string service_type = "object-store";
  // The name the locations carry (swift+config://<reference>/<container>/<id>):
  // never a user or a key, which stay in the configuration file.
  std::string reference = "ref1";
  int timeout_seconds = 60;  // connect and each read or write

  // The segments of image X are <container>_segments/X/00000001, ...
  std::string segment_container() const { return container + "_segments"; }

  // Throws ConfigError for a missing address, user or key, an unknown auth
  // version, a container name that is not a plain name, or sizes below 1 MB.
  static SwiftStoreOptions FromConfig(const Config& config);
};

}  // namespace glance

#endif  // GLANCE_STORE_SWIFT_OPTIONS_H_
