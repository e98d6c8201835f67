// Start-up shared by every program: --config-file/--help/--version command
// lines (Boost.Program_options, oslo.config's flag names) and a signal
// thread that turns SIGTERM/SIGINT into an orderly stop.
#ifndef GLANCE_COMMON_PROGRAM_H_
#define GLANCE_COMMON_PROGRAM_H_

#include <signal.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "glance/common/config.h"

namespace glance {

inline constexpr const char* kGlanceVersion = "0.1.0";

struct ProgramArgs {
  std::vector<std::string> config_files;
  std::vector<std::string> positional;  // sub-commands (glance-manage)
  bool debug = false;
};

// Parses the command line.  Returns an exit code when the program should
// stop now (after --help, --version, or a usage error), nullopt otherwise.
std::optional<int> ParseProgramArgs(int argc, char** argv, const std::string& name,
                                    const std::string& description,
                                    const std::string& default_config, bool takes_commands,
                                    ProgramArgs* args);

// Loads and merges the config files in order (later files override).
Config LoadConfigFiles(const std::vector<std::string>& paths);

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads started
// later inherit the mask; the signals are then taken with sigwait) and
// ignores SIGPIPE.  Returns the blocked set.
sigset_t BlockControlSignals();

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call before
// starting other threads, which inherit the mask) and starts a thread that
// calls on_stop once when SIGTERM or SIGINT arrives.
void StartSignalThread(std::function<void()> on_stop);

}  // namespace glance

#endif  // GLANCE_COMMON_PROGRAM_H_
