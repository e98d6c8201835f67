#include "glance/store/filesystem_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <ctime>
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
  // What the api and the scrubber see.
  const Store& api() const { return store; }
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
  BOOST_TEST(t.store.Adopt(upload, id, ImageDigests{}, &location).ok());
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
  BOOST_TEST(t.store.Adopt(t.Upload("first"), id, ImageDigests{}, &location).ok());
  std::string second = t.Upload("second");
  Status s = t.store.Adopt(second, id, ImageDigests{}, &location);
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
  BOOST_TEST(t.store.Adopt(t.Upload("x"), "../../etc/passwd", ImageDigests{}, &location).HttpStatus() == 400);
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

BOOST_AUTO_TEST_CASE(serves_image_data_through_the_internal_location) {
  TempStore t;
  const Store& store = t.api();
  std::string id = NewUuid();
  std::string location;
  BOOST_REQUIRE(store.Adopt(t.Upload("data"), id, ImageDigests{}, &location).ok());
  ServeTarget target;
  target.headers.push_back({"stale", "header"});
  BOOST_TEST(store.Serve(id, &target).ok());
  BOOST_TEST(target.redirect == "/_glance_image_data/" + id);
  BOOST_TEST(target.headers.empty());
  BOOST_TEST(store.Serve("../x", &target).HttpStatus() == 404);

  FilesystemStore elsewhere(t.store.datadir(), t.store.incoming_dir(), "/_other/");
  BOOST_TEST(static_cast<const Store&>(elsewhere).Serve(id, &target).ok());
  BOOST_TEST(target.redirect == "/_other/" + id);
}

BOOST_AUTO_TEST_CASE(settles_removes_and_lists_image_data_through_the_interface) {
  TempStore t;
  const Store& store = t.api();
  std::string id = NewUuid();
  std::string upload = t.Upload("hello");
  BOOST_TEST(store.CheckUpload(upload).ok());
  ImageDigests digests;
  BOOST_TEST(store.HashAndSync(upload, &digests).ok());
  BOOST_TEST(digests.md5 == "5d41402abc4b2a76b9719d911017c592");
  std::string location;
  BOOST_TEST(!store.Exists(id));
  BOOST_TEST(store.Adopt(upload, id, ImageDigests{}, &location).ok());
  BOOST_TEST(store.Exists(id));
  BOOST_TEST(store.incoming_dir() == t.store.incoming_dir());

  // Only files named like an image, in lower case, are the store's.
  std::ofstream(t.store.datadir() + "/notes.txt") << "x";
  std::string upper = NewUuid();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::ofstream(t.store.datadir() + "/" + upper) << "x";
  std::vector<StoredEntry> images;
  BOOST_TEST(store.ListImages(&images).ok());
  BOOST_TEST_REQUIRE(images.size() == 1u);
  BOOST_TEST(images[0].key == id);
  BOOST_TEST(images[0].settled >= images[0].modified);
  BOOST_TEST(images[0].settled >= std::time(nullptr) - 60);

  BOOST_TEST(store.Remove(id).ok());
  BOOST_TEST(!store.Exists(id));
  BOOST_TEST(store.Remove(id).HttpStatus() == 404);
  images.clear();
  BOOST_TEST(store.ListImages(&images).ok());
  BOOST_TEST(images.empty());
}

BOOST_AUTO_TEST_CASE(held_uploads_are_in_use_and_discarded_only_once) {
  TempStore t;
  const Store& store = t.api();
  std::string upload = t.Upload("body");
  BOOST_TEST(!store.InUse(upload));
  {
    UploadHold hold = store.HoldUpload(upload);
    BOOST_TEST(hold.held());
    BOOST_TEST(store.InUse(upload));
    UploadHold moved = std::move(hold);
    BOOST_TEST(!hold.held());
    BOOST_TEST(store.InUse(upload));
  }
  BOOST_TEST(!store.InUse(upload));
  BOOST_TEST(!store.HoldUpload("/etc/passwd").held());
  BOOST_TEST(!store.HoldUpload(t.store.incoming_dir() + "/missing").held());

  std::vector<StoredEntry> uploads;
  BOOST_TEST(store.ListUploads(&uploads).ok());
  BOOST_TEST_REQUIRE(uploads.size() == 1u);
  BOOST_TEST(uploads[0].key == upload);

  BOOST_TEST(store.Discard(upload).ok());
  BOOST_TEST(!fs::exists(upload));
  BOOST_TEST(store.Discard(upload).HttpStatus() == 404);
  BOOST_TEST(store.Discard("/etc/passwd").HttpStatus() == 400);
  BOOST_TEST(store.Discard("").HttpStatus() == 400);
}

BOOST_AUTO_TEST_CASE(a_missing_incoming_area_holds_no_uploads) {
  fs::path root = fs::temp_directory_path() / ("glance-store-" + NewUuid());
  FilesystemStore store((root / "images").string(), (root / "incoming").string());
  std::vector<StoredEntry> uploads;
  BOOST_TEST(static_cast<const Store&>(store).ListUploads(&uploads).ok());
  BOOST_TEST(uploads.empty());
  std::vector<StoredEntry> images;
  BOOST_TEST(store.ListImages(&images).HttpStatus() == 503);
}

BOOST_AUTO_TEST_SUITE_END()
