#include "glance/store/incoming_writeback.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <memory>
#include <sstream>
#include <vector>

#include "digest.h"
#include "glance/common/logging.h"
#include "unique_fd.h"

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
constexpr size_t kReadChunk = 1 << 20;

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext NewContext(const EVP_MD* algorithm) {
  DigestContext ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (ctx && EVP_DigestInit_ex(ctx.get(), algorithm, nullptr) != 1) ctx.reset();
  return ctx;
}

// The digest so far, leaving the running context as it was.
std::string Snapshot(EVP_MD_CTX* running) {
  DigestContext copy(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), running) != 1 ||
      EVP_DigestFinal_ex(copy.get(), digest, &length) != 1) {
    return "";
  }
  return HexOf(digest, length);
}

// Runs one job at a time on a thread of its own while the caller does
// another: SHA-512 and MD5 each take a core's full speed (about 500 MB/s
// here), so hashing them side by side doubles what keeps up with nginx.
class SideThread {
 public:
  SideThread() : thread_([this] { Loop(); }) {}
  ~SideThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  // Runs `job` there and `here` here, and returns when both are done.
  void Both(const std::function<void()>& job, const std::function<void()>& here) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
    }
    changed_.notify_all();
    here();
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return job_ == nullptr; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return stopping_ || job_ != nullptr; });
      if (stopping_) return;
      const std::function<void()>* job = job_;
      lock.unlock();
      (*job)();
      lock.lock();
      job_ = nullptr;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  const std::function<void()>* job_ = nullptr;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

struct TrackedFile {
  int fd = -1;       // opened once the file is big enough to be worth it
  ino_t inode = 0;
  off_t kicked = 0;  // bytes already handed to the disk
  off_t hashed = 0;  // bytes fed to both digests, from 0 without a gap
  DigestContext md5{nullptr, EVP_MD_CTX_free};
  DigestContext sha512{nullptr, EVP_MD_CTX_free};
  bool hashing = false;  // false: writeback only (no socket, or a read failed)
};

class Companion {
 public:
  Companion(int dir_fd, bool hashing) : dir_fd_(dir_fd), hashing_(hashing) {}
  ~Companion() {
    for (auto& [name, file] : files_) {
      if (file.fd >= 0) close(file.fd);
    }
  }

  bool idle() const { return files_.empty(); }

  void Created(const std::string& name) {
    if (files_.size() < kMaxTracked) files_.emplace(name, TrackedFile{});
  }
  // Deleted by nginx, or renamed into the store by a worker.
  void Gone(const std::string& name) {
    auto it = files_.find(name);
    if (it == files_.end()) return;
    if (it->second.fd >= 0) close(it->second.fd);
    files_.erase(it);
  }

  void Tick() {
    for (auto& [name, file] : files_) Follow(name, &file);
  }

  // One worker's question: "<name> <inode> <size>"; the answer
  // "<md5> <sha512>", or "-" when this file is not known whole.
  std::string Answer(const std::string& question) {
    std::istringstream in(question);
    std::string name;
    unsigned long long inode = 0;
    long long size = -1;
    if (!(in >> name >> inode >> size) || name.find('/') != std::string::npos || size < 0) return "-";
    auto it = files_.find(name);
    if (it == files_.end()) return "-";
    TrackedFile& file = it->second;
    struct stat st {};
    if (!file.hashing || file.fd < 0 || fstat(file.fd, &st) != 0 || st.st_ino != inode ||
        st.st_size != size || file.inode != st.st_ino) {
      return "-";
    }
    Feed(&file, size);
    if (!file.hashing || file.hashed != size) return "-";
    std::string md5 = Snapshot(file.md5.get());
    std::string sha512 = Snapshot(file.sha512.get());
    if (md5.empty() || sha512.empty()) return "-";
    return md5 + " " + sha512;
  }

 private:
  void Follow(const std::string& name, TrackedFile* file) {
    struct stat st {};
    if (file->fd < 0) {
      // nginx creates a body file for every upload, most of them small and
      // gone within a millisecond: only a file that has grown past the
      // first kick is opened (a worker hashes small ones faster itself).
      if (fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_size < kKickBytes ||
          !S_ISREG(st.st_mode)) {
        return;
      }
      file->fd = openat(dir_fd_, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      if (file->fd < 0) return;
      if (fstat(file->fd, &st) != 0) return;
      file->inode = st.st_ino;
      if (hashing_) {
        file->md5 = NewContext(EVP_md5());
        file->sha512 = NewContext(EVP_sha512());
        file->hashing = file->md5 && file->sha512;
      }
    }
    if (fstat(file->fd, &st) != 0) return;
    Feed(file, st.st_size);
    if (st.st_size - file->kicked < kKickBytes) return;
    // Starts the writes and returns; waiting is the worker's fdatasync's job.
    if (sync_file_range(file->fd, file->kicked, st.st_size - file->kicked, SYNC_FILE_RANGE_WRITE) ==
        0) {
      file->kicked = st.st_size;
    }
  }

  // Hashes [hashed, limit): nginx appends, and bytes below the file's size
  // are in the page cache, written.
  void Feed(TrackedFile* file, off_t limit) {
    if (!file->hashing) return;
    while (file->hashed < limit) {
      size_t want = static_cast<size_t>(std::min<off_t>(kReadChunk, limit - file->hashed));
      ssize_t n = pread(file->fd, buffer_.data(), want, file->hashed);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        file->hashing = false;  // the worker hashes this one itself
        return;
      }
      const size_t length = static_cast<size_t>(n);
      side_.Both([&] { EVP_DigestUpdate(file->sha512.get(), buffer_.data(), length); },
                 [&] { EVP_DigestUpdate(file->md5.get(), buffer_.data(), length); });
      file->hashed += n;
    }
  }

  int dir_fd_;
  bool hashing_;
  std::map<std::string, TrackedFile> files_;
  std::vector<unsigned char> buffer_ = std::vector<unsigned char>(kReadChunk);
  SideThread side_;
};

int Listen(const std::string& path) {
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof address.sun_path) return -1;
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  unlink(path.c_str());  // a previous companion's
  mode_t old = umask(0177);
  int bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  umask(old);
  if (bound != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void Serve(int listen_fd, Companion* companion) {
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    Fd connection(fd);
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    std::string question;
    char c;
    while (question.size() < 512 && recv(fd, &c, 1, 0) == 1 && c != '\n') question.push_back(c);
    std::string answer = companion->Answer(question) + "\n";
    send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  }
}

bool IsHex(const std::string& text, size_t length) {
  return text.size() == length && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::string DigestSocketFor(const std::string& fcgi_socket) { return fcgi_socket + ".digests"; }

void RunIncomingWriteback(const std::string& incoming_dir, const std::string& digest_socket) {
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
  int listen_fd = digest_socket.empty() ? -1 : Listen(digest_socket);
  if (!digest_socket.empty() && listen_fd < 0) {
    LogWarning("hashing of uploads while they arrive is off: cannot listen on " + digest_socket +
               ": " + std::strerror(errno));
  }
  Companion companion(dir_fd, listen_fd >= 0);
  alignas(inotify_event) char buffer[64 * 1024];
  while (true) {
    pollfd waiting[2] = {{notify_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
    if (poll(waiting, listen_fd >= 0 ? 2 : 1, companion.idle() ? -1 : kTickMs) < 0 && errno != EINTR) {
      LogError(std::string("early writeback: poll: ") + std::strerror(errno));
      return;
    }
    ssize_t length;
    while ((length = read(notify_fd, buffer, sizeof buffer)) > 0) {
      for (char* at = buffer; at < buffer + length;) {
        const auto* event = reinterpret_cast<const inotify_event*>(at);
        at += sizeof(inotify_event) + event->len;
        if (event->len == 0 || (event->mask & IN_ISDIR)) continue;
        if (event->mask & IN_CREATE) {
          companion.Created(event->name);
        } else {
          companion.Gone(event->name);
        }
      }
    }
    companion.Tick();
    if (listen_fd >= 0) Serve(listen_fd, &companion);
  }
}

Status AskCompanionForDigests(const std::string& digest_socket, const std::string& path,
                              ImageDigests* digests) {
  struct stat st {};
  size_t slash = path.rfind('/');
  if (digest_socket.empty() || slash == std::string::npos || stat(path.c_str(), &st) != 0) {
    return Status::NotFound("no companion for " + path);
  }
  sockaddr_un address{};
  if (digest_socket.size() >= sizeof address.sun_path) return Status::Unavailable("socket path too long");
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, digest_socket.c_str(), digest_socket.size());
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0 || connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return Status::Unavailable("the upload companion is not running");
  }
  // The companion may have a tail left to hash (it keeps up with nginx, so
  // little); one that hangs costs at most this before the worker hashes.
  timeval timeout{static_cast<time_t>(2 + st.st_size / (200 << 20)), 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string question = path.substr(slash + 1) + " " + std::to_string(st.st_ino) + " " +
                         std::to_string(st.st_size) + "\n";
  if (send(fd.get(), question.data(), question.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(question.size())) {
    return Status::Unavailable("the upload companion did not take the question");
  }
  std::string answer;
  char c;
  while (answer.size() < 256 && recv(fd.get(), &c, 1, 0) == 1 && c != '\n') answer.push_back(c);
  size_t space = answer.find(' ');
  if (space == std::string::npos) return Status::NotFound("the upload companion does not know " + path);
  std::string md5 = answer.substr(0, space), sha512 = answer.substr(space + 1);
  if (!IsHex(md5, 32) || !IsHex(sha512, 128)) return Status::Unavailable("a garbled companion answer");
  digests->size = st.st_size;
  digests->md5 = md5;
  digests->sha512 = sha512;
  return Status::Ok();
}

}  // namespace glance
