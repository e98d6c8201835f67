// The emergency stop of the e2e binary: when it is interrupted (SIGINT,
// SIGTERM, SIGHUP), what its stacks and its Keystone started must not keep
// running.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

#include "e2e.h"

extern char** environ;

namespace e2e {

namespace {

// Each armed owner's command (`scripts/stack stop`, `scripts/keystone
// down`), prepared in advance so the handler only forks, execs and waits.
struct EmergencyStop {
  volatile sig_atomic_t active = 0;
  std::vector<std::string> args, env;
  std::vector<char*> argv, envp;
  const void* owner = nullptr;
};
// Enough for every stack, Keystone and Swift one run has up at once (the
// swift_store suite alone adds six).
EmergencyStop g_emergency[32];

void OnTerminatingSignal(int signal_number) {
  for (auto& slot : g_emergency) {
    if (!slot.active) continue;
    pid_t pid = ::fork();
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      ::execve(slot.argv[0], slot.argv.data(), slot.envp.data());
      _exit(127);
    }
    if (pid > 0) {
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace

void ArmEmergencyStop(const void* owner, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& extra_env) {
  for (auto& slot : g_emergency) {
    if (slot.active) continue;
    slot.owner = owner;
    slot.args = args;
    slot.env.clear();
    for (char** e = environ; e && *e; ++e) {
      std::string entry(*e);
      if (!extra_env.count(entry.substr(0, entry.find('=')))) slot.env.push_back(entry);
    }
    for (const auto& [k, v] : extra_env) slot.env.push_back(k + "=" + v);
    slot.argv.clear();
    slot.envp.clear();
    for (auto& a : slot.args) slot.argv.push_back(a.data());
    slot.argv.push_back(nullptr);
    for (auto& e : slot.env) slot.envp.push_back(e.data());
    slot.envp.push_back(nullptr);
    slot.active = 1;
    return;
  }
  std::cerr << "e2e: no emergency-stop slot is free: an interrupted run would leave this running:";
  for (const std::string& a : args) std::cerr << " " << a;
  std::cerr << "\n";
}

void DisarmEmergencyStop(const void* owner) {
  for (auto& slot : g_emergency) {
    if (slot.active && slot.owner == owner) slot.active = 0;
  }
}

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnTerminatingSignal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal_number, &action, nullptr);
}

}  // namespace e2e
