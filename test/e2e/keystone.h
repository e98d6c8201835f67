// The real Keystone of the e2e run (scripts/keystone, once per test
// binary, started beside the other stacks) and the keystone-mode stack
// that validates tokens with it.
#pragma once

#include <map>
#include <string>
#include <thread>

#include "e2e.h"

namespace e2e {

// The seconds the keystone stack keeps an answer about a token: short, so
// that a revocation shows within a test, long enough for a test to use a
// cached token after stopping Keystone.
constexpr int kKeystoneTokenCacheSeconds = 8;

class Keystone {
 public:
  // Starts `scripts/keystone up` in the background; Wait() joins it.
  void StartInBackground();
  // Throws with the start-up log when Keystone did not come up; starts
  // it (and waits) when it was never started.
  void Wait();
  void Stop();

  const std::string& dir() const { return dir_; }
  // A value of keystone.env (KEYSTONE_URL, DEMO_PROJECT_ID, ...); throws when absent.
  std::string Var(const std::string& name) const;
  int port() const;
  Api api(Headers defaults = {}) const { return Api(port(), std::move(defaults)); }

  // Runs `scripts/keystone <verb> <dir> <args...>`; returns its stdout
  // trimmed, throws on failure.
  std::string Script(const std::string& verb, const std::vector<std::string>& args = {}) const;
  // A fresh project-scoped token of admin, demo, alt_demo or glance.
  std::string Token(const std::string& user) const { return Script("token", {user}); }

  // A project with one user holding `member` on it (REST, as admin);
  // returns the project id and fills `token` with the user's token.
  std::string NewProjectUser(const std::string& name, std::string* token) const;
  // Disables then enables a user: Keystone revokes every token it holds.
  void RevokeUserTokens(const std::string& user_id) const;

 private:
  std::string dir_, log_;
  std::map<std::string, std::string> vars_;
  std::string start_error_;
  bool started_ = false;
  std::thread starting_;  // scripts/keystone up, until Wait() joins it
};

Keystone& TheKeystone();
// The keystone-mode stack (token_cache_time kKeystoneTokenCacheSeconds),
// started at first use.
Stack& KeystoneStack();
// At the end of the run: the keystone stack (if it was used) and Keystone.
void StopKeystoneAndItsStack(bool keep_logs);
// X-Auth-Token headers.
inline Headers TokenHeaders(const std::string& token) { return {{"X-Auth-Token", token}}; }

}  // namespace e2e
