#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "files.h"

extern char** environ;

namespace testsupport {

namespace fs = std::filesystem;

namespace {

// argv/envp arrays built before fork(), so the child only calls
// async-signal-safe functions.
struct CArgs {
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  explicit CArgs(std::vector<std::string> items) : storage(std::move(items)) {
    for (auto& s : storage) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  char** get() { return pointers.data(); }
};

std::vector<std::string> BuildEnv(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    if (extra.count(entry.substr(0, entry.find('=')))) continue;
    env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

void FillEnded(int status, ProcessResult* result) {
  if (WIFEXITED(status)) {
    result->exited = true;
    result->exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result->term_signal = WTERMSIG(status);
  }
}

}  // namespace

pid_t Spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw std::runtime_error("Spawn: empty argv");
  CArgs args(argv);
  CArgs envp(BuildEnv(options.extra_env));
  const std::string& error_path = options.stderr_path.empty() ? options.stdout_path : options.stderr_path;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (options.append ? O_APPEND : O_TRUNC);
  int out = ::open(options.stdout_path.c_str(), flags, 0644);
  if (out < 0) throw std::runtime_error("cannot open " + options.stdout_path + ": " + std::strerror(errno));
  int err = out;
  if (error_path != options.stdout_path) {
    err = ::open(error_path.c_str(), flags, 0644);
    if (err < 0) {
      ::close(out);
      throw std::runtime_error("cannot open " + error_path + ": " + std::strerror(errno));
    }
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  long max_fd = ::sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    if (err != out) ::close(err);
    if (devnull >= 0) ::close(devnull);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      // The parent may have died before prctl took effect.
      if (::getppid() != parent) ::_exit(127);
    }
    if (options.own_process_group) ::setpgid(0, 0);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Daemons must not inherit the sockets and files the tests hold open
    // (a listening socket or a connection kept by a daemon changes what
    // the next test sees).
    for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
    ::execve(args.get()[0], args.get(), envp.get());
    const char msg[] = "exec failed\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  // Also here: a deadline that passes before the child ran must still find
  // the group.
  if (options.own_process_group) ::setpgid(pid, pid);
  ::close(out);
  if (err != out) ::close(err);
  if (devnull >= 0) ::close(devnull);
  return pid;
}

ProcessResult WaitChild(pid_t pid, std::chrono::milliseconds timeout) {
  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      FillEnded(status, &result);
      return result;
    }
    if (r < 0 && errno != EINTR) {
      result.exit_code = -1;
      return result;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(10ms);
  }
  result.timed_out = true;
  // A group leader's group only: daemons a script started called setsid
  // and are not in it.
  ::kill(::getpgid(pid) == pid ? -pid : pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  FillEnded(status, &result);
  return result;
}

std::optional<ProcessResult> TryReap(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
  ProcessResult result;
  FillEnded(status, &result);
  return result;
}

ProcessResult RunProgram(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env,
                         std::chrono::milliseconds timeout) {
  SpawnOptions options;
  options.extra_env = extra_env;
  options.stdout_path = TempPath("run", ".out");
  options.stderr_path = options.stdout_path.substr(0, options.stdout_path.size() - 4) + ".err";
  options.append = false;
  options.die_with_parent = true;
  ProcessResult result = WaitChild(Spawn(argv, options), timeout);
  result.output = ReadFile(options.stdout_path);
  result.errors = ReadFile(options.stderr_path);
  std::error_code ec;
  fs::remove(options.stdout_path, ec);
  fs::remove(options.stderr_path, ec);
  return result;
}

int RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
               const std::string& log_path, std::chrono::seconds timeout) {
  SpawnOptions options;
  options.extra_env = extra_env;
  options.stdout_path = log_path;
  options.own_process_group = true;
  ProcessResult result = WaitChild(Spawn(argv, options), timeout);
  if (result.timed_out) {
    std::ofstream(log_path, std::ios::app) << "\n[test] command timed out after " << timeout.count()
                                           << " s and was killed\n";
  }
  return result.exited ? result.exit_code : -1;
}

pid_t SpawnProgram(const std::vector<std::string>& argv, const std::string& log_path) {
  SpawnOptions options;
  options.stdout_path = log_path;
  options.die_with_parent = true;
  return Spawn(argv, options);
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit,
             std::chrono::milliseconds step) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
}

// ---------------------------------------------------------------- /proc

namespace {

// State letter of /proc/<pid>/stat, '\0' when gone.
char ProcessState(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  // The name in parentheses may itself hold spaces and parentheses.
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return '\0';
  return stat[close_paren + 2];
}

}  // namespace

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  char state = ProcessState(pid);
  return state != '\0' && state != 'Z' && state != 'X';
}

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  if (!fs::exists(task_dir, ec)) return out;
  // Each thread lists the children it forked.
  for (const auto& task : fs::directory_iterator(task_dir, ec)) {
    std::istringstream in(ReadFile(task.path().string() + "/children"));
    pid_t child;
    while (in >> child) {
      if (std::find(out.begin(), out.end(), child) == out.end()) out.push_back(child);
    }
  }
  return out;
}

std::string ProcessName(pid_t pid) {
  std::string name = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
  return name;
}

std::optional<pid_t> ReadPidFile(const std::string& path) {
  std::istringstream in(ReadFile(path));
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

}  // namespace testsupport
