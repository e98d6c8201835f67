// ApiOptions: everything glance-api reads from glance-api.conf, under
// Glance's option names and defaults (spec §1).
#ifndef GLANCE_API_API_OPTIONS_H_
#define GLANCE_API_API_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "glance/api/external_source.h"
#include "glance/auth/keystone_options.h"
#include "glance/api/fcgi_server.h"
#include "glance/common/config.h"
#include "glance/common/healthcheck.h"
#include "glance/common/request_context.h"
#include "glance/image/list_query.h"
#include "glance/registry/registry_client.h"
#include "glance/store/store_set.h"

namespace glance::api {

struct ApiOptions {
  FcgiOptions fcgi;
  RegistryClientOptions registry;
  ContextOptions context;
  auth::KeystoneOptions keystone;  // flavor = keystone only
  ListLimits limits;
  HealthcheckOptions healthcheck;
  int64_t image_size_cap = 1099511627776LL;  // 1 TiB
  int64_t image_property_quota = 128;        // negative: unlimited
  int64_t image_member_quota = 128;
  int64_t image_tag_quota = 128;             // v2 tags per image; negative: unlimited
  // Glance's user_storage_quota in bytes (0: unlimited): what one tenant's
  // images may hold in all, counted at pre-flight and reserved atomically
  // when an upload's bytes are on disk.
  int64_t user_storage_quota = 0;
  // An upload that gave no sign of life this long (its worker, registry or
  // host died) ends killed and loses its bytes (UploadLeases).
  int64_t interrupted_upload_timeout = 60;
  std::vector<std::string> disk_formats{"ami", "ari", "aki", "vhd", "vhdx", "vmdk",
                                        "raw", "qcow2", "vdi", "iso", "ploop"};
  std::vector<std::string> container_formats{"ami", "ari", "aki", "bare", "ovf", "ova", "docker"};
  std::string datadir = "/var/lib/glance/images";
  std::string incoming_dir;                  // default: <datadir>/_incoming
  StoreOptions store;                        // [glance_store] (the same two dirs, swift, cache)
  bool delayed_delete = false;
  // [DEFAULT] metadata_cache_lease_ms: how long a worker trusts the images
  // it cached without asking whether anything changed, and how long a
  // change waits before it is acknowledged (src/api/image_read_cache.h);
  // the same on every api node.  0: no cache in the workers.
  int metadata_cache_lease_ms = 3;
  std::string public_endpoint;               // base URL for links; default from Host
  std::string data_location = "/_glance_image_data/";  // nginx internal location
  std::string source_location = "/_glance_image_source/";  // nginx, proxies to a location
  // The port nginx serves this API on: with registry_port, what external
  // sources may never point at by default (spec §20.7).
  int bind_port = 9292;
  ExternalSourceOptions external_sources;
  // Policy (spec §3.4, §20.7): who may use x-glance-api-copy-from and
  // x-image-meta-location.
  bool copy_from_admin_only = true;
  bool set_image_location_admin_only = true;
  // Glance's option: show an image's external location to clients
  // (x-image-meta-location, "location" in single-image JSON).
  bool show_image_direct_url = false;

  static ApiOptions FromConfig(const Config& config);
};

}  // namespace glance::api

#endif  // GLANCE_API_API_OPTIONS_H_
