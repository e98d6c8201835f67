// Shared helpers of the end-to-end tests: isolated stacks started through
// scripts/stack and the image helpers of the v1 API.  The HTTP client,
// digests, files and processes are test/support's.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../support/files.h"
#include "../support/free_port.h"
#include "../support/http_client.h"
#include "../support/process.h"
#include "../support/text.h"

namespace e2e {

using namespace testsupport;
using Reply = testsupport::Response;

// When the binary is interrupted (SIGINT, SIGTERM, SIGHUP), `args` runs
// (with `extra_env`) for every armed owner: what it started must not keep
// running.  Prepared here, so the signal handler only forks and execs.
void ArmEmergencyStop(const void* owner, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& extra_env);
void DisarmEmergencyStop(const void* owner);
// Makes SIGINT, SIGTERM and SIGHUP run the armed commands, then end the binary.
void InstallSignalHandlers();

// ---------------------------------------------------------------- stacks

class Stack {
 public:
  // `extra_env` adds scripts/stack settings (e.g. GLANCE_ALLOW_ANONYMOUS);
  // with GLANCE_DB_URL (another stack's DatabaseUrl()) the stack is a
  // second node of that one, on its database, and leaves it in place.
  // Under GLANCE_E2E_STORE=swift (SwiftMode()) a stack without STORE gets
  // STORE=swift.  A stack with STORE=swift and no SWIFT_DIR uses the
  // run's Swift (TheSwift()); each such stack keeps its images in a
  // container of its own (GLANCE_SWIFT_CONTAINER "e2e-<name>" unless
  // given), so one stack's scrubber never sees another's objects.
  Stack(std::string name, std::string auth, std::map<std::string, std::string> extra_env = {});

  // Creates the database and runs `scripts/stack start`; throws on failure.
  void Start();
  // `scripts/stack stop`, then makes sure none of the stack's processes
  // survive (SIGKILL by pid as a last resort); returns what had to be killed.
  std::vector<std::string> Stop();
  void DropDatabase();
  // Runs `scripts/stack start` again (restarts missing daemons).
  int Restart(std::string* log_tail = nullptr);
  // Stop(), then `scripts/stack start` on the same directory and database
  // with `changes` over the settings (e.g. another STORE); false with the
  // script's log in *error when it does not come up.
  bool Reconfigure(const std::map<std::string, std::string>& changes, std::string* error);

  const std::string& name() const { return name_; }
  const std::string& var_dir() const { return var_dir_; }
  const std::string& DatabaseUrl() const { return db_url_; }
  // GLANCE_STORE_DIR of extra_env when given (a filesystem of the test's own).
  std::string StoreDir() const {
    auto given = extra_env_.find("GLANCE_STORE_DIR");
    return given != extra_env_.end() ? given->second : var_dir_ + "/lib/images";
  }
  std::string IncomingDir() const { return StoreDir() + "/_incoming"; }
  std::string StorePath(const std::string& id) const { return StoreDir() + "/" + id; }
  std::string PidFile(const std::string& daemon) const { return var_dir_ + "/run/" + daemon + ".pid"; }
  std::string EtcDir() const { return var_dir_ + "/etc"; }
  // STORE=swift: new image data goes to Swift.
  bool UsesSwift() const { return Setting("STORE") == "swift"; }
  // The Swift container of the images and the directory of the Swift
  // (scripts/swift) the stack uses; "" when it uses none.
  std::string SwiftContainer() const { return UsesSwift() ? Setting("GLANCE_SWIFT_CONTAINER") : ""; }
  std::string SwiftSegmentContainer() const { return SwiftContainer() + "_segments"; }
  std::string SwiftDir() const { return UsesSwift() ? Setting("SWIFT_DIR") : ""; }
  // nginx's image cache directory (image_cache_dir), with STORE=swift.
  std::string CacheDir() const { return var_dir_ + "/cache/images"; }
  // The location URIs the registry recorded for an image (image_locations).
  std::vector<std::string> Locations(const std::string& id) const;
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
  std::string Setting(const std::string& name) const {
    auto it = extra_env_.find(name);
    return it == extra_env_.end() ? "" : it->second;
  }

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

// Whether a test case of this run has failed so far (teardowns keep the
// logs then).
bool AnyTestFailed();

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

// Lists store entries (not the _incoming dir) whose names are image ids:
// files of the store directory, or with STORE=swift the objects of the
// stack's container and the image ids of its segments.
std::set<std::string> StoreEntries(const Stack& stack);

// The size of the data of `id` in the stack's store (the file, or the
// Swift object), -1 when there is none.
int64_t StoredSize(const Stack& stack, const std::string& id);
// Whether the store holds anything of `id` (with Swift: the object or any
// segment).
bool HasStoredData(const Stack& stack, const std::string& id);
// Removes the data of `id` behind the API's back (the file, or the Swift
// object with its segments); false when there was none.
bool RemoveStoredData(const Stack& stack, const std::string& id);

// Status of an image from HEAD (x-image-meta-status), "" when HEAD fails.
std::string HeadStatus(const Api& api, const std::string& id);

// Checks (Boost assertions) that no data of `id` is in the store and that
// the upload temp dir is empty.
void CheckNoDataLeft(const Stack& stack, const std::string& id);

}  // namespace e2e
