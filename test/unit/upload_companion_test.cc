// The upload companion (incoming_writeback.h) as glance-api runs it: a
// process watching an incoming directory, hashing a body file while it
// grows, and answering a worker's question for exactly that file.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "glance/common/uuid.h"
#include "glance/store/filesystem_store.h"
#include "glance/store/incoming_writeback.h"

using namespace glance;
namespace fs = std::filesystem;

namespace {

struct CompanionProcess {
  fs::path root = fs::temp_directory_path() / ("glance-companion-" + NewUuid().substr(0, 8));
  fs::path incoming = root / "images" / "_incoming";
  std::string socket = (root / "api.sock.digests").string();
  pid_t pid = -1;

  CompanionProcess() {
    fs::create_directories(incoming);
    pid = fork();
    if (pid == 0) {
      RunIncomingWriteback(incoming.string(), socket);
      _exit(1);
    }
    for (int i = 0; i < 200 && !fs::exists(socket); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~CompanionProcess() {
    Kill();
    fs::remove_all(root);
  }
  void Kill() {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
};

// Writes `bytes` to `path` in pieces, as nginx does while receiving.
void WriteSlowly(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  for (size_t at = 0; at < bytes.size(); at += 4 << 20) {
    out.write(bytes.data() + at, static_cast<std::streamsize>(std::min<size_t>(4 << 20, bytes.size() - at)));
    out.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
  }
}

std::string RandomBytes(size_t size) {
  std::mt19937_64 random(42);
  std::string bytes(size, '\0');
  for (auto& c : bytes) c = static_cast<char>(random());
  return bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(upload_companion)

BOOST_AUTO_TEST_CASE(digests_of_a_growing_body_match_the_workers_own) {
  CompanionProcess companion;
  BOOST_REQUIRE(fs::exists(companion.socket));
  fs::path body = companion.incoming / "0000000001";
  WriteSlowly(body, RandomBytes(24 << 20));
  FilesystemStore own((companion.root / "images").string(), companion.incoming.string());
  ImageDigests expected, told;
  BOOST_REQUIRE(own.HashWithoutSync(body.string(), &expected).ok());
  BOOST_REQUIRE(AskCompanionForDigests(companion.socket, body.string(), &told).ok());
  BOOST_TEST(told.size == expected.size);
  BOOST_TEST(told.md5 == expected.md5);
  BOOST_TEST(told.sha512 == expected.sha512);

  // The same through the store, as the worker asks.
  FilesystemStore asking((companion.root / "images").string(), companion.incoming.string());
  asking.UseUploadCompanion(companion.socket);
  ImageDigests via_store;
  BOOST_REQUIRE(asking.HashWithoutSync(body.string(), &via_store).ok());
  BOOST_TEST(via_store.md5 == expected.md5);
}

BOOST_AUTO_TEST_CASE(it_vouches_for_nothing_else) {
  CompanionProcess companion;
  // A small body is never followed: the worker hashes it itself.
  fs::path small = companion.incoming / "0000000002";
  std::ofstream(small, std::ios::binary) << "tiny";
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ImageDigests told;
  BOOST_TEST(AskCompanionForDigests(companion.socket, small.string(), &told).HttpStatus() == 404);
  // A body replaced by another file under the same name (another inode).
  fs::path body = companion.incoming / "0000000003";
  WriteSlowly(body, RandomBytes(12 << 20));
  fs::path other = companion.incoming / "elsewhere";
  fs::copy_file(body, other);
  fs::rename(other, body);
  BOOST_TEST(!AskCompanionForDigests(companion.socket, body.string(), &told).ok());
  // Files outside its directory, and no companion at all.
  BOOST_TEST(!AskCompanionForDigests(companion.socket, "/etc/passwd", &told).ok());
  companion.Kill();
  BOOST_TEST(AskCompanionForDigests(companion.socket, small.string(), &told).HttpStatus() == 503);
}

BOOST_AUTO_TEST_SUITE_END()
