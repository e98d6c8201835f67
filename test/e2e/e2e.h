// Shared helpers of the end-to-end tests: isolated stacks started through
// scripts/stack, a small HTTP client on top of cpp-httplib (plus a raw socket
// client for requests cpp-httplib cannot shape), digests, files, processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace e2e {

using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------- basics

// Value of an environment variable; throws with a hint when it is missing.
std::string RequireEnv(const char* name);

// Reserves `count` distinct free TCP ports on 127.0.0.1 (all bound at once,
// then released), below the ephemeral range (test/support/free_port.h).
std::vector<int> FreePorts(int count);

std::string ToLower(std::string text);
std::string Md5Hex(const std::string& data);
// Deterministic pseudo-random bytes.
std::string RandomBytes(size_t size, uint64_t seed);
std::string NewRunTag();  // a unique lower-case token for names of this run
std::string NewUuid();    // random UUID4, lower case

// Polls `condition` every `step` until it holds or `limit` passes.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit,
             std::chrono::milliseconds step = std::chrono::milliseconds(50));

// ---------------------------------------------------------------- files

bool PathExists(const std::string& path);
int64_t FileSize(const std::string& path);  // -1 when missing
// Regular files below `dir` (recursive); empty when dir is missing.
std::vector<std::string> FilesUnder(const std::string& dir);
std::string ReadTextFile(const std::string& path);
std::string TailOfFile(const std::string& path, size_t max_bytes);

// ---------------------------------------------------------------- processes

// Runs argv with the current environment plus `extra_env`; stdout+stderr are
// appended to `log_path`.  Kills the process group after `timeout`.
// Returns the exit code (-1 on timeout or signal).
int RunCommand(const std::vector<std::string>& argv,
               const std::map<std::string, std::string>& extra_env, const std::string& log_path,
               std::chrono::seconds timeout);

bool ProcessAlive(pid_t pid);  // false for zombies too
std::vector<pid_t> ChildrenOf(pid_t pid);
std::string ProcessName(pid_t pid);  // /proc/<pid>/comm, "" when gone
std::optional<pid_t> ReadPidFile(const std::string& path);

// ---------------------------------------------------------------- HTTP

struct Reply {
  int status = 0;             // 0: no HTTP answer at all
  std::string error;          // transport error, when status == 0
  httplib::Headers headers;   // case-insensitive multimap
  std::string body;

  std::string Header(const std::string& name) const;  // "" when absent
  bool Has(const std::string& name) const;
  size_t Count(const std::string& name) const;
  json Json() const;  // throws with the body in the message when not JSON
  // The x-image-meta-* headers, names lower-cased.
  std::map<std::string, std::string> MetaHeaders() const;
  std::string Describe() const;  // status, headers and the body's start
};

class Api {
 public:
  explicit Api(int port, Headers defaults = {});

  Reply Get(const std::string& path, const Headers& headers = {}) const;
  Reply Head(const std::string& path, const Headers& headers = {}) const;
  Reply Delete(const std::string& path, const Headers& headers = {}) const;
  // With a body, Content-Type is sent as given (empty: none).
  Reply Post(const std::string& path, const Headers& headers, const std::string& body = {},
             const std::string& content_type = "application/octet-stream") const;
  Reply Put(const std::string& path, const Headers& headers, const std::string& body = {},
            const std::string& content_type = "application/octet-stream") const;
  Reply Method(const std::string& method, const std::string& path, const Headers& headers) const;
  // Chunked (Transfer-Encoding: chunked, no Content-Length) upload of `body`
  // in pieces of `piece` bytes.
  Reply SendChunked(const std::string& method, const std::string& path, const Headers& headers,
                    const std::string& body, size_t piece = 64 * 1024,
                    const std::string& content_type = "application/octet-stream") const;
  // GET whose body is hashed while it streams, not kept.
  struct Download {
    Reply reply;  // reply.body stays empty
    int64_t bytes = 0;
    std::string md5;
  };
  Download GetDigest(const std::string& path, const Headers& headers = {}) const;

  // Sends raw bytes on a new connection and parses what comes back
  // (Content-Length, chunked or until close).
  Reply Raw(const std::string& request_bytes,
            std::chrono::seconds timeout = std::chrono::seconds(30)) const;

  // An upload the test paces itself, on a raw connection: `head` (request
  // line and headers, ending in a blank line) goes first; with
  // `wait_continue` the body follows only after "100 Continue" (any other
  // answer ends the exchange); otherwise up to `body_bytes` of body are
  // sent in 256 KiB pieces, `bytes_per_second` at most (0: no limit), until
  // the server answers or closes.  `on_piece` runs after every piece.
  struct Streamed {
    Reply reply;             // the final answer (status 0: none)
    bool got_continue = false;
    int64_t body_sent = 0;
  };
  Streamed StreamUpload(const std::string& head, int64_t body_bytes, bool wait_continue,
                        int64_t bytes_per_second = 0,
                        const std::function<void(int64_t sent)>& on_piece = nullptr,
                        std::chrono::seconds timeout = std::chrono::seconds(60)) const;

  // Sends raw bytes on a new connection and closes it without reading.
  bool SendAndClose(const std::string& request_bytes) const;

  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Client> NewClient() const;
  httplib::Headers Merge(const Headers& headers) const;
  static Reply FromResult(const httplib::Result& result);

  int port_;
  Headers defaults_;
};

// ---------------------------------------------------------------- stacks

class Stack {
 public:
  // `extra_env` adds scripts/stack settings (e.g. GLANCE_ALLOW_ANONYMOUS).
  Stack(std::string name, std::string auth, std::map<std::string, std::string> extra_env = {});

  // Creates the database and runs `scripts/stack start`; throws on failure.
  void Start();
  // `scripts/stack stop`, then makes sure none of the stack's processes
  // survive (SIGKILL by pid as a last resort); returns what had to be killed.
  std::vector<std::string> Stop();
  void DropDatabase();
  // Runs `scripts/stack start` again (restarts missing daemons).
  int Restart(std::string* log_tail = nullptr);

  const std::string& name() const { return name_; }
  const std::string& var_dir() const { return var_dir_; }
  // GLANCE_STORE_DIR of extra_env when given (a filesystem of the test's own).
  std::string StoreDir() const {
    auto given = extra_env_.find("GLANCE_STORE_DIR");
    return given != extra_env_.end() ? given->second : var_dir_ + "/lib/images";
  }
  std::string IncomingDir() const { return StoreDir() + "/_incoming"; }
  std::string StorePath(const std::string& id) const { return StoreDir() + "/" + id; }
  std::string PidFile(const std::string& daemon) const { return var_dir_ + "/run/" + daemon + ".pid"; }
  std::string LogDir() const { return var_dir_ + "/log"; }
  int api_port() const { return api_port_; }
  int registry_port() const { return registry_port_; }
  Api api(Headers defaults = {}) const { return Api(api_port_, std::move(defaults)); }
  std::map<std::string, std::string> Env() const;
  // Every row of the image tables (deleted ones too) folded into one digest,
  // plus the store's file names: equal fingerprints mean nothing changed.
  std::string Fingerprint() const;

  // The glance-api supervisor (the glance-api process below the pid file's
  // process) and its worker children.
  std::optional<pid_t> ApiSupervisor() const;
  std::vector<pid_t> ApiWorkers() const;
  // Live children of the supervisor whose /proc comm is `name`
  // (glance-api for workers, glance-api-wb for the writeback companion).
  std::vector<pid_t> ApiChildren(const std::string& name) const;
  // Every pid that belongs to this stack right now.
  std::vector<pid_t> AllPids() const;

  bool started() const { return started_; }
  const std::string& start_error() const { return start_error_; }

 private:
  std::map<std::string, std::string> extra_env_;
  std::string name_, auth_, var_dir_, db_name_, db_url_, script_log_;
  int api_port_ = 0, registry_port_ = 0;
  bool started_ = false, db_created_ = false;
  std::string start_error_;
};

// The stacks of the global fixture; a test calling these fails with the
// start-up error if the stack could not be started.
Stack& NoAuthStack();
Stack& TrustedStack();

// Executes SQL on the maintenance database `postgres` of the test server.
void AdminSql(const std::string& sql);
std::string TestPgConnect(const std::string& db);

// ---------------------------------------------------------------- image helpers

struct ImageRef {
  std::string id;
  Reply reply;
};

// Headers for an image upload: name, raw/bare formats, plus `extra`.
Headers ImageHeaders(const std::string& name, const Headers& extra = {});
// POST with a body; returns the id (empty when the create failed).
ImageRef CreateImage(const Api& api, const std::string& name, const std::string& data,
                     const Headers& extra = {});
// POST without a body (a reservation, or an empty active image with size 0).
ImageRef ReserveImage(const Api& api, const std::string& name, const Headers& extra = {});

// Waits (bounded) until nginx's upload temp dir is empty; returns what is left.
std::vector<std::string> WaitIncomingEmpty(const Stack& stack,
                                           std::chrono::milliseconds limit = std::chrono::seconds(3));

// Lists store entries (not the _incoming dir) whose names are image ids.
std::set<std::string> StoreEntries(const Stack& stack);

// Status of an image from HEAD (x-image-meta-status), "" when HEAD fails.
std::string HeadStatus(const Api& api, const std::string& id);

// Checks (Boost assertions) that no data of `id` is in the store and that
// the upload temp dir is empty.
void CheckNoDataLeft(const Stack& stack, const std::string& id);

// Identity headers for trusted-auth mode.
Headers Identity(const std::string& tenant, const std::string& roles = "member",
                 const std::string& user = "");

}  // namespace e2e
