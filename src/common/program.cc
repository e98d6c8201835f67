#include "glance/common/program.h"

#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <thread>

#include "glance/common/logging.h"

namespace glance {

namespace po = boost::program_options;

std::optional<int> ParseProgramArgs(int argc, char** argv, const std::string& name,
                                    const std::string& description,
                                    const std::string& default_config, bool takes_commands,
                                    ProgramArgs* args) {
  po::options_description visible("Options");
  visible.add_options()
      ("help,h", "show this help and exit")
      ("version", "print the version and exit")
      ("config-file", po::value<std::vector<std::string>>(&args->config_files)->composing(),
       ("INI file to read; may be given more than once, later files override earlier "
        "ones (default: " + default_config + ")").c_str())
      ("debug,d", po::bool_switch(&args->debug), "log at DEBUG level");
  po::options_description all;
  all.add(visible);
  all.add_options()("command", po::value<std::vector<std::string>>(&args->positional));
  po::positional_options_description positional;
  if (takes_commands) positional.add("command", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << name << ": " << e.what() << "\nTry '" << name << " --help'.\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "Usage: " << name << (takes_commands ? " [OPTIONS] COMMAND" : " [OPTIONS]")
              << "\n\n" << description << "\n\n" << visible << std::endl;
    return 0;
  }
  if (vm.count("version")) {
    std::cout << name << " (glance-cpp) " << kGlanceVersion << std::endl;
    return 0;
  }
  if (args->config_files.empty() && !default_config.empty()) {
    args->config_files.push_back(default_config);
  }
  return std::nullopt;
}

Config LoadConfigFiles(const std::vector<std::string>& paths) {
  Config merged;
  for (const std::string& path : paths) {
    Config one = Config::LoadFile(path);
    merged.MergeFrom(one);
  }
  return merged;
}

sigset_t BlockControlSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

void StartSignalThread(std::function<void()> on_stop, std::function<void()> on_reload) {
  sigset_t set = BlockControlSignals();
  std::thread([set, on_stop = std::move(on_stop), on_reload = std::move(on_reload)] {
    for (;;) {
      int signal_number = 0;
      if (sigwait(&set, &signal_number) != 0) continue;
      if (signal_number == SIGTERM || signal_number == SIGINT) {
        on_stop();
        return;
      }
      if (signal_number == SIGHUP) {
        ReopenLogFile();
        if (on_reload) on_reload();
      }
    }
  }).detach();
}

bool SetUpLogging(const Config& config, const std::string& program, bool debug_flag,
                  std::string* error) {
  SetLogDebug(debug_flag || config.GetBool("DEFAULT", "debug", false));
  std::string file = config.GetString("DEFAULT", "log_file", "");
  std::string dir = config.GetString("DEFAULT", "log_dir", "");
  if (file.empty() && dir.empty()) return true;
  if (file.empty()) file = program + ".log";
  if (!dir.empty() && file.front() != '/') file = dir + "/" + file;
  return RedirectLogToFile(file, error);
}

void LogConfigChanges(const Config& before, const Config& after,
                      const std::vector<std::string>& restart_only) {
  std::vector<std::string> changes = before.DescribeChanges(after);
  if (changes.empty()) LogInfo("reload: configuration unchanged");
  for (const std::string& change : changes) {
    bool needs_restart = false;
    for (const std::string& prefix : restart_only) {
      if (change.rfind(prefix, 0) == 0) needs_restart = true;
    }
    if (needs_restart) {
      LogWarning("reload: " + change + " (takes effect only after a restart)");
    } else {
      LogInfo("reload: " + change);
    }
  }
}

void NotifyService(const std::string& state) { sd_notify(0, state.c_str()); }

}  // namespace glance
