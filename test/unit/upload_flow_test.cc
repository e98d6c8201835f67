// The upload state machine (UploadFlow) against a stand-in registry and a
// real filesystem store in a temporary directory: which registry calls an
// upload makes, in which order, and what is left in the store after each
// way it can end.
#include "glance/api/upload_flow.h"
#include "glance/store/filesystem_store.h"

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "glance/common/uuid.h"
#include "fake_registry.h"

using namespace glance;
using namespace glance::api;
namespace fs = std::filesystem;

namespace {

// Records every update; answers what the test set for the status it asks
// for (refuse_status), ahead of the shared fake's own bookkeeping.
class FakeRegistry : public glance::test::FakeRegistry {
 public:
  struct Update {
    std::string id, status;
    std::optional<std::string> from_state;
    std::optional<int64_t> size, storage_quota;
    std::optional<std::string> checksum;
  };
  std::vector<Update> updates;
  std::map<std::string, Status> refuse_status;  // status to refuse -> answer

  Status UpdateImage(const RequestContext& context, const std::string& id, const ImageChanges& c,
                     const ImageUpdate& how, Image* updated) override {
    Update u{id, c.status.value_or(""), how.from_state, std::nullopt, how.storage_quota, std::nullopt};
    if (c.size && *c.size) u.size = **c.size;
    if (c.checksum && *c.checksum) u.checksum = **c.checksum;
    updates.push_back(u);
    if (auto it = refuse_status.find(u.status); it != refuse_status.end()) return it->second;
    return glance::test::FakeRegistry::UpdateImage(context, id, c, how, updated);
  }

  std::string Statuses() const {
    std::string out;
    for (const Update& u : updates) out += (out.empty() ? "" : " ") + u.status;
    return out;
  }
};

struct Fixture {
  fs::path root = fs::temp_directory_path() / ("glance-upload-" + NewUuid());
  ApiOptions options;
  FakeRegistry registry;
  FilesystemStore store{(root / "images").string(), (root / "images" / "_incoming").string()};
  ExternalSources sources{ExternalSourceOptions()};
  std::unique_ptr<UploadFlow> flow;
  RequestContext context;
  std::string id = NewUuid();

  Fixture() {
    fs::create_directories(root);
    BOOST_REQUIRE(store.Prepare().ok());
    options.image_size_cap = 1000;
    options.user_storage_quota = 5000;
    flow = std::make_unique<UploadFlow>(options, &registry, &store, &sources);
    context.request_id = "req-test";
  }
  ~Fixture() { fs::remove_all(root); }
  std::string Body(const std::string& content) {
    fs::path path = fs::path(store.incoming_dir()) / ("0000" + NewUuid().substr(0, 6));
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  bool Stored() const { return fs::exists(root / "images" / id); }
  size_t Incoming() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(store.incoming_dir()),
                                             fs::directory_iterator()));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(upload_flow)

BOOST_AUTO_TEST_CASE(upload_reserves_then_activates_with_digests) {
  Fixture f;
  Image image;
  Status s = f.flow->Upload(f.context, f.id, f.Body("hello"), ImageChanges(), &image);
  BOOST_TEST_REQUIRE(s.ok(), s.message());
  BOOST_TEST(f.registry.Statuses() == "saving active");
  const auto& saving = f.registry.updates[0];
  BOOST_TEST(saving.from_state.value_or("") == "queued");
  BOOST_TEST(saving.size.value_or(-1) == 5);  // the received size, reserved
  BOOST_TEST(saving.storage_quota.value_or(-1) == 5000);
  const auto& active = f.registry.updates[1];
  BOOST_TEST(active.from_state.value_or("") == "saving");
  BOOST_TEST(active.checksum.value_or("") == "5d41402abc4b2a76b9719d911017c592");
  BOOST_TEST(active.storage_quota.value_or(-1) == 5000);
  BOOST_TEST(f.Stored());
  BOOST_TEST(f.Incoming() == 0u);
}

BOOST_AUTO_TEST_CASE(quota_refusal_kills_and_leaves_nothing) {
  Fixture f;
  f.registry.refuse_status["saving"] = Status::TooLarge("The size of the data 5 will exceed the limit. 1 bytes remaining.");
  Image image;
  Status s = f.flow->Upload(f.context, f.id, f.Body("hello"), ImageChanges(), &image);
  BOOST_TEST(s.HttpStatus() == 413);
  BOOST_TEST(s.message() == "Denying attempt to upload image because it exceeds the quota: The size of "
                            "the data 5 will exceed the limit. 1 bytes remaining.");
  BOOST_TEST(f.registry.Statuses() == "saving killed");
  BOOST_TEST(!f.Stored());
  BOOST_TEST(f.Incoming() == 0u);
}

BOOST_AUTO_TEST_CASE(second_upload_conflicts_without_killing) {
  Fixture f;
  f.registry.refuse_status["saving"] = Status::Conflict("Image operation conflicts");
  Image image;
  Status s = f.flow->Upload(f.context, f.id, f.Body("hello"), ImageChanges(), &image);
  BOOST_TEST(s.HttpStatus() == 409);
  BOOST_TEST(s.message() == "Attempt to upload duplicate image");
  BOOST_TEST(f.registry.Statuses() == "saving");  // the other upload's image is left alone
  BOOST_TEST(f.Incoming() == 0u);
}

BOOST_AUTO_TEST_CASE(size_and_checksum_mismatches_kill) {
  for (bool by_size : {true, false}) {
    Fixture f;
    ImageChanges declared;
    if (by_size) declared.size = std::optional<int64_t>(4);
    else declared.checksum = std::optional<std::string>("0123456789abcdef0123456789abcdef");
    Image image;
    Status s = f.flow->Upload(f.context, f.id, f.Body("hello"), declared, &image);
    BOOST_TEST(s.HttpStatus() == 400);
    BOOST_TEST(s.message().find(by_size ? "Supplied size (4)" : "Supplied checksum (0123") == 0u, s.message());
    BOOST_TEST(f.registry.Statuses() == "saving killed");
    BOOST_TEST(!f.Stored());
    BOOST_TEST(f.Incoming() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(over_the_cap_kills) {
  Fixture f;
  Image image;
  Status s = f.flow->Upload(f.context, f.id, f.Body(std::string(1001, 'x')), ImageChanges(), &image);
  BOOST_TEST(s.HttpStatus() == 413);
  BOOST_TEST(s.message() == "Denying attempt to upload image larger than 1000 bytes.");
  BOOST_TEST(f.registry.Statuses() == "saving killed");
  BOOST_TEST(!f.Stored());
}

BOOST_AUTO_TEST_CASE(deleted_while_hashing_removes_the_data) {
  Fixture f;
  f.registry.refuse_status["active"] = Status::NotFound("gone");
  Image image;
  Status s = f.flow->Upload(f.context, f.id, f.Body("hello"), ImageChanges(), &image);
  BOOST_TEST(s.HttpStatus() == 412);
  BOOST_TEST(s.message().find("could not be found after upload") != std::string::npos);
  BOOST_TEST(!f.Stored());
}

BOOST_AUTO_TEST_CASE(registry_lost_at_the_end_leaves_no_data) {
  Fixture f;
  f.registry.refuse_status["active"] = Status::Unavailable("The image registry is unavailable; try again later.");
  Image image;
  Status s = f.flow->Upload(f.context, f.id, f.Body("hello"), ImageChanges(), &image);
  BOOST_TEST(s.HttpStatus() == 503);
  // The image stays saving in the registry: the lease sweep kills it later.
  BOOST_TEST(f.registry.Statuses() == "saving active");
  BOOST_TEST(!f.Stored());
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_an_upload_file_is_refused) {
  Fixture f;
  Image image;
  Status s = f.flow->Upload(f.context, f.id, "/etc/passwd", ImageChanges(), &image);
  BOOST_TEST(s.HttpStatus() == 400);
  BOOST_TEST(s.message() == "The image data was not received.");
  BOOST_TEST(f.registry.Statuses() == "killed");
  BOOST_TEST(fs::exists("/etc/passwd"));
}

BOOST_AUTO_TEST_CASE(no_quota_means_no_reservation_limit) {
  Fixture f;
  f.options.user_storage_quota = 0;
  Image image;
  BOOST_TEST(f.flow->Upload(f.context, f.id, f.Body("hi"), ImageChanges(), &image).ok());
  BOOST_TEST(!f.registry.updates[0].storage_quota.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
