// The e2e run's Keystone (scripts/keystone) and its keystone-mode stack.
#include <filesystem>
#include <iostream>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "keystone.h"

namespace e2e {

namespace fs = std::filesystem;

namespace {

std::string ScriptPath() {
  const char* dir = std::getenv("GLANCE_SCRIPTS_DIR");
  return std::string(dir && *dir ? dir : "scripts") + "/keystone";
}

}  // namespace

void Keystone::StartInBackground() {
  dir_ = RequireEnv("GLANCE_TEST_TMPDIR") + "/keystone-" + std::to_string(getpid());
  log_ = dir_ + ".log";
  // Armed before `up` runs: an interrupt while Keystone starts must stop
  // it too (`down` waits for `up`'s lock on the directory).
  ArmEmergencyStop(this, {ScriptPath(), "down", dir_}, {});
  starting_ = std::thread([this] {
    int rc = RunCommand({ScriptPath(), "up", dir_}, {}, log_, std::chrono::seconds(300));
    if (rc != 0) start_error_ = "scripts/keystone up failed (" + std::to_string(rc) + "): " + TailOfFile(log_, 3000);
  });
}

void Keystone::Wait() {
  // Not started in the background (a run that was not expected to need
  // it): start it now.
  if (!starting_.joinable() && !started_ && start_error_.empty() && dir_.empty()) StartInBackground();
  if (starting_.joinable()) {
    starting_.join();
    if (start_error_.empty()) {
      std::ifstream env(dir_ + "/keystone.env");
      std::string line;
      while (std::getline(env, line)) {
        size_t eq = line.find('=');
        if (eq != std::string::npos) vars_[line.substr(0, eq)] = line.substr(eq + 1);
      }
      if (!vars_.count("KEYSTONE_URL")) start_error_ = "keystone.env has no KEYSTONE_URL";
      started_ = start_error_.empty();
    }
  }
  if (!started_) throw std::runtime_error("Keystone is not running: " + start_error_);
}

void Keystone::Stop() {
  if (starting_.joinable()) {
    try {
      Wait();
    } catch (const std::exception&) {
      // Not started: `down` below still removes whatever came up.
    }
  }
  if (dir_.empty()) return;
  RunCommand({ScriptPath(), "down", dir_}, {}, log_, std::chrono::seconds(60));
  DisarmEmergencyStop(this);
  started_ = false;
}

std::string Keystone::Var(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) throw std::runtime_error("keystone.env has no " + name);
  // The file's values are shell words: strip quotes if the script wrote any.
  std::string value = it->second;
  if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) value = value.substr(1, value.size() - 2);
  return value;
}

int Keystone::port() const { return std::stoi(Var("KEYSTONE_PORT")); }

std::string Keystone::Script(const std::string& verb, const std::vector<std::string>& args) const {
  static std::mutex serial;  // one output file
  std::lock_guard<std::mutex> lock(serial);
  std::string out = dir_ + ".out";
  std::string command = "'" + ScriptPath() + "' " + verb + " '" + dir_ + "'";
  for (const std::string& a : args) command += " '" + a + "'";
  command += " > '" + out + "'";
  int rc = RunCommand({"/bin/bash", "-c", command}, {}, log_, std::chrono::seconds(120));
  std::string output = Trim(ReadFile(out));
  if (rc != 0) {
    throw std::runtime_error("scripts/keystone " + verb + " failed (" + std::to_string(rc) + "): " +
                             TailOfFile(log_, 2000));
  }
  return output;
}

std::string Keystone::NewProjectUser(const std::string& name, std::string* token) const {
  Api admin = api(TokenHeaders(Token("admin")));
  auto post = [&](const std::string& path, const json& body) {
    Reply r = admin.Post(path, {}, body.dump(), "application/json");
    if (r.status != 201) throw std::runtime_error("keystone POST " + path + ": " + r.Describe());
    return r.Json();
  };
  std::string project = post("/v3/projects", {{"project", {{"name", name}, {"domain_id", "default"}}}})
                            ["project"]["id"].get<std::string>();
  std::string password = "pw-" + NewRunTag();
  std::string user = post("/v3/users", {{"user",
                                         {{"name", name},
                                          {"domain_id", "default"},
                                          {"password", password},
                                          {"default_project_id", project}}}})["user"]["id"]
                         .get<std::string>();
  Reply roles = admin.Get("/v3/roles?name=member");
  std::string member = roles.Json()["roles"][0]["id"].get<std::string>();
  Reply grant = admin.Put("/v3/projects/" + project + "/users/" + user + "/roles/" + member, {}, "", "");
  if (grant.status != 204) throw std::runtime_error("keystone role grant: " + grant.Describe());
  json auth = {{"auth",
                {{"identity",
                  {{"methods", {"password"}},
                   {"password", {{"user", {{"id", user}, {"password", password}}}}}}},
                 {"scope", {{"project", {{"id", project}}}}}}}};
  Reply issued = api().Post("/v3/auth/tokens?nocatalog", {}, auth.dump(), "application/json");
  if (issued.status != 201) throw std::runtime_error("keystone token for " + name + ": " + issued.Describe());
  *token = issued.Header("X-Subject-Token");
  return project;
}

void Keystone::RevokeUserTokens(const std::string& user_id) const {
  httplib::Client client("127.0.0.1", port());
  httplib::Headers admin = {{"X-Auth-Token", Token("admin")}};
  for (bool enabled : {false, true}) {
    json body = {{"user", {{"enabled", enabled}}}};
    auto result = client.Patch("/v3/users/" + user_id, admin, body.dump(), "application/json");
    if (!result || result->status != 200) {
      throw std::runtime_error("keystone PATCH user " + user_id + ": " +
                               (result ? std::to_string(result->status) + " " + result->body
                                       : httplib::to_string(result.error())));
    }
  }
}

Keystone& TheKeystone() {
  static Keystone keystone;
  return keystone;
}

namespace {
Stack* g_keystone_stack = nullptr;
Stack* KeystoneStackIfStarted() { return g_keystone_stack; }
}  // namespace

Stack& KeystoneStack() {
  static std::once_flag once;
  static std::string error;
  Stack*& stack = g_keystone_stack;
  std::call_once(once, [&stack] {
    try {
      TheKeystone().Wait();
      stack = new Stack("keystone", "keystone",
                        {{"KEYSTONE_DIR", TheKeystone().dir()},
                         {"GLANCE_TOKEN_CACHE_TIME", std::to_string(kKeystoneTokenCacheSeconds)}});
      stack->Start();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  if (stack && !stack->started() && error.empty()) error = stack->start_error();
  if (!stack || !stack->started()) throw std::runtime_error("the keystone stack is not running: " + error);
  return *stack;
}

void StopKeystoneAndItsStack(bool keep_logs) {
  if (Stack* stack = KeystoneStackIfStarted()) {
    for (const std::string& item : stack->Stop()) {
      std::cerr << "e2e: keystone stack: still running after scripts/stack stop, killed: " << item << "\n";
    }
    stack->DropDatabase();
    std::error_code ec;
    if (!keep_logs) fs::remove_all(stack->var_dir(), ec);
  }
  TheKeystone().Stop();
  std::error_code ec;
  const std::string& dir = TheKeystone().dir();
  if (!keep_logs && !dir.empty()) {
    for (const std::string& path : {dir, dir + ".log", dir + ".out"}) fs::remove_all(path, ec);
  }
}

}  // namespace e2e
