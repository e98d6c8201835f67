// glance-api: the v1 image API as a pool of FastCGI workers behind nginx.
#include <sys/prctl.h>

#include <iostream>

#include "glance/api/api_controller.h"
#include "glance/common/logging.h"
#include "glance/common/program.h"
#include "glance/store/filesystem_store.h"
#include "glance/store/incoming_writeback.h"

int main(int argc, char** argv) {
  using namespace glance;
  ProgramArgs args;
  if (auto code = ParseProgramArgs(argc, argv, "glance-api",
                                   "Serves the OpenStack Image API v1 as FastCGI workers behind "
                                   "nginx; nginx moves the image bytes.",
                                   "/etc/glance/glance-api.conf", false, &args)) {
    return *code;
  }
  SetLogComponent("glance.api");
  SetLogDebug(args.debug);
  api::ApiOptions options;
  try {
    options = api::ApiOptions::FromConfig(LoadConfigFiles(args.config_files));
  } catch (const ConfigError& e) {
    std::cerr << "glance-api: " << e.what() << std::endl;
    return 2;
  }
  FilesystemStore store(options.datadir, options.incoming_dir);
  if (Status s = store.Prepare(); !s.ok()) {
    std::cerr << "glance-api: image store: " << s.message() << std::endl;
    return 2;
  }
  if (options.context.mode == AuthMode::kNoAuth) {
    LogWarning("auth mode is noauth: EVERY REQUEST ACTS AS AN ADMIN. Use [paste_deploy] "
               "flavor = trusted-auth behind an authenticating front for anything but a "
               "private development stack.");
  }
  api::ApiController controller(options);
  return api::RunFcgiServer(
      options.fcgi, [&controller] { controller.StartWorker(); },
      [&controller](const api::HttpRequest& request, api::HttpResponse* response) {
        controller.Handle(request, response);
      },
      [&controller](std::chrono::seconds limit) { controller.StopWorker(limit); },
      [&options] {
        // Named apart from the workers in ps/top and for the stack's tests.
        prctl(PR_SET_NAME, "glance-api-wb");
        RunIncomingWriteback(options.incoming_dir);
      });
}
