// Start-up shared by every program: --config-file/--help/--version command
// lines (Boost.Program_options, oslo.config's flag names), logging set up
// from the config, a signal thread that turns SIGTERM/SIGINT into an
// orderly stop and SIGHUP into a reload, and systemd's readiness protocol.
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
// calls on_stop once when SIGTERM or SIGINT arrives, and on_reload (if
// given) on each SIGHUP.
void StartSignalThread(std::function<void()> on_stop, std::function<void()> on_reload = {});

// oslo.log's options: `debug` (or --debug) and `log_file`, relative to
// `log_dir` when that is set (`log_dir` alone means <log_dir>/<program>.log).
// Without either, lines stay on stderr (the journal under systemd).  False
// with `error` set when the file cannot be opened.
bool SetUpLogging(const Config& config, const std::string& program, bool debug_flag,
                  std::string* error);

// Logs what a SIGHUP reload changed, one line per option ("reload:
// [DEFAULT] api_limit_max: '1000' -> '500'"), or that nothing did.  Options
// whose "[section] key" starts with an entry of `restart_only` are marked
// as taking effect only after a restart.
void LogConfigChanges(const Config& before, const Config& after,
                      const std::vector<std::string>& restart_only);

// Tells systemd about the service's state ("READY=1", "RELOADING=1",
// "STOPPING=1", "STATUS=..."); a no-op when not started by systemd with
// Type=notify.
void NotifyService(const std::string& state);

}  // namespace glance

#endif  // GLANCE_COMMON_PROGRAM_H_
