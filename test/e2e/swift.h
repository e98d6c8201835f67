// The real Swift of the e2e run (scripts/swift, one all-in-one per test
// binary, started in the background beside Keystone when the run needs it)
// and what the tests ask of a Swift: its env values, a token, raw requests
// and container listings, its servers stopped and started, the object
// files on its device.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "e2e.h"

namespace e2e {

// GLANCE_E2E_STORE=swift: every Stack gets STORE=swift on the run's Swift
// (the data suites run again on it); unset or "file": the filesystem.
bool SwiftMode();

class Swift {
 public:
  // `dir` under GLANCE_TEST_TMPDIR: "swift-<pid>-<tag>".
  explicit Swift(std::string tag);
  ~Swift();
  Swift(const Swift&) = delete;
  Swift& operator=(const Swift&) = delete;

  // `scripts/swift up` in the background (through that Keystone when
  // `keystone_dir` is given); Wait() joins it.
  void StartInBackground(const std::string& keystone_dir = "");
  // Throws with the start-up log when Swift did not come up.
  void Wait();
  // `scripts/swift down`; the directory goes too unless `keep_logs` (then
  // only the stored objects go).
  void Stop(bool keep_logs);
  bool started() const { return started_; }

  const std::string& dir() const { return dir_; }
  // A value of swift.env as the last script call left it; throws when absent.
  std::string Var(const std::string& name) const;
  int port() const { return std::stoi(Var("SWIFT_PORT")); }

  // Runs `scripts/swift <verb> <dir>`; returns its stdout trimmed and
  // reloads swift.env; throws on failure.
  std::string Script(const std::string& verb);
  // A fresh token of the store's identity.
  std::string Token() { return Script("token"); }
  void StopProxy() { Script("stop-proxy"); }
  void StartProxy() { Script("start-proxy"); }
  void KillObject() { Script("kill-object"); }
  void StartObject() { Script("start-object"); }
  // SIGSTOP / SIGCONT to the object server's process group (its pid as
  // swift.env names it): it keeps its connections but does nothing.
  void PauseObject();
  void ResumeObject();
  // memcached's flush_all: every token the proxy knows is forgotten.
  void FlushTokens() const;

  // `method` on <storage URL><path> (path "/container/object?query")
  // with a token of the store's identity, once more with a new token
  // after a 401.
  Reply Request(const std::string& method, const std::string& path, const Headers& headers = {});
  // Objects of `container` whose names start with `prefix` (JSON
  // listing entries: name, bytes, hash, ...); empty when the container
  // does not exist.  Throws on any other answer.
  std::vector<json> List(const std::string& container, const std::string& prefix = "");
  std::vector<std::string> Names(const std::string& container, const std::string& prefix = "");
  // Regular files named *.data below SWIFT_DEVICES: the object files of
  // every container (tombstones are *.ts).
  int DataFiles() const;

 private:
  void LoadEnv();

  std::string dir_, log_;
  std::map<std::string, std::string> vars_;
  std::string start_error_;
  std::string token_;
  bool started_ = false;
  bool armed_ = false;
  std::thread starting_;  // scripts/swift up, until Wait() joins it
};

// The run's Swift (tempauth).  Started by the global fixture when
// SwiftMode() or the swift_store suite will run; Wait() before use.
Swift& TheSwift();
// The Swift a stack with STORE=swift uses (TheSwift unless the stack was
// given another SWIFT_DIR: then throws).
Swift& SwiftOf(const Stack& stack);
// At the end of the run, after every stack that uses it.
void StopTheSwift(bool keep_logs);

}  // namespace e2e
