#include "glance/store/incoming_writeback.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "glance/common/logging.h"

namespace glance {

namespace {

// Writes are started once this much new data has accumulated: large enough
// that the disk sees big sequential requests, small enough that little is
// left for the worker's fdatasync.
constexpr off_t kKickBytes = 8 << 20;
// How often growing files are looked at.  inotify is used only to learn of
// new and finished files; a per-write event would cost more than it saves.
constexpr int kTickMs = 50;
// nginx never has more bodies in flight than connections; the cap only
// bounds our descriptors if something floods the directory.
constexpr size_t kMaxTracked = 4096;

struct TrackedFile {
  int fd = -1;     // opened once the file is big enough to be worth it
  off_t kicked = 0;  // bytes already handed to the disk
};

void Forget(std::map<std::string, TrackedFile>* files, const std::string& name) {
  auto it = files->find(name);
  if (it == files->end()) return;
  if (it->second.fd >= 0) close(it->second.fd);
  files->erase(it);
}

void Kick(int dir_fd, const std::string& name, TrackedFile* file) {
  struct stat st {};
  if (file->fd < 0) {
    // nginx creates a body file for every POST and PUT, most of them empty
    // or tiny and gone within a millisecond: only a file that has grown
    // past the first kick is opened.
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_size < kKickBytes) {
      return;
    }
    file->fd = openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (file->fd < 0) return;
  }
  if (fstat(file->fd, &st) != 0 || st.st_size - file->kicked < kKickBytes) return;
  // Starts the writes and returns; waiting is the worker's fdatasync's job.
  if (sync_file_range(file->fd, file->kicked, st.st_size - file->kicked,
                      SYNC_FILE_RANGE_WRITE) == 0) {
    file->kicked = st.st_size;
  }
}

}  // namespace

void RunIncomingWriteback(const std::string& incoming_dir) {
  int dir_fd = open(incoming_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int notify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (dir_fd < 0 || notify_fd < 0 ||
      inotify_add_watch(notify_fd, incoming_dir.c_str(),
                        IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) < 0) {
    LogWarning("early writeback of uploads is off: cannot watch " + incoming_dir + ": " +
               std::strerror(errno));
    if (dir_fd >= 0) close(dir_fd);
    if (notify_fd >= 0) close(notify_fd);
    return;
  }

  std::map<std::string, TrackedFile> files;
  alignas(inotify_event) char buffer[64 * 1024];
  while (true) {
    pollfd waiting{notify_fd, POLLIN, 0};
    if (poll(&waiting, 1, files.empty() ? -1 : kTickMs) < 0 && errno != EINTR) {
      LogError(std::string("early writeback: poll: ") + std::strerror(errno));
      return;
    }
    ssize_t length;
    while ((length = read(notify_fd, buffer, sizeof buffer)) > 0) {
      for (char* at = buffer; at < buffer + length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(at);
        at += sizeof(inotify_event) + event->len;
        if (event->len == 0 || (event->mask & IN_ISDIR)) continue;
        std::string name(event->name);
        if (event->mask & IN_CREATE) {
          if (files.size() < kMaxTracked) files.emplace(name, TrackedFile{});
        } else {
          // Deleted by nginx, or renamed into the store by a worker.
          Forget(&files, name);
        }
      }
    }
    for (auto& [name, file] : files) Kick(dir_fd, name, &file);
  }
}

}  // namespace glance
