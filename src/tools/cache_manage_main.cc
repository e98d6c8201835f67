// glance-cache-manage: the image cache (nginx's proxy_cache in front of the
// Swift store; glance/store/image_cache.h) as an operator sees it, with the
// verbs of Glance's tool.  A command on the api host rather than admin
// routes of the api: the cache is one host's nginx state, so listing and
// clearing it is a local act (run it on each api host), and the workers
// need no route that writes outside the image catalogue.  queue-image
// fetches the image through this host's api at once (so nginx caches it,
// after the same authorisation as any download) instead of queueing it for
// a prefetcher.
#include <ctime>
#include <iomanip>
#include <iostream>

#include <httplib.h>

#include "glance/common/logging.h"
#include "glance/common/program.h"
#include "glance/common/text.h"
#include "glance/common/uuid.h"
#include "glance/store/image_cache.h"
#include "glance/store/store_set.h"

namespace {

using namespace glance;

std::string UtcTime(std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  return buffer;
}

int ListCached(const ImageCache& cache) {
  std::vector<CachedImage> images;
  Status s = cache.List(&images);
  if (!s.ok()) {
    std::cerr << "glance-cache-manage: " << s.message() << "\n";
    return 1;
  }
  if (images.empty()) {
    std::cout << "No cached images.\n";
    return 0;
  }
  std::cout << "Found " << images.size() << " cached images...\n"
            << std::left << std::setw(38) << "ID" << std::setw(22) << "Last Accessed (UTC)"
            << std::setw(22) << "Last Modified (UTC)" << "Size\n";
  for (const CachedImage& image : images) {
    std::cout << std::left << std::setw(38) << image.id << std::setw(22) << UtcTime(image.last_access)
              << std::setw(22) << UtcTime(image.cached_at) << image.size << "\n";
  }
  return 0;
}

// GET of the image's data through this host's api (v2), bytes dropped.
int QueueImage(const Config& config, const std::string& id, const std::string& token) {
  int port = static_cast<int>(config.GetInt("DEFAULT", "bind_port", 9292));
  httplib::Client api("127.0.0.1", port);
  api.set_read_timeout(3600, 0);
  httplib::Headers headers;
  std::string flavor = config.GetString("paste_deploy", "flavor", "");
  if (!token.empty()) headers.emplace("X-Auth-Token", token);
  if (flavor == "trusted-auth") {
    // The identity an authenticating front would assert for an operator.
    headers.emplace("X-Identity-Status", "Confirmed");
    headers.emplace("X-Roles", config.GetString("DEFAULT", "admin_role", "admin"));
    headers.emplace("X-User-Id", "glance-cache-manage");
  }
  int64_t bytes = 0;
  auto result = api.Get(("/v2/images/" + id + "/file").c_str(), headers,
                        [&bytes](const char*, size_t length) {
                          bytes += static_cast<int64_t>(length);
                          return true;
                        });
  if (!result) {
    std::cerr << "glance-cache-manage: the api on 127.0.0.1:" << port << " did not answer ("
              << httplib::to_string(result.error()) << ")\n";
    return 1;
  }
  if (result->status != 200) {
    std::cerr << "glance-cache-manage: the api answered " << result->status << " for image " << id
              << "\n";
    return 1;
  }
  std::cout << "Cached image " << id << " (" << bytes << " bytes, " << result->get_header_value("X-Glance-Cache")
            << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ProgramArgs args;
  if (auto code = ParseProgramArgs(
          argc, argv, "glance-cache-manage",
          "The image cache of this api host (image_cache_dir; nginx fills and evicts it).\n"
          "Commands:\n"
          "  list-cached                 cached images: id, last access, when cached, size\n"
          "  delete-cached-image ID      drop one image's cached copy\n"
          "  delete-all-cached-images    drop every cached copy\n"
          "  queue-image ID              fetch an image into the cache now, through this\n"
          "                              host's api (OS_AUTH_TOKEN: a token that may read it,\n"
          "                              in keystone mode)",
          "/etc/glance/glance-api.conf", true, &args)) {
    return *code;
  }
  SetLogComponent("glance.cache");
  const std::vector<std::string>& words = args.positional;
  if (words.empty()) {
    std::cerr << "glance-cache-manage: give a command (--help lists them)\n";
    return 2;
  }
  Config config;
  StoreOptions store;
  try {
    config = LoadConfigFiles(args.config_files);
    store = StoreOptions::FromConfig(config);
  } catch (const ConfigError& e) {
    std::cerr << "glance-cache-manage: " << e.what() << std::endl;
    return 2;
  }
  if (store.image_cache_dir.empty()) {
    std::cerr << "glance-cache-manage: the image cache is off (image_cache_dir is not set, or "
                 "swift is not among the stores)\n";
    return 2;
  }
  ImageCache cache(store.image_cache_dir);
  const std::string& verb = words[0];
  bool takes_id = verb == "delete-cached-image" || verb == "queue-image";
  if ((takes_id && (words.size() != 2 || !IsUuidLike(words[1]))) || (!takes_id && words.size() != 1)) {
    std::cerr << "glance-cache-manage: " << verb
              << (takes_id ? " takes one image id" : " takes no argument") << "\n";
    return 2;
  }
  if (verb == "list-cached") return ListCached(cache);
  if (verb == "delete-cached-image") {
    Status s = cache.Remove(ToLower(words[1]));
    if (!s.ok()) {
      std::cerr << "glance-cache-manage: " << s.message() << "\n";
      return 1;
    }
    std::cout << "Deleted cached image " << words[1] << "\n";
    return 0;
  }
  if (verb == "delete-all-cached-images") {
    int removed = 0;
    Status s = cache.RemoveAll(&removed);
    std::cout << "Deleted " << removed << " cached images\n";
    if (!s.ok()) std::cerr << "glance-cache-manage: " << s.message() << "\n";
    return s.ok() ? 0 : 1;
  }
  if (verb == "queue-image") {
    const char* token = std::getenv("OS_AUTH_TOKEN");
    return QueueImage(config, words[1], token ? token : "");
  }
  std::cerr << "glance-cache-manage: unknown command " << verb << " (--help lists them)\n";
  return 2;
}
