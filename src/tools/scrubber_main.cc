// glance-scrubber: one clean-up pass over delayed deletes and store
// leftovers (see glance/scrubber/scrubber.h); a systemd timer runs it.
#include <ctime>
#include <iostream>

#include "glance/common/logging.h"
#include "glance/common/program.h"
#include "glance/scrubber/scrubber.h"
#include "glance/store/store_set.h"

int main(int argc, char** argv) {
  using namespace glance;
  ProgramArgs args;
  if (auto code = ParseProgramArgs(
          argc, argv, "glance-scrubber",
          "Runs one clean-up pass and exits (glance-scrubber.timer repeats it):\n"
          "  - pending_delete images older than scrub_time seconds lose their data and\n"
          "    become deleted (delayed_delete = true in glance-api.conf);\n"
          "  - store files that no live image owns and upload temp files left in the\n"
          "    incoming directory, both unchanged for scrubber_orphan_grace_time seconds\n"
          "    (default 86400), are removed.\n"
          "It reads glance-api.conf (registry address, store directories) and talks to\n"
          "glance-registry as an admin.  Safe to run on several hosts at once.\n"
          "Exit status: 0 when the pass finished without errors, 1 when something\n"
          "failed (logged; the next pass retries it), 2 for a bad configuration.",
          "/etc/glance/glance-api.conf", false, &args)) {
    return *code;
  }
  SetLogComponent("glance.scrubber");
  ScrubberOptions options;
  StoreOptions store_options;
  try {
    Config config = LoadConfigFiles(args.config_files);
    std::string error;
    if (!SetUpLogging(config, "glance-scrubber", args.debug, &error)) throw ConfigError(error);
    options = ScrubberOptions::FromConfig(config);
    store_options = StoreOptions::FromConfig(config);
  } catch (const ConfigError& e) {
    std::cerr << "glance-scrubber: " << e.what() << std::endl;
    return 2;
  }
  if (!options.delayed_delete) {
    LogInfo("delayed_delete is off: no new pending_delete images will appear; scrubbing what "
            "is left and the store's leftovers");
  }
  StoreSet store(std::move(store_options));
  Scrubber scrubber(options, store);
  ScrubReport report;
  Status s = scrubber.Run(std::time(nullptr), &report);
  if (!s.ok()) {
    LogError("scrub pass failed: " + s.message());
    return 1;
  }
  LogInfo("scrub pass done: " + report.Summary());
  return report.errors == 0 ? 0 : 1;
}
