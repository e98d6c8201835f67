// Scrubber: the clean-up half of delayed delete (spec §12) plus the
// leftovers a crash can leave in the store (any Store, store.h: the
// program hands it the FilesystemStore, a test may hand it another).
//
// One pass (Scrubber::Run) does three things:
//   1. pending_delete images whose deleted_at is at least `scrub_time`
//      seconds old: their status moves to `deleted` with a compare-and-set
//      (from_state = pending_delete), then the winner removes their data.
//   2. data the store holds (Store::ListImages) that no live record owns
//      (no record, or the record is deleted or killed), settled for
//      `orphan_grace_seconds`, is removed.
//   3. uploads in the incoming area unchanged for `orphan_grace_seconds`
//      (an upload nginx wrote but no worker adopted) and not in use
//      (Store::InUse) are removed.
//
// It talks to glance-registry as an admin, never to the database: the
// registry owns the database (DESIGN.md), so the scrubber needs no
// database credentials, and the registry's from_state check is the
// compare-and-set that makes concurrent scrubbers safe.  Two scrubbers on
// two hosts (sharing the store) may pick the same image: exactly one status
// change wins and removes the data; the other gets 409, leaves the data
// alone and counts the image as done by another scrubber.  A file
// is removed as an orphan only when the registry answered "no such image"
// or showed it deleted/killed; any other registry error stops that step,
// so an outage never turns live images into orphans.  Running it again is
// harmless: every step skips what is already done.
#ifndef GLANCE_SCRUBBER_SCRUBBER_H_
#define GLANCE_SCRUBBER_SCRUBBER_H_

#include <cstdint>
#include <ctime>
#include <string>

#include "glance/common/config.h"
#include "glance/common/status.h"
#include "glance/registry/registry_client.h"
#include "glance/store/store.h"

namespace glance {

struct ScrubberOptions {
  RegistryClientOptions registry;
  std::string datadir = "/var/lib/glance/images";
  std::string incoming_dir;           // default: <datadir>/_incoming
  int64_t scrub_time = 0;             // seconds a pending_delete image keeps its data
  int64_t orphan_grace_seconds = 86400;
  bool delayed_delete = false;        // only reported: old pending_delete images are scrubbed anyway

  // Reads glance-api.conf's names: registry_*, admin_role, delayed_delete,
  // scrub_time, scrubber_orphan_grace_time, [glance_store]
  // filesystem_store_datadir / filesystem_store_incoming_dir (for the
  // program to build the store with).  Throws ConfigError on a negative
  // time.
  static ScrubberOptions FromConfig(const Config& config);
};

struct ScrubReport {
  int scrubbed = 0;            // pending_delete -> deleted by this pass
  int taken_by_other = 0;      // another scrubber changed the status first
  int waiting = 0;             // pending_delete, scrub_time not yet over
  int orphan_files = 0;        // orphaned image data removed
  int stale_uploads = 0;       // stale uploads removed
  int errors = 0;              // failures (each logged); retried next pass

  std::string Summary() const;
};

class Scrubber {
 public:
  // `store` must outlive the scrubber.
  Scrubber(ScrubberOptions options, const Store& store);

  // One pass at time `now` (seconds since the epoch).  Fails only when the
  // registry cannot be asked for the pending images; partial failures are
  // counted in `errors` and logged.
  Status Run(std::time_t now, ScrubReport* report);

 private:
  Status ScrubPendingImages(std::time_t now, ScrubReport* report);
  Status RemoveOrphanFiles(std::time_t now, ScrubReport* report);
  void RemoveStaleUploads(std::time_t now, ScrubReport* report);

  ScrubberOptions options_;
  const Store& store_;
  RegistryClient registry_;
  RequestContext admin_;
};

}  // namespace glance

#endif  // GLANCE_SCRUBBER_SCRUBBER_H_
