// Programs the tests start (daemons, glance-manage, scripts) and the
// processes they watch through /proc.
#ifndef GLANCE_TEST_SUPPORT_PROCESS_H_
#define GLANCE_TEST_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace testsupport {

using namespace std::chrono_literals;

struct ProcessResult {
  bool exited = false;      // normal exit
  int exit_code = -1;       // when exited
  int term_signal = 0;      // when killed by a signal
  bool timed_out = false;   // we had to SIGKILL it
  std::string output;       // stdout (RunProgram only)
  std::string errors;       // stderr (RunProgram only)
};

struct SpawnOptions {
  // Set on top of (or instead of) this process's environment.
  std::map<std::string, std::string> extra_env;
  std::string stdout_path;  // required
  std::string stderr_path;  // "": the stdout file
  bool append = true;       // false: the files are truncated
  // The child leads a process group of its own, so WaitChild's deadline
  // kills what it started in the foreground too (a script's commands).
  bool own_process_group = false;
  // SIGTERM when this process dies (strictly: the thread that spawned it),
  // so a crashed test binary leaves no daemon behind; not for a script
  // whose daemons must outlive it.
  bool die_with_parent = false;
};

// Starts argv[0] (a path) as a child with stdin on /dev/null and no
// descriptor of ours but stdout/stderr; returns its pid.
pid_t Spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// Waits (bounded) for a child; SIGKILLs it (its group when it leads one)
// at the deadline.
ProcessResult WaitChild(pid_t pid, std::chrono::milliseconds timeout);

// The child's end when it has ended (and reaps it); nullopt while it runs.
std::optional<ProcessResult> TryReap(pid_t pid);

// Runs a program to completion and returns what it printed (through files
// in GLANCE_TEST_TMPDIR, removed afterwards).
ProcessResult RunProgram(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env = {},
                         std::chrono::milliseconds timeout = 60s);

// Runs a command (a script) with stdout+stderr appended to `log_path`, in a
// process group of its own that is killed after `timeout`.  Returns the
// exit code (-1 on timeout or signal).
int RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
               const std::string& log_path, std::chrono::seconds timeout);

// Starts a daemon in the background with stdout+stderr appended to
// log_path; it dies with this process.  Returns its pid.
pid_t SpawnProgram(const std::vector<std::string>& argv, const std::string& log_path);

// Polls `condition` every `step` until it holds or `limit` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit,
             std::chrono::milliseconds step = std::chrono::milliseconds(50));

// ---------------------------------------------------------------- /proc

bool ProcessAlive(pid_t pid);  // false for zombies too
std::vector<pid_t> ChildrenOf(pid_t pid);
std::string ProcessName(pid_t pid);  // /proc/<pid>/comm, "" when gone
std::optional<pid_t> ReadPidFile(const std::string& path);

}  // namespace testsupport

#endif  // GLANCE_TEST_SUPPORT_PROCESS_H_
