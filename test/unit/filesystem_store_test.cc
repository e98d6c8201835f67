#include "glance/store/filesystem_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "glance/common/uuid.h"

using namespace glance;
namespace fs = std::filesystem;

namespace {

struct TempStore {
  fs::path root;
  FilesystemStore store;
  TempStore()
      : root(fs::temp_directory_path() / ("glance-store-" + NewUuid())),
        store((root / "images").string(), (root / "images" / "_incoming").string()) {
    fs::create_directories(root);
    BOOST_REQUIRE(store.Prepare().ok());
  }
  ~TempStore() { fs::remove_all(root); }
  std::string Upload(const std::string& content) {
    fs::path path = fs::path(store.incoming_dir()) / ("000000" + NewUuid().substr(0, 4));
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(filesystem_store)

BOOST_AUTO_TEST_CASE(hashes_and_adopts_an_upload) {
  TempStore t;
  std::string upload = t.Upload("hello");
  BOOST_TEST(t.store.CheckUpload(upload).ok());
  ImageDigests digests;
  BOOST_TEST(t.store.HashAndSync(upload, &digests).ok());
  BOOST_TEST(digests.size == 5);
  BOOST_TEST(digests.md5 == "5d41402abc4b2a76b9719d911017c592");
  BOOST_TEST(digests.sha512.rfind("9b71d224bd62f378", 0) == 0);
  std::string id = NewUuid();
  std::string location;
  BOOST_TEST(t.store.Adopt(upload, id, &location).ok());
  BOOST_TEST(location == "file://" + t.store.datadir() + "/" + id);
  BOOST_TEST(!fs::exists(upload));
  int64_t size = 0;
  BOOST_TEST(t.store.Size(id, &size).ok());
  BOOST_TEST(size == 5);
  struct stat st {};
  stat((t.store.datadir() + "/" + id).c_str(), &st);
  BOOST_TEST((st.st_mode & 0777) == 0640u);
}

BOOST_AUTO_TEST_CASE(never_replaces_existing_data) {
  TempStore t;
  std::string id = NewUuid();
  std::string location;
  BOOST_TEST(t.store.Adopt(t.Upload("first"), id, &location).ok());
  std::string second = t.Upload("second");
  Status s = t.store.Adopt(second, id, &location);
  BOOST_TEST(s.HttpStatus() == 409);
  std::ifstream in(t.store.datadir() + "/" + id);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(content == "first");
  t.store.Discard(second);
  BOOST_TEST(!fs::exists(second));
}

BOOST_AUTO_TEST_CASE(paths_come_only_from_ids_and_the_incoming_dir) {
  TempStore t;
  std::string location;
  BOOST_TEST(t.store.Adopt(t.Upload("x"), "../../etc/passwd", &location).HttpStatus() == 400);
  BOOST_TEST(!t.store.CheckUpload("/etc/passwd").ok());
  BOOST_TEST(!t.store.CheckUpload(t.store.incoming_dir() + "/../x").ok());
  BOOST_TEST(!t.store.CheckUpload(t.store.incoming_dir() + "/missing").ok());
  int64_t size;
  BOOST_TEST(t.store.Size("../x", &size).HttpStatus() == 404);
  BOOST_TEST(t.store.Remove(NewUuid()).HttpStatus() == 404);
  BOOST_TEST(t.store.Remove("..").HttpStatus() == 404);
}

BOOST_AUTO_TEST_CASE(copy_files_are_claimed_only_once_their_holder_is_gone) {
  TempStore t;
  std::string id = NewUuid();
  int fd = -1;
  std::string path;
  BOOST_REQUIRE(t.store.NewCopyFile(id, &fd, &path).ok());
  BOOST_TEST(path.rfind(t.store.incoming_dir() + "/copy-" + id + "-", 0) == 0);
  BOOST_TEST(t.store.CheckUpload(path).ok());
  BOOST_TEST(write(fd, "abc", 3) == 3);
  // Held (flock on the open file): a copy in progress is not an orphan.
  BOOST_TEST(t.store.ClaimOrphanCopies().empty());
  BOOST_TEST(fs::exists(path));
  close(fd);
  std::vector<std::string> orphans = t.store.ClaimOrphanCopies();
  BOOST_TEST(orphans.size() == 1u);
  BOOST_TEST(orphans.at(0) == id);
  BOOST_TEST(!fs::exists(path));
  BOOST_TEST(t.store.ClaimOrphanCopies().empty());
  // nginx's body files are never taken for copies.
  std::string upload = t.Upload("body");
  BOOST_TEST(t.store.ClaimOrphanCopies().empty());
  BOOST_TEST(fs::exists(upload));
  BOOST_TEST(t.store.NewCopyFile("../x", &fd, &path).HttpStatus() == 400);
}

BOOST_AUTO_TEST_SUITE_END()
